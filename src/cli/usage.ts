/*
 * Bad usage: the message as one line on stderr and exit status 2
 * (commander's cmd.error, code swaptorture.usage); it never returns.
 *
 * Context: a subcommand's action.
 */
import type { Command } from 'commander';

/** The bad-usage exit of @cmd's action: call it with the message. */
export function usage_error(cmd: Command): (msg: string) => never {
  return (msg: string): never => cmd.error(msg, { exitCode: 2, code: 'swaptorture.usage' });
}
