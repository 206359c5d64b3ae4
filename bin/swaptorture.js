#!/usr/bin/env node
// The `swaptorture` command: the compiled CLI (built by `npm ci` through the
// `prepare` script, or `npm run build`).
import { main } from '../dist/src/cli/main.js';

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
