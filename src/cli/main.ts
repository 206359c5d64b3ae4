/*
 * The `swaptorture` command (bin/swaptorture.js calls main() and sets
 * process.exitCode from what it returns).
 *
 * Exit status (docs/cli.md): 0 clean, 1 an invariant broke,
 * 2 bad usage or config, 3 the harness itself failed (bin/ maps a thrown
 * error to 3).
 *
 * Adding a subcommand: one file per command, src/cli/<name>.ts exporting
 * register<Name>(program: Command), called below.  Inside it:
 *   - `program.command('<name>')...action((args..., opts, cmd) => ...)`;
 *     the action (sync or async) returns its exit status (a number;
 *     returning nothing means 0);
 *   - a usage/config error: `cmd.error('<what was wrong>', { exitCode: 2,
 *     code: 'swaptorture.usage' })` - printed as one line
 *     `swaptorture <name>: <what was wrong>` on stderr (it throws);
 *   - output: `cmd.configureOutput().writeOut!(text)` (stdout) and
 *     `.writeErr!(text)` (stderr), so tests can capture both.
 * Commander's own usage errors (unknown option, missing argument, ...)
 * become exit 2 with the same one-line format; --help and -V/--version
 * exit 0.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { modules_wanted } from '../harness/pack.js';
import { model_env_problem } from '../shm/env.js';

type Register = (program: Command) => void;

/*
 * The subcommands, loaded on demand: a run loads only the module graph of
 * the command it runs (the whole model and harness took ~0.2 s of module
 * loading for every invocation, even `decode`); --help and unknown
 * commands load them all.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  decode: async () => (await import('./decode.js')).registerDecode,
  stress: async () => (await import('./stress.js')).registerStress,
  repro: async () => (await import('./repro.js')).registerRepro,
  memory: async () => (await import('./memory.js')).registerMemory,
  bench: async () => (await import('./bench.js')).registerBench,
  fuzz: async () => (await import('./fuzz.js')).registerFuzz,
  explore: async () => (await import('./explore.js')).registerExplore,
  mutate: async () => (await import('./mutate.js')).registerMutate,
};

/*
 * Actions may return their exit status.  Commander's typing says
 * `void | Promise<void>`; SwaptortureCommand.action() below collects the
 * number, so widen the type for every command of this program.
 */
declare module 'commander' {
  interface Command {
    action(fn: (this: this, ...args: any[]) => number | void | Promise<number | void>): this;
  }
}

/**
 * Command whose subcommands (created through .command()) record the exit
 * status their action returns on the root command, and print errors as
 * one line prefixed with the command path.
 */
class SwaptortureCommand extends Command {
  actionExitCode = 0;

  override createCommand(name?: string): Command {
    return new SwaptortureCommand(name);
  }

  override action(fn: (this: this, ...args: any[]) => number | void | Promise<number | void>): this {
    const userFn = fn as (this: Command, ...args: unknown[]) => unknown;
    return super.action(async function (this: Command, ...args: unknown[]) {
      const ret: unknown = await userFn.apply(this, args);
      let root: Command = this;
      while (root.parent) root = root.parent;
      if (root instanceof SwaptortureCommand)
        root.actionExitCode = typeof ret === 'number' ? ret : 0;
    });
  }

  override copyInheritedSettings(source: Command): this {
    super.copyInheritedSettings(source);
    this.configureOutput({ outputError: (str, write) => write(oneLine(this, str)) });
    return this;
  }
}

/** `swaptorture decode: <message>`: commander's "error: " dropped, newlines folded. */
function oneLine(cmd: Command, str: string): string {
  const path: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) path.unshift(c.name());
  const msg = str.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim();
  return `${path.join(' ')}: ${msg}\n`;
}

/**
 * The "version" of this package's package.json, read at run time: the
 * package root is two levels above this file in the source tree
 * (src/cli/main.ts) and three in the build (dist/src/cli/main.js).
 */
function package_version(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = new URL(fromSource ? '../../package.json' : '../../../package.json', import.meta.url);
  const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string') throw new Error(`${fileURLToPath(file)}: no "version" string`);
  return version;
}

/** The command line, with subcommand @only (every one when null, none when ''). */
export async function createProgram(only: string | null = null): Promise<Command> {
  const program = new SwaptortureCommand('swaptorture');
  program
    .description('multi-threaded torture testbed for the Linux swap table')
    .version(package_version(), '-V, --version', 'print the swaptorture version and exit')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      outputError: (str, write) => write(oneLine(program, str)),
    })
    .addHelpText('after', '\nExit status: 0 clean, 1 an invariant broke, 2 bad usage or config, 3 harness failure, 130 interrupted.');
  const names = only === '' ? [] : only !== null && only in COMMANDS ? [only] : Object.keys(COMMANDS);
  for (const register of await Promise.all(names.map((n) => COMMANDS[n]()))) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  /* The environment's own settings are configuration too: a bad one is exit 2 before any work. */
  try {
    modules_wanted(process.env, []);
  } catch (err) {
    process.stderr.write(`swaptorture: ${(err as Error).message}\n`);
    return 2;
  }
  const envProblem = model_env_problem(process.env);
  if (envProblem !== null) {
    process.stderr.write(`swaptorture: ${envProblem}\n`);
    return 2;
  }
  /* The subcommand is the first word that is not an option (the root command's options take no value). */
  const first = argv.find((a) => !a.startsWith('-')) ?? null;
  const versionOnly = first === null && argv.length === 1 && (argv[0] === '-V' || argv[0] === '--version');
  const program = (await createProgram(versionOnly ? '' : first)) as SwaptortureCommand;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    /* --help, --version: 0; commander's usage errors use 1: make them 2 */
    if (err.exitCode === 0) return 0;
    return err.code.startsWith('commander.') ? 2 : err.exitCode;
  }
  return program.actionExitCode;
}
