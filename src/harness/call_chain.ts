/*
 * Where a task was when a controlled run ended: the model functions on
 * its stack, innermost first, from the SchedAbort it unwound with - what
 * the kernel's hung-task and lockdep reports print as a backtrace.  A
 * deadlock or livelock report gives it per task ("at folio_lock <-
 * do_swap_page <- handle_mm_fault"), so a reader sees which loop a
 * livelocked swapoff was in without instrumenting the build.
 *
 * The stack is V8's text ("    at name (file:line:col)").  The frames
 * above the model (the scheduler's: the point and wait hooks) and below
 * it (the program running the operations, its worker) are left out; the
 * operation itself is already named in the task's dump.  Function names
 * only, so the chain reads the same from the modules and from a pack
 * (whose bundler may suffix a name that collides: "clean$1"); a method
 * of an object (a design's operations) loses V8's "Object." prefix.
 *
 * Context: main thread, after the run (harness/controlled_run.ts).
 */

/* The scheduler's frames above the model's: its hooks and the point/wait entry points the model calls. */
const SCHED_FRAMES = new Set(['wait_turn', 'turn_sleep', 'turn_spin', 'schedule', 'on_point', 'on_wait', 'point', '__point', '__sched_wait', 'sched_wait', 'sched_wait_event', 'sched_wait_until']);

/* The first frames below the model's: the scenario program's operation loop. */
const PROGRAM_FRAMES = new Set(['exec_op', 'exec_op_ids']);

/** At most this many model frames in a chain. */
export const CALL_CHAIN_MAX = 16;

/* The function name of one stack line, or null (an anonymous function, or not a frame). */
function frame_name(line: string): string | null {
  const m = /^\s*at (?:async )?([^\s(]+) \(/.exec(line);
  if (m === null) return null;
  return m[1].replace(/^(?:Object|Module)\./, '').replace(/\$\d+$/, '');
}

/**
 * model_call_chain(): the model functions on @stack (an Error's stack
 * text), innermost first, at most CALL_CHAIN_MAX; [] when there is none
 * (no stack, or a task that was not in model code: the I/O completion
 * task waiting for its next bio).
 */
export function model_call_chain(stack: string | undefined): string[] {
  if (stack === undefined) return [];
  const lines = stack.split('\n').filter((l) => /^\s*at /.test(l));
  let i = 0;
  while (i < lines.length && SCHED_FRAMES.has(frame_name(lines[i]) ?? '')) i++;
  const chain: string[] = [];
  for (; i < lines.length && chain.length < CALL_CHAIN_MAX; i++) {
    const name = frame_name(lines[i]);
    if (name === null || PROGRAM_FRAMES.has(name)) break;
    chain.push(name);
  }
  return chain;
}
