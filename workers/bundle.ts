/*
 * Pack each worker entry point with the modules it imports into one file:
 * `node dist/workers/bundle.js` after `tsc` (the build and test scripts
 * run it).
 *
 * A worker thread loading dist/workers/cpu.js resolves, reads and
 * compiles about a hundred modules before it can take its first task; a
 * run starts one per simulated CPU (and a fuzz job one per CPU of its own
 * pool), so start-up is most of what a short run costs.  From one file
 * the same code starts in about half the CPU time.
 *
 * For every entry NAME this writes dist/bundle/workers/NAME.js (the
 * pack: the package imports stay imports, resolved from there as from
 * dist/workers) and NAME.json (its manifest: the modules that went in
 * and a hash of their contents).  src/harness/worker_entry.ts starts a
 * worker from the pack only while that hash matches the modules on disk;
 * anything else (no pack, a pack older than the code) starts it from the
 * modules, so this step is an optimisation and never required: without
 * the bundler (an install without dev dependencies) it says so and exits
 * 0.
 *
 * The pack sits as deep under dist/ as the modules (dist/src/harness/...),
 * so paths the code takes relative to its own file (the scenarios, the
 * CPU worker's entry) resolve the same from either.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKER_ENTRIES, worker_pack_dir, worker_pack_hash, type WorkerManifest } from '../src/harness/worker_entry.js';

const DIST = fileURLToPath(new URL('..', import.meta.url));

/* Write @text to @file by renaming a temporary file over it: a concurrent reader sees the old file or the new one. */
function write_atomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

interface Bundler {
  build(o: object): Promise<{ output: { code: string; moduleIds: string[] }[] }>;
}

/* A development dependency: the compiler must not need it (an install without them builds too). */
const BUNDLER = 'rolldown';

async function load_bundler(): Promise<Bundler | null> {
  try {
    return (await import(BUNDLER)) as Bundler;
  } catch (e) {
    console.log(`bundle: workers not packed (${(e as Error).message.split('\n')[0]}); they start from their modules`);
    return null;
  }
}

async function main(): Promise<void> {
  const rolldown = await load_bundler();
  if (rolldown === null) return;
  const out = worker_pack_dir(DIST);
  mkdirSync(out, { recursive: true });
  for (const name of WORKER_ENTRIES) {
    try {
      await bundle_entry(rolldown, out, name);
    } catch (e) {
      /* An optimisation only: the worker starts from its modules (the manifest is gone, so an older pack is not used). */
      rmSync(join(out, `${name}.json`), { force: true });
      console.log(`bundle: ${name} not packed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}

/* Pack dist/workers/@name.js into @out/@name.js with its manifest. */
async function bundle_entry(rolldown: Bundler, out: string, name: string): Promise<void> {
  const input = join(DIST, 'workers', `${name}.js`);
  const r = await rolldown.build({
    input,
    platform: 'node',
    /* Packages (piscina, zod, ...) and node: built-ins stay imports; only the project's own modules go in. */
    external: (id: string) => !id.startsWith('.') && !id.startsWith('/'),
    logLevel: 'silent',
    write: false,
    output: { format: 'esm' },
  });
  const chunk = r.output[0];
  /* The bundler's own helpers have ids that are not files. */
  const modules = chunk.moduleIds.filter((id) => id.startsWith(DIST)).map((id) => relative(DIST, id)).sort();
  const manifest: WorkerManifest = { entry: relative(DIST, input), modules, hash: worker_pack_hash(DIST, modules) };
  write_atomically(join(out, `${name}.js`), chunk.code);
  write_atomically(join(out, `${name}.json`), `${JSON.stringify(manifest, null, 1)}\n`);
}

main().catch((e: unknown) => {
  console.error(`bundle: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
});
