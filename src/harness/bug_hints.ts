/*
 * What a clean stress run says about the bug switches it had on: a
 * switch free-running stress seldom or never hits with the run's flags
 * (BugSwitch.stress and .stressWith, measured) ends in "SUCCESS (but
 * ...)" with the commands that do find it - stress with the flags that
 * reach it, the race under the controlled scheduler (`repro`), a fuzzing
 * campaign (`fuzz --bug`).  A bare SUCCESS there would read as "the bug is
 * not there".
 *
 * Context: main thread; reads the scenario catalogue.
 */
import { z } from 'zod';
import { BUG_SWITCHES, type StressSetup } from '../shm/bugs.js';
import type { DesignName } from '../mm/swap_design.js';
import { load_catalogue } from '../scenario/load.js';

export const BugHintSchema = z.object({
  bug: z.string(),
  /** How free-running stress finds it with the run's flags (BugSwitch.stress, or .stressWith when the run has what it needs). */
  stress: z.enum(['seldom', 'never']),
  /** The sentence: "--bug X is seldom hit by free-running stress". */
  reason: z.string(),
  /** Commands that find it. */
  try: z.array(z.string()),
});
export type BugHint = z.infer<typeof BugHintSchema>;

/**
 * The hints for the switches @bugs of a clean run of @design with @setup
 * (none for a switch stress finds often with that set-up).
 */
export function bug_hints(design: DesignName, bugs: readonly string[], setup: StressSetup): BugHint[] {
  const out: BugHint[] = [];
  for (const bug of bugs) {
    const sw = BUG_SWITCHES.find((b) => b.name === bug);
    if (sw === undefined) continue;
    const tuned = sw.stressWith !== undefined && sw.stressWith.holds(setup);
    const reach = tuned ? sw.stressWith!.reach : sw.stress;
    if (reach === 'often') continue;
    const tries: string[] = [];
    if (!tuned && sw.stressWith !== undefined && sw.stressWith.reach !== 'never') {
      tries.push(`swaptorture stress --bug ${bug}${design === 'p4' ? '' : ` --design ${design}`} ${sw.stressWith.flags}`);
    }
    /* The race under the controlled scheduler, on this design if its scenario runs there. */
    const race = load_catalogue().find((sc) => sc.bug === bug);
    if (race !== undefined) {
      const d = race.designs.includes(design) ? design : race.designs[0];
      tries.push(`swaptorture repro ${race.race}${d === 'p4' ? '' : ` --design ${d}`}`);
    }
    tries.push(`swaptorture fuzz --bug ${bug}`);
    const how = reach === 'seldom' ? 'seldom' : 'not';
    out.push({ bug, stress: reach, reason: `--bug ${bug} is ${how} hit by free-running stress${!tuned && sw.stressWith !== undefined ? ' with these flags' : ''}`, try: tries });
  }
  return out;
}

/** One hint as the End of test line puts it: "but <reason>: try `a` or `b`". */
export function format_bug_hint(h: BugHint): string {
  return `but ${h.reason}: try ${h.try.map((c) => `\`${c}\``).join(' or ')}`;
}
