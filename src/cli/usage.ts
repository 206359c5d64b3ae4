/*
 * Bad usage: the message as one line on stderr and exit status 2
 * (commander's cmd.error, code swaptorture.usage); it never returns.
 *
 * Context: a subcommand's action.
 */
import { InvalidArgumentError, type Command } from 'commander';

/** The bad-usage exit of @cmd's action: call it with the message. */
export function usage_error(cmd: Command): (msg: string) => never {
  return (msg: string): never => cmd.error(msg, { exitCode: 2, code: 'swaptorture.usage' });
}

/** A commander option parser: a whole number from @min to @max (otherwise commander's usage error, exit 2). */
export function int(min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return Number(v);
  };
}
