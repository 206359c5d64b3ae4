/*
 * A one-line progress bar on stderr, redrawn in place; only on a terminal
 * and never in CI (the caller decides), cleared before any other output
 * so it never interleaves with reports.
 */
export class ProgressBar {
  #shown = false;
  constructor(private readonly write: (s: string) => void, private readonly width = 24) {}

  update(fraction: number, text: string): void {
    const f = Math.max(0, Math.min(1, fraction));
    const n = Math.round(f * this.width);
    this.write(`\r[${'#'.repeat(n)}${'.'.repeat(this.width - n)}] ${text}\x1b[K`);
    this.#shown = true;
  }

  clear(): void {
    if (!this.#shown) return;
    this.write('\r\x1b[K');
    this.#shown = false;
  }
}
