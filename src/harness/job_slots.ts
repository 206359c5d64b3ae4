/*
 * At most N asynchronous jobs at once (a counting semaphore for the main
 * thread's child processes: mutate's baselines under --jobs).
 *
 *   const slots = new JobSlots(2);
 *   await Promise.all(runs.map((r) => slots.run(() => run_child(...))));
 *
 * Jobs start in the order run() was called; a job that ends (returns or
 * throws) hands its slot straight to the first one waiting, so a caller
 * arriving meanwhile never slips in ahead of it.
 *
 * Context: one thread (its event loop); not shared between threads.
 */
export class JobSlots {
  #running = 0;
  #waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`JobSlots: size ${size}: a whole number >= 1`);
  }

  /** Run @job once a slot is free; its result or its error. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running < this.size) this.#running++;
    else await new Promise<void>((go) => this.#waiting.push(go));
    try {
      return await job();
    } finally {
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#running--;
    }
  }
}
