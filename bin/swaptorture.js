#!/usr/bin/env node
// The `swaptorture` command: the compiled CLI (built by `npm ci` through the
// `prepare` script, or `npm run build`), from its pack when the pack holds
// the code the modules hold (dist/src/harness/pack.js says which).
import { pathToFileURL } from 'node:url';
import { cli_entry } from '../dist/src/harness/pack.js';

const { main } = await import(pathToFileURL(cli_entry(process.argv.slice(2))).href);

// The reader went away (`swaptorture stress --help | head`): stop quietly,
// as a C program would on SIGPIPE, instead of an unhandled EPIPE.
process.stdout.on('error', (err) => {
  if (err && err.code === 'EPIPE') process.exit(141);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`swaptorture: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 3;
  },
);
