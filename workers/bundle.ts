/*
 * Pack each entry point with the modules it imports: `node
 * dist/workers/bundle.js` after `tsc` (the build and test scripts run it).
 *
 * A worker thread loading dist/workers/cpu.js resolves, reads and
 * compiles about a hundred modules before it can take its first task; a
 * run starts one per simulated CPU (and a fuzz job one per CPU of its own
 * pool), and every command loads its own share of the model and harness
 * before it starts them - so start-up is most of what a short run costs.
 * From one file the same code starts in about half the CPU time.
 *
 * For every entry of src/harness/pack.ts's PACKS this writes the pack
 * (the workers: one file each in dist/bundle/workers/; the command line:
 * dist/bundle/cli/main.js and one chunk per part its subcommands load on
 * demand) and its manifest beside it (NAME.json: the pack's files, the
 * modules that went in with their sizes and times, a hash of their
 * contents).  Package imports stay imports, resolved from the pack as
 * from the modules.  pack.ts uses a pack only while its modules are the
 * ones on disk; anything else (no pack, a pack older than the code)
 * runs the modules, so this step is an optimisation and never required:
 * without the bundler (an install without dev dependencies) it says so
 * and exits 0.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { manifest_file, PACKS, pack_file, pack_hash, pack_stamp, type PackManifest, type PackName } from '../src/harness/pack.js';
/* Renamed over the old file: a command starting meanwhile reads the old pack or the new one, never half of one. */
import { write_atomic } from '../src/harness/write_atomic.js';

const DIST = fileURLToPath(new URL('..', import.meta.url));

interface Chunk {
  type: 'chunk' | 'asset';
  fileName: string;
  code: string;
  isEntry: boolean;
  moduleIds: string[];
}
interface Bundler {
  build(o: object): Promise<{ output: Chunk[] }>;
}

/* A development dependency: the compiler must not need it (an install without them builds too). */
const BUNDLER = 'rolldown';

async function load_bundler(): Promise<Bundler | null> {
  try {
    return (await import(BUNDLER)) as Bundler;
  } catch (e) {
    console.log(`bundle: nothing packed (${(e as Error).message.split('\n')[0]}); everything runs from its modules`);
    return null;
  }
}

/* Pack entry @name: its chunks into the pack's directory, then the manifest naming them. */
async function bundle_entry(rolldown: Bundler, name: PackName): Promise<void> {
  const entry = pack_file(DIST, name);
  const dir = dirname(entry);
  const r = await rolldown.build({
    input: join(DIST, PACKS[name].entry),
    platform: 'node',
    /* Packages (piscina, zod, ...) and node: built-ins stay imports; only the project's own modules go in. */
    external: (id: string) => !id.startsWith('.') && !id.startsWith('/'),
    logLevel: 'silent',
    write: false,
    output: { format: 'esm', entryFileNames: relative(dir, entry), chunkFileNames: `${name}-[name]-[hash].js` },
  });
  const chunks = r.output.filter((c) => c.type === 'chunk');
  mkdirSync(dir, { recursive: true });
  for (const c of chunks) write_atomic(join(dir, c.fileName), c.code);
  /* The bundler's own helpers have ids that are not files. */
  const modules = [...new Set(chunks.flatMap((c) => c.moduleIds))].filter((id) => id.startsWith(DIST)).map((id) => relative(DIST, id)).sort();
  const files = [...chunks].sort((a, b) => Number(b.isEntry) - Number(a.isEntry)).map((c) => relative(DIST, join(dir, c.fileName)));
  const manifest: PackManifest = { entry: PACKS[name].entry, files, modules, stamps: modules.map((m) => pack_stamp(join(DIST, m))), hash: pack_hash(DIST, modules) };
  write_atomic(manifest_file(DIST, name), `${JSON.stringify(manifest, null, 1)}\n`);
  /* Chunks of an earlier pack of this entry that this one does not use. */
  for (const f of readdirSync(dir)) {
    if (f.startsWith(`${name}-`) && f.endsWith('.js') && !files.includes(relative(DIST, join(dir, f)))) rmSync(join(dir, f), { force: true });
  }
}

async function main(): Promise<void> {
  const rolldown = await load_bundler();
  if (rolldown === null) return;
  for (const name of Object.keys(PACKS) as PackName[]) {
    try {
      await bundle_entry(rolldown, name);
    } catch (e) {
      /* An optimisation only: the entry runs from its modules (the manifest is gone, so an older pack is not used). */
      rmSync(manifest_file(DIST, name), { force: true });
      console.log(`bundle: ${name} not packed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(`bundle: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
});
