/*
 * Ctrl-C during a long command (stress, fuzz): the first SIGINT prints
 * @why on stderr and aborts the returned signal - the command winds down
 * and keeps what it has; a second exits 130 at once.
 *
 * Context: main thread; off() when the command is done.
 */
export function sigint_abort(err: (s: string) => void, why: string): { signal: AbortSignal; off: () => void } {
  const ac = new AbortController();
  let sigints = 0;
  const onSigint = (): void => {
    if (++sigints > 1) process.exit(130);
    err(why);
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: ac.signal, off: () => process.off('SIGINT', onSigint) };
}
