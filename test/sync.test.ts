/*
 * src/sync/ on one thread: several tasks played in turn with setCurrent(),
 * the way the kernel's lockdep selftests (lib/locking-selftest.c) drive
 * "two CPUs" from one context.  Every lockdep-lite rule is broken once and
 * must show up in read_reports(); every primitive's contract is checked.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { A, attach, createArena, type ArenaHandle } from '../src/shm/arena.js';
import { clear_reports, KernelBug, nr_reports, read_reports, set_panic_on_warn } from '../src/shm/report.js';
import { setCurrent, smp_processor_id, task_init, request_migration, taskWord } from '../src/shm/task.js';
import {
  lockClass,
  lockdep_assert_held,
  lockdep_reset,
  lockdep_set_enabled,
  lock_is_held,
  held_locks,
} from '../src/sync/lockdep.js';
import { spin_is_locked, spin_lock, spin_owner, spin_trylock, spin_unlock } from '../src/sync/spinlock.js';
import { mutex_is_locked, mutex_lock, mutex_owner, mutex_trylock, mutex_unlock } from '../src/sync/mutex.js';
import { might_sleep } from '../src/sync/might_sleep.js';
import {
  complete,
  complete_all,
  completion_done,
  init_completion,
  reinit_completion,
  try_wait_for_completion,
  wait_for_completion,
} from '../src/sync/completion.js';
import {
  percpu_ref_get,
  percpu_ref_init,
  percpu_ref_is_dying,
  percpu_ref_is_zero,
  percpu_ref_kill,
  percpu_ref_put,
  percpu_ref_resurrect,
  percpu_ref_tryget_live,
  REF_COMP,
  REF_COUNT,
} from '../src/sync/percpu_ref.js';
import {
  call_rcu,
  poll_state_synchronize_rcu,
  rcu_assign_pointer,
  rcu_barrier,
  rcu_dereference,
  rcu_do_batch,
  rcu_pending,
  rcu_read_lock,
  rcu_read_lock_held,
  rcu_read_unlock,
  RCU_LOCKDEP_WARN,
  register_rcu_callback,
  start_poll_synchronize_rcu,
  synchronize_rcu,
} from '../src/sync/rcu.js';
import { barrier_init, barrier_wait } from '../src/sync/barrier.js';
import { local_lock, local_lock_assert_held, local_unlock } from '../src/sync/local_lock.js';
import { selftest_scratch } from '../src/harness/torture.js';
import { TASK } from '../src/shm/layout.js';
import { lockstat_read } from '../src/sync/lockstat.js';
import { pointId } from '../src/sync/point.js';

const LA = lockClass('test_lock_a');
const LB = lockClass('test_lock_b');
const LC = lockClass('test_lock_c');

let h: ArenaHandle;
/* Scratch words for selftests (the backing region; no swap device is on). */
let S = 0;
const LOCK_A = (): number => S + 0;
const LOCK_B = (): number => S + 16;
const LOCK_C = (): number => S + 32;
const LOCK_A2 = (): number => S + 48;
const WORD = (): number => S + 64;

function reports(): string[] {
  return read_reports().map((r) => `${r.invariant}: ${r.message}`);
}

beforeAll(() => {
  h = createArena({ nrCpus: 4, nrTasks: 4, maxSwapPages: 1024, nrPages: 16, nrFrames: 64, nrMms: 2, mmPages: 512 });
  attach(h);
  S = selftest_scratch(256);
});

beforeEach(() => {
  A_fill0();
  for (let t = 0; t < 4; t++) task_init(t, t);
  setCurrent(0);
  lockdep_set_enabled(true);
  lockdep_reset();
  clear_reports();
  set_panic_on_warn(false);
});

function A_fill0(): void {
  new Int32Array(h.sab).fill(0, S, S + 256);
}

describe('spinlock', () => {
  it('lock/unlock: word holds holder+1, held-lock stack and preempt count follow', () => {
    setCurrent(2);
    spin_lock(LOCK_A(), LA);
    expect(spin_is_locked(LOCK_A())).toBe(true);
    expect(spin_owner(LOCK_A())).toBe(2);
    expect(lock_is_held(LOCK_A())).toBe(true);
    expect(held_locks(2)).toEqual([{ lock: LOCK_A(), cls: 'test_lock_a' }]);
    expect(new Int32Array(h.sab)[taskWord(2, TASK.spin_depth)]).toBe(1);
    spin_unlock(LOCK_A());
    expect(spin_is_locked(LOCK_A())).toBe(false);
    expect(held_locks(2)).toEqual([]);
    expect(new Int32Array(h.sab)[taskWord(2, TASK.spin_depth)]).toBe(0);
    expect(nr_reports()).toBe(0);
  });

  it('a thread that attaches another arena plays its task there: the fast paths find the task\'s words in the new layout', () => {
    setCurrent(2);
    const h2 = createArena({ nrCpus: 3, nrTasks: 6, maxSwapPages: 2048, nrPages: 32, nrFrames: 128, nrMms: 3, mmPages: 256 });
    const old = new Int32Array(h.sab);
    const oldTask = A.L.task;
    const oldWords = [TASK.spin_depth, TASK.last_point, TASK.rcu_read_lock_nesting].map((f) => taskWord(2, f));
    const before = oldWords.map((w) => old[w]);
    attach(h2);
    try {
      expect(A.L.task).not.toBe(oldTask);
      for (let t = 0; t < 6; t++) task_init(t, t % 3);
      lockdep_reset();
      const lock = selftest_scratch(16);
      const acquired = lockstat_read(2, LA).acquired;
      spin_lock(lock, LA);
      const i32 = new Int32Array(h2.sab);
      expect(i32[taskWord(2, TASK.spin_depth)]).toBe(1);
      expect(i32[taskWord(2, TASK.last_point)]).toBe(pointId('spin_lock'));
      expect(held_locks(2)).toEqual([{ lock, cls: 'test_lock_a' }]);
      spin_unlock(lock);
      rcu_read_lock();
      expect(i32[taskWord(2, TASK.rcu_read_lock_nesting)]).toBe(1);
      rcu_read_unlock();
      expect(i32[taskWord(2, TASK.spin_depth)]).toBe(0);
      expect(lockstat_read(2, LA).acquired).toBe(acquired + 1);
      expect(smp_processor_id()).toBe(2);
      expect(oldWords.map((w) => old[w])).toEqual(before);
    } finally {
      attach(h);
    }
    expect(A.L.task).toBe(oldTask);
    spin_lock(LOCK_A(), LA);
    expect(new Int32Array(h.sab)[taskWord(2, TASK.spin_depth)]).toBe(1);
    spin_unlock(LOCK_A());
    expect(nr_reports()).toBe(0);
  });

  it('trylock fails while another task holds the lock, succeeds after', () => {
    spin_lock(LOCK_A(), LA);
    setCurrent(1);
    expect(spin_trylock(LOCK_A(), LA)).toBe(false);
    setCurrent(0);
    spin_unlock(LOCK_A());
    setCurrent(1);
    expect(spin_trylock(LOCK_A(), LA)).toBe(true);
    expect(spin_owner(LOCK_A())).toBe(1);
    spin_unlock(LOCK_A());
    expect(nr_reports()).toBe(0);
  });

  it('unlock by a non-holder is reported and leaves the lock held', () => {
    spin_lock(LOCK_A(), LA);
    setCurrent(1);
    spin_unlock(LOCK_A());
    expect(spin_owner(LOCK_A())).toBe(0);
    expect(reports()).toEqual([expect.stringMatching(/^lock-discipline: BUG: spinlock wrong owner on unlock: .* held by task 0, unlocked by task 1/)]);
    setCurrent(0);
    spin_unlock(LOCK_A());
    expect(spin_is_locked(LOCK_A())).toBe(false);
  });

  it('unlock of an unlocked spinlock is reported', () => {
    spin_unlock(LOCK_A());
    expect(reports()).toEqual([expect.stringMatching(/spinlock wrong owner on unlock: .* held by nobody/)]);
  });

  it('re-taking a held spinlock is "spinlock recursion": reported once, then BUG() stops the CPU', () => {
    spin_lock(LOCK_A(), LA);
    let bug: unknown;
    try {
      spin_lock(LOCK_A(), LA);
    } catch (e) {
      bug = e;
    }
    expect(bug).toBeInstanceOf(KernelBug);
    expect((bug as KernelBug).violation.invariant).toBe('lock-discipline');
    expect(reports()).toEqual([expect.stringMatching(/^lock-discipline: BUG: spinlock recursion on test_lock_a .*task 0$/)]);
    /* The first acquisition stands: the lock is still ours, once. */
    expect(spin_owner(LOCK_A())).toBe(0);
    expect(held_locks(0)).toEqual([{ lock: LOCK_A(), cls: 'test_lock_a' }]);
    spin_unlock(LOCK_A());
    expect(nr_reports()).toBe(1);
  });

  it('panic_on_warn turns a report into a KernelBug carrying the violation', () => {
    set_panic_on_warn(true);
    try {
      spin_unlock(LOCK_A());
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(KernelBug);
      expect((e as KernelBug).violation.invariant).toBe('lock-discipline');
      expect((e as KernelBug).violation.task).toBe(0);
    }
  });
});

describe('mutex', () => {
  it('lock/unlock/trylock and owner', () => {
    setCurrent(3);
    mutex_lock(LOCK_B(), LB);
    expect(mutex_is_locked(LOCK_B())).toBe(true);
    expect(mutex_owner(LOCK_B())).toBe(3);
    setCurrent(1);
    expect(mutex_trylock(LOCK_B(), LB)).toBe(false);
    setCurrent(3);
    mutex_unlock(LOCK_B());
    expect(mutex_is_locked(LOCK_B())).toBe(false);
    setCurrent(1);
    expect(mutex_trylock(LOCK_B(), LB)).toBe(true);
    expect(mutex_owner(LOCK_B())).toBe(1);
    mutex_unlock(LOCK_B());
    expect(nr_reports()).toBe(0);
  });

  it('unlock by a non-holder is reported and leaves the mutex held', () => {
    mutex_lock(LOCK_B(), LB);
    setCurrent(2);
    mutex_unlock(LOCK_B());
    expect(mutex_owner(LOCK_B())).toBe(0);
    expect(reports()).toEqual([expect.stringMatching(/DEBUG_LOCKS_WARN_ON\(__owner_task\(owner\) != current\).*unlocked by task 2, owner 0/)]);
    setCurrent(0);
    mutex_unlock(LOCK_B());
  });

  it('recursive mutex_lock is reported (and does not deadlock)', () => {
    mutex_lock(LOCK_B(), LB);
    mutex_lock(LOCK_B(), LB);
    expect(reports()).toEqual([expect.stringMatching(/BUG: mutex recursion: task 0 already holds mutex/)]);
    mutex_unlock(LOCK_B());
    expect(mutex_is_locked(LOCK_B())).toBe(false);
  });
});

describe('lockdep-lite', () => {
  it('AB-BA across two tasks: "possible circular locking dependency detected"', () => {
    setCurrent(0);
    spin_lock(LOCK_A(), LA);
    spin_lock(LOCK_B(), LB);
    spin_unlock(LOCK_B());
    spin_unlock(LOCK_A());
    expect(nr_reports()).toBe(0);
    setCurrent(1);
    spin_lock(LOCK_B(), LB);
    spin_lock(LOCK_A(), LA);
    expect(reports()).toEqual([
      expect.stringMatching(/^lock-discipline: possible circular locking dependency detected: test_lock_a acquired while holding test_lock_b/),
    ]);
    spin_unlock(LOCK_A());
    spin_unlock(LOCK_B());
  });

  it('a three-lock cycle (a->b, b->c, c->a) is found through the dependency path', () => {
    spin_lock(LOCK_A(), LA);
    spin_lock(LOCK_B(), LB);
    spin_unlock(LOCK_B());
    spin_unlock(LOCK_A());
    setCurrent(1);
    spin_lock(LOCK_B(), LB);
    spin_lock(LOCK_C(), LC);
    spin_unlock(LOCK_C());
    spin_unlock(LOCK_B());
    expect(nr_reports()).toBe(0);
    setCurrent(2);
    spin_lock(LOCK_C(), LC);
    spin_lock(LOCK_A(), LA);
    expect(reports()).toEqual([expect.stringMatching(/circular locking dependency detected: test_lock_a acquired while holding test_lock_c/)]);
    spin_unlock(LOCK_A());
    spin_unlock(LOCK_C());
  });

  it('the same order twice is fine; trylock records no dependency', () => {
    for (const t of [0, 1]) {
      setCurrent(t);
      spin_lock(LOCK_A(), LA);
      spin_lock(LOCK_B(), LB);
      spin_unlock(LOCK_B());
      spin_unlock(LOCK_A());
    }
    setCurrent(2);
    spin_lock(LOCK_C(), LC);
    expect(spin_trylock(LOCK_A(), LA)).toBe(true);
    spin_unlock(LOCK_A());
    spin_unlock(LOCK_C());
    /* c -> a was a trylock: taking a then c must not be a cycle. */
    spin_lock(LOCK_A(), LA);
    spin_lock(LOCK_C(), LC);
    spin_unlock(LOCK_C());
    spin_unlock(LOCK_A());
    expect(nr_reports()).toBe(0);
  });

  it('two locks of one class without a nesting annotation: "possible recursive locking detected"', () => {
    spin_lock(LOCK_A(), LA);
    spin_lock(LOCK_A2(), LA);
    expect(reports()).toEqual([expect.stringMatching(/^lock-discipline: possible recursive locking detected: two test_lock_a held without nesting annotation/)]);
    spin_unlock(LOCK_A2());
    spin_unlock(LOCK_A());
    clear_reports();
    spin_lock(LOCK_A(), LA);
    spin_lock(LOCK_A2(), LA, true); /* spin_lock_nested() */
    spin_unlock(LOCK_A2());
    spin_unlock(LOCK_A());
    expect(nr_reports()).toBe(0);
  });

  it('lockdep_assert_held() fails when the task does not hold the lock (another task does)', () => {
    spin_lock(LOCK_A(), LA);
    lockdep_assert_held(LOCK_A(), 'test_lock_a');
    expect(nr_reports()).toBe(0);
    setCurrent(1);
    lockdep_assert_held(LOCK_A(), 'test_lock_a');
    expect(reports()).toEqual([expect.stringMatching(/WARNING: lockdep_assert_held\(test_lock_a\) failed: task 1 does not hold word/)]);
    setCurrent(0);
    spin_unlock(LOCK_A());
  });

  it('might_sleep() with a spinlock held: "sleeping function called from invalid context"', () => {
    spin_lock(LOCK_A(), LA);
    might_sleep('test');
    expect(reports()).toEqual([expect.stringMatching(/^lock-discipline: BUG: sleeping function called from invalid context at test: in_atomic\(\): 1, preempt_count 1/)]);
    clear_reports();
    mutex_lock(LOCK_B(), LB); /* mutex_lock() may sleep */
    expect(reports()).toEqual([expect.stringMatching(/sleeping function called from invalid context at mutex_lock/)]);
    mutex_unlock(LOCK_B());
    spin_unlock(LOCK_A());
  });

  it('might_sleep() inside rcu_read_lock(): "Voluntary context switch within RCU read-side critical section"', () => {
    rcu_read_lock();
    might_sleep('test');
    rcu_read_unlock();
    expect(reports()).toEqual([expect.stringMatching(/^lock-discipline: WARNING: Voluntary context switch within RCU read-side critical section at test/)]);
  });

  it('local_lock is a spinlock on this CPU: sleeping under it is reported too', () => {
    const cpu = local_lock();
    expect(cpu).toBe(smp_processor_id());
    local_lock_assert_held();
    expect(nr_reports()).toBe(0);
    might_sleep('local');
    expect(reports()).toEqual([expect.stringMatching(/sleeping function called from invalid context at local/)]);
    local_unlock();
  });

  it('with lockdep off, order violations are not checked (raw primitive speed)', () => {
    lockdep_set_enabled(false);
    spin_lock(LOCK_A(), LA);
    spin_lock(LOCK_B(), LB);
    spin_unlock(LOCK_B());
    spin_unlock(LOCK_A());
    setCurrent(1);
    spin_lock(LOCK_B(), LB);
    spin_lock(LOCK_A(), LA);
    spin_unlock(LOCK_A());
    spin_unlock(LOCK_B());
    lockdep_set_enabled(true);
    expect(nr_reports()).toBe(0);
  });

  it('a task migrates at might_sleep() only when nothing pins it', () => {
    request_migration(0, 2);
    spin_lock(LOCK_A(), LA);
    might_sleep('pinned');
    expect(smp_processor_id()).toBe(0);
    spin_unlock(LOCK_A());
    clear_reports();
    might_sleep('free');
    expect(smp_processor_id()).toBe(2);
    expect(nr_reports()).toBe(0);
  });
});

describe('completion', () => {
  it('complete() lets exactly one wait pass; complete_all() every wait until reinit', () => {
    const c = WORD();
    init_completion(c);
    expect(completion_done(c)).toBe(false);
    expect(try_wait_for_completion(c)).toBe(false);
    complete(c);
    expect(completion_done(c)).toBe(true);
    wait_for_completion(c);
    expect(try_wait_for_completion(c)).toBe(false);
    complete(c);
    complete(c);
    expect(try_wait_for_completion(c)).toBe(true);
    expect(try_wait_for_completion(c)).toBe(true);
    expect(try_wait_for_completion(c)).toBe(false);
    complete_all(c);
    for (let i = 0; i < 5; i++) wait_for_completion(c);
    reinit_completion(c);
    expect(try_wait_for_completion(c)).toBe(false);
    expect(nr_reports()).toBe(0);
  });
});

describe('percpu_ref', () => {
  it('tryget_live works while live and fails after kill; the last put completes the release', () => {
    const ref = WORD();
    percpu_ref_init(ref);
    expect(percpu_ref_tryget_live(ref)).toBe(true); /* count 2 */
    percpu_ref_get(ref); /* count 3 */
    percpu_ref_kill(ref); /* dead, count 2 */
    expect(percpu_ref_is_dying(ref)).toBe(true);
    expect(percpu_ref_tryget_live(ref)).toBe(false);
    expect(percpu_ref_is_zero(ref)).toBe(false);
    expect(try_wait_for_completion(ref + REF_COMP)).toBe(false);
    percpu_ref_put(ref);
    expect(try_wait_for_completion(ref + REF_COMP)).toBe(false);
    percpu_ref_put(ref); /* the release */
    expect(percpu_ref_is_zero(ref)).toBe(true);
    wait_for_completion(ref + REF_COMP);
    expect(percpu_ref_tryget_live(ref)).toBe(false);
    expect(nr_reports()).toBe(0);
    percpu_ref_resurrect(ref);
    expect(percpu_ref_tryget_live(ref)).toBe(true);
    percpu_ref_put(ref);
  });

  it('in per-CPU mode: gets and puts on different CPUs sum up at kill; the release waits for the last put', () => {
    const ref = WORD();
    percpu_ref_init(ref, 5);
    setCurrent(0);
    task_init(0, 0);
    expect(percpu_ref_tryget_live(ref)).toBe(true); /* on cpu 0 */
    expect(percpu_ref_tryget_live(ref)).toBe(true);
    task_init(0, 1); /* migrated */
    percpu_ref_put(ref); /* on cpu 1: its counter goes negative */
    expect(Atomics.load(A.i32, ref + REF_COUNT)).toBe(1 + (1 << 29)); /* untouched in per-CPU mode: 1 + PERCPU_COUNT_BIAS */
    percpu_ref_kill(ref); /* folds +2 -1 into the count, drops the initial ref: 1 left */
    expect(percpu_ref_is_dying(ref)).toBe(true);
    expect(percpu_ref_is_zero(ref)).toBe(false);
    expect(percpu_ref_tryget_live(ref)).toBe(false);
    expect(try_wait_for_completion(ref + REF_COMP)).toBe(false);
    percpu_ref_put(ref);
    expect(percpu_ref_is_zero(ref)).toBe(true);
    wait_for_completion(ref + REF_COMP);
    percpu_ref_resurrect(ref); /* back in per-CPU mode */
    expect(percpu_ref_tryget_live(ref)).toBe(true);
    expect(Atomics.load(A.i32, ref + REF_COUNT)).toBe(1 + (1 << 29));
    percpu_ref_put(ref);
    task_init(0, 0);
    expect(nr_reports()).toBe(0);
  });

  it('a second kill and a put past zero are reported', () => {
    const ref = WORD();
    percpu_ref_init(ref);
    percpu_ref_kill(ref);
    percpu_ref_kill(ref);
    percpu_ref_put(ref);
    expect(reports()).toEqual([
      expect.stringMatching(/^device-lifetime: percpu_ref_kill\(\) called more than once/),
      expect.stringMatching(/^device-lifetime: percpu_ref_put underflow: count -1/),
    ]);
  });
});

describe('rcu', () => {
  it('rcu_read_unlock() without rcu_read_lock() is reported', () => {
    rcu_read_unlock();
    expect(reports()).toEqual([expect.stringMatching(/^rcu: rcu_read_unlock\(\) without rcu_read_lock\(\), task 0/)]);
  });

  it('RCU_LOCKDEP_WARN: a function that needs a read-side section, called outside one, is suspicious RCU usage (PROVE_RCU); inside one, or with lockdep off, nothing', () => {
    RCU_LOCKDEP_WARN(!rcu_read_lock_held(), 'f() outside an RCU read-side critical section');
    expect(reports()).toEqual([expect.stringMatching(/^rcu: WARNING: suspicious RCU usage: f\(\) outside an RCU read-side critical section, task 0/)]);
    clear_reports();
    rcu_read_lock();
    RCU_LOCKDEP_WARN(!rcu_read_lock_held(), 'f() outside an RCU read-side critical section');
    rcu_read_unlock();
    lockdep_set_enabled(false);
    RCU_LOCKDEP_WARN(!rcu_read_lock_held(), 'f() outside an RCU read-side critical section');
    lockdep_set_enabled(true);
    expect(nr_reports()).toBe(0);
  });

  it('nesting: the section ends at the outermost unlock', () => {
    rcu_read_lock();
    rcu_read_lock();
    rcu_read_unlock();
    expect(rcu_read_lock_held()).toBe(true);
    rcu_read_unlock();
    expect(rcu_read_lock_held()).toBe(false);
    expect(nr_reports()).toBe(0);
  });

  it('a reader that started before the cookie blocks poll_state until it leaves', () => {
    setCurrent(1);
    rcu_read_lock();
    setCurrent(0);
    const cookie = start_poll_synchronize_rcu();
    expect(poll_state_synchronize_rcu(cookie)).toBe(false);
    setCurrent(1);
    rcu_read_lock(); /* nested: still the old section */
    rcu_read_unlock();
    setCurrent(0);
    expect(poll_state_synchronize_rcu(cookie)).toBe(false);
    setCurrent(1);
    rcu_read_unlock();
    setCurrent(0);
    expect(poll_state_synchronize_rcu(cookie)).toBe(true);
  });

  it('a reader that started after the cookie does not block it', () => {
    const cookie = start_poll_synchronize_rcu();
    setCurrent(1);
    rcu_read_lock();
    setCurrent(0);
    expect(poll_state_synchronize_rcu(cookie)).toBe(true);
    /* ... but it does block the next grace period. */
    const next = start_poll_synchronize_rcu();
    expect(poll_state_synchronize_rcu(next)).toBe(false);
    setCurrent(1);
    rcu_read_unlock();
    setCurrent(0);
    expect(poll_state_synchronize_rcu(next)).toBe(true);
  });

  it('synchronize_rcu() returns at once with no reader; rcu_assign_pointer/rcu_dereference round-trip', () => {
    const p = WORD();
    rcu_assign_pointer(p, 42);
    synchronize_rcu();
    rcu_read_lock();
    expect(rcu_dereference(p)).toBe(42);
    rcu_read_unlock();
    expect(nr_reports()).toBe(0);
  });

  it('call_rcu() runs its callback only after the reader leaves, in queue order', () => {
    const ran: number[] = [];
    register_rcu_callback(250, (arg) => ran.push(arg));
    setCurrent(1);
    rcu_read_lock();
    setCurrent(0);
    call_rcu(250, 7);
    call_rcu(250, 8);
    expect(rcu_pending()).toBe(2);
    expect(rcu_do_batch()).toBe(0);
    expect(ran).toEqual([]);
    setCurrent(1);
    rcu_read_unlock();
    setCurrent(0);
    expect(rcu_do_batch()).toBe(2);
    expect(ran).toEqual([7, 8]);
    expect(rcu_pending()).toBe(0);
    expect(nr_reports()).toBe(0);
  });

  it('rcu_barrier() waits for every callback queued before it', () => {
    const ran: number[] = [];
    register_rcu_callback(251, (arg) => ran.push(arg));
    for (let i = 0; i < 10; i++) call_rcu(251, i);
    rcu_barrier();
    expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rcu_pending()).toBe(0);
    expect(nr_reports()).toBe(0);
  });

  describe('a full callback ring (rcuCallbacks 4)', () => {
    /* Its own small arena; the suite's arena is attached again afterwards. */
    function withSmallRing(fn: () => void): void {
      const small = createArena({ nrCpus: 2, nrTasks: 2, maxSwapPages: 1024, nrPages: 16, nrFrames: 64, nrMms: 2, mmPages: 512, rcuCallbacks: 4 });
      attach(small);
      try {
        for (let t = 0; t < 2; t++) task_init(t, t);
        setCurrent(0);
        fn();
      } finally {
        attach(h);
      }
    }
    const lock = (): number => selftest_scratch(256);

    it('in process context: call_rcu() makes room with rcu_barrier(), nothing reported', () => {
      withSmallRing(() => {
        const ran: number[] = [];
        register_rcu_callback(253, (arg) => ran.push(arg));
        for (let i = 0; i < 6; i++) call_rcu(253, i);
        expect(ran).toEqual([0, 1, 2, 3]);
        rcu_barrier();
        expect(ran).toEqual([0, 1, 2, 3, 4, 5]);
        expect(reports()).toEqual([]);
      });
    });

    it('under a spinlock: call_rcu() never sleeps; one "rcu" report, it busy-waits for the grace period', () => {
      withSmallRing(() => {
        const ran: number[] = [];
        register_rcu_callback(253, (arg) => ran.push(arg));
        for (let i = 0; i < 4; i++) call_rcu(253, i);
        spin_lock(lock(), LA);
        call_rcu(253, 4);
        call_rcu(253, 5);
        spin_unlock(lock());
        /* No "sleeping function called from invalid context": the WARN, once. */
        expect(reports()).toEqual([expect.stringMatching(/^rcu: call_rcu: callback ring full \(4\) in atomic context, task 0/)]);
        /* Room was made by running every callback whose grace period ended. */
        expect(ran).toEqual([0, 1, 2, 3]);
        rcu_barrier();
        expect(ran).toEqual([0, 1, 2, 3, 4, 5]);
      });
    });

    it('inside the read-side section its oldest callback waits for: BUG(), not a hang', () => {
      withSmallRing(() => {
        register_rcu_callback(253, () => {});
        rcu_read_lock();
        for (let i = 0; i < 4; i++) call_rcu(253, i);
        expect(() => call_rcu(253, 4)).toThrow(KernelBug);
        rcu_read_unlock();
        expect(reports().at(-1)).toMatch(/^rcu: call_rcu: callback ring full and its oldest grace period waits for the read-side section of the caller, task 0/);
        expect(reports().some((r) => /Voluntary context switch|sleeping function/.test(r))).toBe(false);
        rcu_barrier();
        expect(rcu_pending()).toBe(0);
      });
    });
  });

  it('a callback kind with no handler in this thread is reported, never dropped silently', () => {
    call_rcu(252, 1);
    rcu_barrier();
    expect(reports()).toEqual([expect.stringMatching(/^rcu: RCU callback kind 252 has no handler in this thread/)]);
  });
});

describe('barrier', () => {
  it('the last task to arrive is the serial one; the barrier is reusable', () => {
    const b = WORD();
    barrier_init(b);
    expect(barrier_wait(b, 1)).toBe(true);
    expect(barrier_wait(b, 1)).toBe(true);
    const i32 = new Int32Array(h.sab);
    expect(i32[b]).toBe(0);
    expect(i32[b + 1]).toBe(2);
  });
});
