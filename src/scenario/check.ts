/*
 * The whole-file checks of a scenario, run by the schema's superRefine
 * after every field has its type: what can never run is rejected here,
 * before any worker starts, with the JSON path of the field at fault.
 *
 *  - pages: page + nr within system.mmPages, and a large folio's aligned
 *    run (order) too;
 *  - devices and CPUs: a swapoff/swapon device index within
 *    system.devices, a migrate target among the system's CPUs; a ghost
 *    device only when every listed design is ghost; bad pages within
 *    their device, and none on a ghost;
 *  - labels: each label is created once (mm, memcg, fork as); a use names
 *    a label of its kind (a process or a cgroup) that some operation
 *    creates.  setup runs in order on one task: a setup step uses only
 *    what an earlier setup step created and did not exit.  A CPU's script
 *    runs in order: it uses what setup left, what its own earlier steps
 *    created, or what another CPU's steps create - the last is a race: the
 *    label is unbound (-ESRCH, see exec.ts) until that step returns.  Nothing
 *    is used after the same sequence (setup, or the CPU) exited it;
 *  - room: the processes alive at once (setup's peak, or what setup
 *    leaves plus every CPU creation, as if no CPU exited first) within
 *    system.mms; the cgroups created within SCENARIO_MEMCG_IDS;
 *  - filler: random operations need a process setup leaves.
 */
import type { z } from 'zod';
import { op_creates, op_uses, type LabelKind, type LabelRef } from './labels.js';
import type { Scenario, ScenarioOp } from './fields.js';
import { SWAPFILE_CLUSTER } from '../shm/layout.js';

export type Path = (string | number)[];

/** Memcg ids a scenario's system has (0: none, 1: the root; the rest for the file's cgroups). */
export const SCENARIO_MEMCG_IDS = 16;
const FIRST_MEMCG_ID = 2;

/** "setup[2].mm" for ['setup', 2, 'mm']. */
export function json_path(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

const noun = (k: LabelKind): string => (k === 'mm' ? 'process' : 'cgroup');

/* An operation and where it is: cpu -1 is setup. */
interface Step {
  op: ScenarioOp;
  at: Path;
  cpu: number;
  index: number;
}

function steps(s: Scenario): Step[] {
  return [
    ...s.setup.map((op, index) => ({ op, at: ['setup', index], cpu: -1, index })),
    ...s.cpus.flatMap((c, cpu) => c.ops.map((op, index) => ({ op, at: ['cpus', cpu, 'ops', index], cpu, index }))),
  ];
}

type Issue = (path: Path, message: string) => void;

function check_pages(s: Scenario, st: Step, issue: Issue): void {
  const op = st.op;
  if (op.op !== 'write' && op.op !== 'touch' && op.op !== 'reclaim' && op.op !== 'dontneed') return;
  const P = s.system.mmPages;
  const mapping = `system.mmPages is ${P} (pages 0-${P - 1})`;
  if (op.page >= P) return issue([...st.at, 'page'], `page ${op.page} is beyond the process's mapping: ${mapping}`);
  if (op.page + op.nr > P) return issue([...st.at, 'nr'], `pages ${op.page}-${op.page + op.nr - 1} run beyond the process's mapping: ${mapping}`);
  if ((op.op === 'write' || op.op === 'touch') && op.order > 0) {
    const size = 1 << op.order;
    const last = op.page + op.nr - 1;
    const start = last - (last % size);
    if (start + size > P) {
      issue([...st.at, 'order'], `an order-${op.order} folio is ${size} aligned pages: the one holding page ${last} is pages ${start}-${start + size - 1}, beyond the process's mapping: ${mapping}`);
    }
  }
}

function check_targets(s: Scenario, st: Step, issue: Issue): void {
  const op = st.op;
  const n = s.system.devices.length;
  if ((op.op === 'swapoff' || op.op === 'swapon') && op.device >= n) {
    issue([...st.at, 'device'], `no device ${op.device}: system.devices has ${n} (${n === 1 ? 'device 0' : `devices 0-${n - 1}`})`);
  }
  const cpus = Math.max(2, s.cpus.length);
  if (op.op === 'migrate' && op.cpu >= cpus) {
    issue([...st.at, 'cpu'], `no CPU ${op.cpu}: the system has ${cpus} CPUs, 0-${cpus - 1} (one per entry of cpus, at least 2)`);
  }
}

function check_labels(s: Scenario, all: Step[], issue: Issue): void {
  /* Where each label is created. */
  const created = new Map<string, { kind: LabelKind; step: Step }>();
  for (const st of all) {
    for (const c of op_creates(st.op)) {
      const prev = created.get(c.label);
      if (prev !== undefined) issue([...st.at, c.field], `label "${c.label}" is already created by ${json_path(prev.step.at)} (a label names one ${noun(prev.kind)}; pick another)`);
      else created.set(c.label, { kind: c.kind, step: st });
    }
  }
  const known = (k: LabelKind): string => {
    const l = [...created].filter(([, c]) => c.kind === k).map(([l]) => `"${l}"`);
    return l.length ? `the ${noun(k)} labels are ${l.join(', ')}` : `no operation creates a ${noun(k)} (${k === 'mm' ? 'mm or fork' : 'memcg'} {as})`;
  };
  /* Is @u, at @st, after the exits @exited of its sequence, a label that can ever be bound there? */
  const use = (u: LabelRef, st: Step, exited: Map<string, Path>): void => {
    const at = [...st.at, u.field];
    const c = created.get(u.label);
    if (c === undefined) return issue(at, `no ${noun(u.kind)} labelled "${u.label}": ${known(u.kind)}`);
    if (c.kind !== u.kind) return issue(at, `"${u.label}" is a ${noun(c.kind)} (${json_path(c.step.at)} creates it), not a ${noun(u.kind)}`);
    if (st.cpu === -1 && c.step.cpu !== -1) return issue(at, `"${u.label}" is created by ${json_path(c.step.at)}, which runs after setup`);
    if (c.step.cpu === st.cpu && c.step.index >= st.index) {
      return issue(at, `"${u.label}" is used before ${json_path(c.step.at)} creates it (${st.cpu === -1 ? 'setup' : "a CPU's script"} runs in order)`);
    }
    const gone = exited.get(u.label);
    if (gone !== undefined) issue(at, `"${u.label}" is used after ${json_path(gone)} exits it`);
  };
  const walk = (seq: Step[], exited: Map<string, Path>): Map<string, Path> => {
    for (const st of seq) {
      for (const u of op_uses(st.op)) use(u, st, exited);
      if (st.op.op === 'exit') exited.set(st.op.mm, st.at);
    }
    return exited;
  };
  const afterSetup = walk(all.filter((st) => st.cpu === -1), new Map());
  s.cpus.forEach((_, cpu) => walk(all.filter((st) => st.cpu === cpu), new Map(afterSetup)));
}

function check_room(s: Scenario, all: Step[], issue: Issue): void {
  const max = s.system.mms;
  let live = 0;
  let memcgs = 0;
  const memcgRoom = SCENARIO_MEMCG_IDS - FIRST_MEMCG_ID;
  let reported = false;
  for (const st of all) {
    const made = op_creates(st.op);
    const mms = made.filter((c) => c.kind === 'mm').length;
    memcgs += made.length - mms;
    if (made.length > mms && memcgs === memcgRoom + 1) issue(st.at, `creates cgroup ${memcgs}; a scenario has room for ${memcgRoom}`);
    /* Exits in setup free their mm for later steps; a CPU's exit may come after every other CPU's creations. */
    live += mms - (st.cpu === -1 && st.op.op === 'exit' ? 1 : 0);
    if (live > max && !reported) {
      reported = true;
      issue(st.at, st.cpu === -1
        ? `${live} processes alive after this step, more than system.mms (${max})`
        : `up to ${live} processes alive once this step returns (what setup leaves plus the CPUs' creations, as if no CPU exited first), more than system.mms (${max})`);
    }
  }
}

function check_filler(s: Scenario, issue: Issue): void {
  let left = 0;
  for (const op of s.setup) left += op_creates(op).filter((c) => c.kind === 'mm').length - (op.op === 'exit' ? 1 : 0);
  s.cpus.forEach((c, i) => {
    if (c.filler > 0 && left === 0) issue(['cpus', i, 'filler'], `random operations need a process: setup leaves none (create one with {"op": "mm", "as": "a"})`);
  });
}

function check_devices(s: Scenario, issue: Issue): void {
  const others = s.designs.filter((d) => d !== 'ghost');
  s.system.devices.forEach((d, i) => {
    if (d.kind === 'ghost' && others.length > 0) {
      issue(['system', 'devices', i, 'kind'], `a ghost swapfile exists only under the ghost design (seed 001 patches 13-15); designs also lists ${others.join(', ')}`);
    }
    if (d.kind === 'ghost' && d.pages <= SWAPFILE_CLUSTER) {
      issue(['system', 'devices', i, 'pages'], `a ghost swapfile of ${d.pages} pages has no slot to hand out: its first cluster (${SWAPFILE_CLUSTER} slots) holds the header and is never allocated from, so swapon refuses it; give it more than ${SWAPFILE_CLUSTER}`);
    }
    (d.badPages ?? []).forEach((b, k) => {
      if (d.kind === 'ghost') issue(['system', 'devices', i, 'badPages', k], 'a ghost swapfile has no bad-page list (it has no data pages)');
      else if (b >= d.pages) issue(['system', 'devices', i, 'badPages', k], `bad page ${b} is past the device's last page (${d.pages - 1}): swapon refuses it`);
    });
  });
}

/** Every whole-file check of @s; each problem one issue on @ctx at its field.  Context: the schema's superRefine. */
export function scenario_check(s: Scenario, ctx: z.RefinementCtx): void {
  const issue: Issue = (path, message) => ctx.addIssue({ code: 'custom', path, message });
  const all = steps(s);
  for (const st of all) {
    check_pages(s, st, issue);
    check_targets(s, st, issue);
  }
  check_labels(s, all, issue);
  check_room(s, all, issue);
  check_filler(s, issue);
  check_devices(s, issue);
}
