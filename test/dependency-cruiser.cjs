/*
 * The layers of src/, bottom to top, and the rules npm test enforces on
 * the import graph (test/layers.test.ts runs dependency-cruiser with this
 * file): every import points down or within its own layer, and no module
 * is on an import cycle (type-only imports count).  docs/architecture.md
 * shows the table and the graph.
 */
const LAYERS = [
  ['include', 'src/include/', 'the kernel\'s uapi constants (errno)'],
  ['shm', 'src/shm/', 'raw shared memory: the arena, its layout, tasks and CPUs, trace and report rings, bug switches'],
  ['sync', 'src/sync/', 'locking, RCU and interleaving points (kernel/locking, kernel/rcu)'],
  ['kmem', 'src/kmem/', 'kernel object memory: the page pool, slabs, the xarray (mm/slab, lib/xarray)'],
  ['fs', 'src/fs/', 'the files and block devices swapon opens'],
  ['block', 'src/block/', 'bios: submitted, and completed later by the I/O completion task (block/bio.c, blk-mq)'],
  ['mm', 'src/mm/', 'the swap model, one file per kernel file, and the design interface it calls'],
  ['designs', 'src/designs/', 'the slot metadata designs p2, p3, p4, ghost, vswap'],
  ['invariants', 'src/invariants/', 'the oracle: the quiescent invariant checker'],
  ['api', 'src/api/', 'System: build a system and drive it (the public API)'],
  ['sched', 'src/sched/', 'the controlled scheduler and its strategies'],
  ['scenario', 'src/scenario/', 'race scenario files: fields, checks, loader, operations'],
  ['harness', 'src/harness/', 'stress, repro, fuzz, memory, the torture programs, reports'],
  ['cli', 'src/cli/|src/index\\.ts$', 'the swaptorture command and the package entry'],
  ['workers', 'workers/', 'worker thread entry points'],
];

const path = (p) => `^(${p})`;
const forbidden = LAYERS.map(([name, p], i) => ({
  name: `layer-${name}`,
  comment: `${name} may import only itself and the layers below it: ${LAYERS.slice(0, i).map(([n]) => n).join(', ') || 'none'}`,
  severity: 'error',
  from: { path: path(p) },
  to: { path: '^(src|workers)/', pathNot: LAYERS.slice(0, i + 1).map(([, q]) => path(q)) },
}));
forbidden.push({
  name: 'no-circular',
  comment: 'no module is on an import cycle',
  severity: 'error',
  from: {},
  to: { circular: true },
});
forbidden.push({
  name: 'layer-unknown',
  comment: 'every source directory is a declared layer (add new ones to LAYERS)',
  severity: 'error',
  from: { path: '^src/', pathNot: LAYERS.map(([, q]) => path(q)) },
  to: {},
});

module.exports = {
  forbidden,
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
  },
};
/* Not part of dependency-cruiser's configuration: the table for tests and docs. */
Object.defineProperty(module.exports, 'LAYERS', { value: LAYERS, enumerable: false });
