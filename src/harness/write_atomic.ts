/*
 * Output files of the commands (plots, traces, corpus records): written
 * whole or not at all, and checked before the work that produces them so
 * a bad path is a usage error up front, not a loss at the end.
 *
 * Context: main thread; synchronous file system calls.
 */
import { accessSync, closeSync, constants, fsyncSync, openSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/* Write @text to @file atomically: a temporary name in the same directory, fsync, rename. */
export function write_atomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
}

/**
 * Why @file cannot be written as an output file (its directory is missing
 * or not writable, or it is a directory), or null when it can.
 */
export function output_file_problem(file: string): string | null {
  if (file === '') return 'an empty file name';
  const dir = dirname(file);
  try {
    if (!statSync(dir).isDirectory()) return `cannot write ${file}: ${dir} is not a directory`;
    accessSync(dir, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return `cannot write ${file}: ${code === 'ENOENT' ? `no directory ${dir}` : `${dir}: ${code ?? (e as Error).message}`}`;
  }
  try {
    if (statSync(file).isDirectory()) return `cannot write ${file}: it is a directory`;
  } catch {
    /* not there yet: it will be created */
  }
  return null;
}
