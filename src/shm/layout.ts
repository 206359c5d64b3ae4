/*
 * The arena layout: every structure another CPU must see, declared in one
 * place.  Nothing shared lives outside these regions; per-thread JS state is
 * limited to views over the arena and immutable configuration.
 *
 * Units: every offset and size here is in 32-bit words (an index into the
 * arena's Int32Array).  64-bit fields sit at even word offsets so that
 * `word >> 1` indexes the BigInt64Array view; each region starts on a
 * 64-byte line (16 words) so hot per-CPU words never share a line (false
 * sharing cost 4.6x when measured on a 2-core machine: two workers
 * taking their own locks, in one 64-byte line or 64 bytes apart).
 *
 * Kernel mapping: struct swap_info_struct -> SI, struct swap_cluster_info ->
 * CI, struct folio/page -> FOLIO, struct mm_struct -> MM, struct mem_cgroup
 * -> MEMCG, percpu_swap_cluster + per-CPU bits -> CPU, task_struct -> TASK.
 */

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** HPAGE_PMD_NR with CONFIG_THP_SWAP on x86_64. */
export const SWAPFILE_CLUSTER = 512;
export const PMD_ORDER = 9;
/** SWAP_NR_ORDERS = PMD_ORDER + 1 with CONFIG_THP_SWAP. */
export const SWAP_NR_ORDERS = PMD_ORDER + 1;
/**
 * Largest folio order the model allocates: a PMD-size THP (2M), which
 * reclaim swaps out whole into one cluster (THP_SWPOUT).  Swap-in stays
 * below it, as alloc_swap_folio() allows only the orders below PMD_ORDER.
 * The buddy's largest block (MAX_PAGE_ORDER is 10 in the kernel) is this.
 */
export const MAX_FOLIO_ORDER = PMD_ORDER;
/**
 * The largest order a fault allocates unless asked for more: the model
 * boots with the mTHP sizes up to 64K enabled (hugepages-64kB/enabled =
 * always) and PMD-size THPs only where a caller asks (madvise-style).
 */
export const ANON_FAULT_MAX_ORDER = 4;
/** PAGE_ALLOC_COSTLY_ORDER: the orders the per-CPU page lists keep, with PMD_ORDER (pcp_allowed_order()). */
export const PAGE_ALLOC_COSTLY_ORDER = 3;

/*
 * MAX_SWAPFILES, derived the way include/linux/swap.h derives it for an
 * x86_64 kernel with CONFIG_DEVICE_PRIVATE, CONFIG_MIGRATION and
 * CONFIG_MEMORY_FAILURE: (1 << MAX_SWAPFILES_SHIFT) minus the swap types
 * borrowed for special entries.
 */
export const MAX_SWAPFILES_SHIFT = 5;
export const SWP_DEVICE_NUM = 3; /* DEVICE_WRITE, DEVICE_READ, DEVICE_EXCLUSIVE */
export const SWP_MIGRATION_NUM = 3; /* READ, READ_EXCLUSIVE, WRITE */
export const SWP_HWPOISON_NUM = 1;
export const SWP_PTE_MARKER_NUM = 1;
export const MAX_SWAPFILES =
  (1 << MAX_SWAPFILES_SHIFT) - SWP_DEVICE_NUM - SWP_MIGRATION_NUM - SWP_HWPOISON_NUM - SWP_PTE_MARKER_NUM;

/** Lock-class slots for lockdep-lite's dependency matrix. */
export const MAX_LOCK_CLASSES = 32;
/** Held-lock stack depth per task (MAX_LOCK_DEPTH is 48 in the kernel). */
export const MAX_LOCK_DEPTH = 16;

const LINE = 16; /* words per 64-byte cache line */

function lineUp(words: number): number {
  return Math.ceil(words / LINE) * LINE;
}

/* ---- structure layouts (word offsets) ---- */

/**
 * Global words: counters and global locks (mm/swapfile.c statics and the
 * like).  Grouped by who writes them, one 64-byte line per group: a word
 * every CPU writes (nr_swap_pages, the zone lock, the folio counter) on
 * the line of a word every CPU reads (bug_flags, rcu_gp_seq, torture_ctl)
 * would bounce that line on every access (false sharing, 4.6x here).
 */
export const G = {
  /* line 0: read-mostly configuration, written at setup or by swapon/swapoff */
  magic: 0,
  design: 1, /* index into DESIGNS (src/designs/design.ts) */
  bug_flags: 2, /* active bug switches, bit per switch */
  panic_on_warn: 3,
  nr_swapfiles: 4,
  nr_real_swapfiles: 5,
  total_swap_pages: 6,
  nr_rotate_swap: 7,
  proc_swaps_seq: 8,
  failslab_atomic: 9, /* percent of atomic (non-sleeping) allocations failed on purpose */
  failslab_sleep: 10, /* percent of sleeping allocations failed on purpose */
  folio_slab_dummy: 11,
  memcg_offline_seq: 12, /* bumped by every memcg death (charge-before-death ordering for the checker) */
  fs_lock: 13,
  swapon_mutex: 14, /* DEFINE_MUTEX(swapon_mutex) */
  trace: 15, /* 1: record events in the per-task trace rings (src/sched/trace.ts) */
  /* line 1 */
  nr_swap_pages: 16, /* atomic_long_t nr_swap_pages: every allocation and free */
  /* line 2 */
  swap_avail_lock: 32,
  swap_avail_head: 33, /* PLIST_HEAD(swap_avail_head): first device's type + 1, 0 = empty (src/mm/plist.ts) */
  /* line 3: read by every rcu_read_lock() */
  rcu_gp_seq: 48, /* grace-period counter, advances by 2 */
  rcu_gp_completed: 49,
  /* line 4 */
  rcu_cb_lock: 64,
  rcu_cb_head: 65,
  rcu_cb_tail: 66,
  /* line 5 */
  report_seq: 80, /* violation ring producer index */
  report_count: 81,
  /* line 6: struct zone, all under zone->lock */
  zone_lock: 96, /* folio (frame) allocator lock */
  nr_free_frames: 97,
  free_area: 98, /* [MAX_FOLIO_ORDER + 1] frame free list heads, see mm/page_alloc.ts; free_area_nr is on line 23 */
  /* line 7 */
  page_pool_lock: 112, /* kernel object page allocator */
  page_pool_free: 113, /* head of free page list, -1 = empty */
  page_pool_nr_free: 114,
  /* line 8 */
  swap_table_slab_lock: 128, /* kmem_cache "swap_table" */
  swap_table_slab_free: 129,
  swap_table_slab_nr_free: 130,
  swap_table_slab_nr_inuse: 131,
  /* lines 9-15: one lock or hot counter each */
  mm_lock: 144,
  anon_vma_next: 145, /* the next anon_vma id (anon_vma_alloc), under mm_lock */
  memcg_lock: 160,
  token_seq: 176, /* content tokens of tasks without their own stream (setup) */
  /* line 12: the block layer's one queue (src/block/bio.ts), under bio_lock */
  bio_lock: 192,
  bio_free: 193, /* free bio list head, -1 = empty */
  bio_nr_free: 194,
  bio_head: 195, /* submitted, not yet completed: oldest first, -1 = empty */
  bio_tail: 196,
  bio_nr_inflight: 197, /* submitted and not yet through bio_endio(): what the completion task waits on */
  bio_completion: 198, /* who completes the bios: BLK_COMPLETION_INLINE / _TASK / _SOFTIRQ (src/block/bio.ts) */
  bio_next_due: 199, /* the oldest bio's BIO.due, -1 with none in flight: what the controlled completion task waits for */
  bio_alloc_waiters: 200, /* tasks sleeping in bio_alloc() for a free bio: only then does a completion wake them */
  zswap_entry_seq: 201, /* the next zswap entry id (zswap_store): unique across devices and swapon cycles, as entry addresses are */
  blk_pages_written: 202, /* swap pages the block layer was asked to write, bio or synchronous (blk_account_io()): what diskstats counts */
  blk_pages_read: 203, /* swap pages it was asked to read */
  blk_large_written: 204, /* of those writes, the ones of more than one page: a large folio's, written whole (one bio per folio) */
  blk_large_read: 205, /* of those reads, the ones of more than one page */
  torture_ctl: 208, /* stress harness: TORTURE_RUN / _PARK / _STOP (src/harness/torture_ctl.ts), read every operation */
  torture_gen: 209, /* bumped on every release from the barrier */
  zswap_enabled: 210, /* 1: swap_writeout stores in zswap first (src/mm/zswap.ts) */
  zswap_ever_enabled: 211, /* static key zswap_ever_enabled: set once zswap was on, never cleared */
  spin_no_park: 212, /* 1: contended spinlocks spin and never sleep (stress --no-pv-spinlocks; src/sync/spinlock.ts) */
  window_delay: 213, /* N: stress programs delay at one race-window point in N, 0 never (stress --window-delay; src/sync/window_delay.ts) */
  window_delays: 214, /* delays taken at race windows (the stress summary) */
  torture_parked: 224, /* tasks parked at the stop-the-world barrier */
  torture_finished: 225, /* workload tasks that ran out of work and returned */
  torture_started: 226, /* workload tasks whose worker is up and running the workload loop */
  swap_lock: 240, /* DEFINE_SPINLOCK(swap_lock) */
  lockdep_deps: 256, /* [MAX_LOCK_CLASSES] bitmask rows: deps[a] has bit b if b was taken under a */
  kmem_caches: 288, /* [MAX_KMEM_CACHES] x KMEM_CACHE.SIZE */
  /* line 22: swap cluster readahead (mm/swap_state.c statics, src/mm/swap_readahead.ts): every swap-in from a rotational device */
  swapin_readahead_hits: 352, /* static atomic_t swapin_readahead_hits = ATOMIC_INIT(4) (set by swap_readahead_init) */
  swapin_prev_offset: 353, /* swapin_nr_pages()'s static unsigned long prev_offset */
  last_readahead_pages: 354, /* swapin_nr_pages()'s static atomic_t last_readahead_pages */
  /* line 23: struct zone's free_area[].nr_free (line 6 holds the heads), under zone->lock */
  free_area_nr: 368, /* [MAX_FOLIO_ORDER + 1] */
  SIZE: 288 + 4 * 16 + 2 * 16,
} as const;

/** struct kmem_cache (the model's): a free list of objects carved from pool pages. */
export const KMEM_CACHE = {
  lock: 0,
  free: 1, /* first free object id, -1 = empty */
  nr_free: 2,
  nr_inuse: 3,
  nr_pages: 4,
  nr_rcu_pending: 5,
  min_partial: 6, /* free page-sized objects kept before pages go back (/sys/kernel/slab/<cache>/min_partial) */
  SIZE: 16, /* one line per cache: their locks are taken by every CPU */
} as const;
export const MAX_KMEM_CACHES = 4;

/** Per-CPU area: percpu_swap_cluster and what the kernel keeps per CPU. */
export const CPU = {
  local_lock: 0, /* percpu_swap_cluster.lock (local_lock_t) */
  pcp_offset: 1, /* .offset[SWAP_NR_ORDERS] */
  pcp_si: 1 + SWAP_NR_ORDERS, /* .si[SWAP_NR_ORDERS], type + 1, 0 = NULL */
  curr: 1 + 2 * SWAP_NR_ORDERS, /* task currently on this CPU, -1 none */
  nr_running: 2 + 2 * SWAP_NR_ORDERS,
  /* vswap (seed 004 patch 22, "vswap: cache cluster lookup"): the last virtual cluster this CPU looked up */
  vswap_cache_idx: 3 + 2 * SWAP_NR_ORDERS, /* cluster index + 1, 0 = empty */
  vswap_cache_ci: 4 + 2 * SWAP_NR_ORDERS,
  vswap_cache_gen: 5 + 2 * SWAP_NR_ORDERS, /* the slab object's generation when cached */
  /* line 2: struct per_cpu_pages (mm/page_alloc.c), under pcp_lock */
  pcp_lock: 32, /* pcp->lock */
  pcp_count: 33, /* frames on the lists */
  pcp_lists: 34, /* [MAX_FOLIO_ORDER + 1] list heads (-1 empty), linked through FOLIO.next */
  SIZE: 48,
} as const;
if (G.free_area + MAX_FOLIO_ORDER >= G.page_pool_lock || G.free_area_nr + MAX_FOLIO_ORDER >= G.SIZE) throw new Error('layout: struct zone overflows its lines');
if (CPU.vswap_cache_gen >= CPU.pcp_lock || CPU.pcp_lists + MAX_FOLIO_ORDER >= CPU.SIZE) throw new Error('layout: struct CPU overflows');

/** Per-task area: task_struct bits (rcu nesting, lockdep held_locks, ...). */
export const TASK = {
  cpu: 0, /* task_cpu(current) */
  rcu_read_lock_nesting: 1,
  rcu_reader_gp: 2, /* gp snapshot | 1 while in a read-side section, 0 outside */
  lockdep_depth: 3,
  migrate_to: 4, /* set by the shuffler, -1 none: taken at the next sleep point */
  last_point: 5, /* id of the last interleaving point passed */
  op: 6, /* current operation id (harness) */
  progress: 7, /* bumped at every point: the watchdog's heartbeat */
  state: 8, /* TASK_RUNNING / parked / dead */
  pid: 9,
  nr_migrations: 10,
  spin_depth: 11, /* spinlocks (and local locks) held: preempt_count */
  rand: 12, /* xorshift32 state: this task's deterministic random stream */
  memcg: 13, /* stress harness: the cgroup this task's workload lives in (its own subtree) */
  wait_lock: 14, /* lock word + 1 this task is spinning on, 0 none (stall and deadlock dumps) */
  token_seq: 15, /* this task's content token counter (no shared counter to bounce) */
  held_lock: 16, /* [MAX_LOCK_DEPTH] lock word index */
  held_class: 16 + MAX_LOCK_DEPTH, /* [MAX_LOCK_DEPTH] lock class */
  cur_mm: 16 + 2 * MAX_LOCK_DEPTH, /* stress harness: mm + 1 the task is running now (it switches now and then) */
  SIZE: 64,
} as const;

/** struct swap_info_struct. */
export const SI = {
  /* line 0: read on every lookup, written at swapon/swapoff */
  flags: 0,
  prio: 1,
  type: 2,
  max: 3,
  pages: 4,
  swap_file: 5, /* file id + 1; 0 = NULL (the mount indicator, seed 003) */
  cluster_base: 6, /* word index of cluster_info[0]; 0 = NULL */
  nr_clusters: 7,
  users: 8, /* percpu_ref (src/sync/percpu_ref.ts): count (written only once killed) */
  users_flags: 9, /* percpu_ref: __PERCPU_REF_DEAD / _ATOMIC */
  comp: 10, /* percpu_ref: completion, users reached zero */
  users_pcpu: 11, /* percpu_ref: per-CPU slot + 1 */
  backing_base: 12, /* word index of the slot contents (i64 each), in the device's swap block; 0 = none (a ghost) */
  zswap_base: 13, /* word index of the device's zswap pool (i64 a slot), in its swap block */
  bdev_kind: 14,
  nr_bad: 15,
  /* line 1: rarely written */
  avail: 16, /* on swap_avail_head: !plist_node_empty(&si->avail_list) (under swap_avail_lock) */
  discard_pending: 17,
  xa_root: 18, /* dynamic clusters: xarray root page + 1 (ghost/vswap) */
  xa_lock: 19,
  /* static metadata allocated at swapon, bytes at the kernel's object sizes (src/mm/swap_meta.ts) */
  meta_cluster_info: 20,
  meta_swap_cgroup: 21,
  meta_zeromap: 22,
  meta_swap_map: 23,
  zswap_root: 24, /* the device's zswap tree (an xarray: [root, lock]) */
  zswap_lock: 25,
  phys_next: 26, /* vswap physical device: next-fit hint of the slot allocator */
  meta_bitmaps: 27, /* vswap physical device: its allocated + bad bitmaps, bytes */
  /* the per-slot arrays allocated at swapon (swap_block_layout()): word index in the swap block, 0 = none */
  zeromap_base: 28, /* phase II/III: si->zeromap, one bit a slot */
  swap_cgroup_base: 29, /* phase II/III: the swap_cgroup array, one memcg id a slot */
  swap_map_base: 30, /* phase II: si->swap_map, one byte a slot (word index of the byte array) */
  phys_base: 31, /* vswap physical device: VSWAP_PHYS (allocated and bad bitmaps, reverse map) */
  /* line 2: every allocation and free */
  inuse_pages: 32, /* atomic_long_t: slots in use | SWAP_USAGE_OFFLIST_BIT (src/mm/swap_device.ts) */
  /* lines 3-7: si->lock and the lists it protects: [head, tail, nr] each */
  lock: 48, /* si->lock */
  free_clusters: 49,
  full_clusters: 52,
  discard_clusters: 55,
  nonfull_clusters: 58, /* [SWAP_NR_ORDERS] x 3 */
  frag_clusters: 58 + 3 * SWAP_NR_ORDERS, /* [SWAP_NR_ORDERS] x 3 */
  /* line 8: the rotational device's global cluster */
  global_cluster_lock: 128,
  global_cluster_next: 129, /* [SWAP_NR_ORDERS] */
  avail_next: 129 + SWAP_NR_ORDERS, /* si->avail_list: the next device on swap_avail_head, type + 1, 0 = end (under swap_avail_lock) */
  block_base: 140, /* the device's swap block (src/kmem/vmalloc.ts): word index, 0 = none */
  block_words: 141,
  SIZE: 144,
} as const;
if (SI.block_words >= SI.SIZE) throw new Error('layout: struct SI overflows');

/** List head inside SI: first, last cluster index (-1 = empty) and length. */
export const LIST = { head: 0, tail: 1, nr: 2 } as const;

/** struct swap_cluster_info (plus the list linkage as indices). */
export const CI = {
  lock: 0,
  count: 1, /* u16 count */
  flags: 2, /* u8 flags, enum swap_cluster_flags */
  order: 3,
  table: 4, /* RCU-published: swap table page + 1, 0 = NULL */
  prev: 5, /* list linkage: cluster index, -1 */
  next: 6,
  extend_table: 7, /* page + 1 holding overflowed counts, 0 = NULL */
  /*
   * A static cluster_info[] element only: its device's type (the model's
   * container_of() back to si, for the side arrays of phases II/III).  A
   * dynamic cluster keeps CI_DYN.index in this word instead.
   */
  si_type: 8,
  /*
   * The fields end at word 8; each static cluster gets a cache line of
   * its own: two CPUs allocate from neighbouring clusters (their per-CPU
   * clusters), and a shared line made every ci->lock a cross-CPU miss.
   */
  SIZE: 16,
} as const;
const CI_FIELDS = CI.extend_table + 1;

/**
 * struct swap_cluster_info_dynamic (seed 001 patch 15): the CI record,
 * then its index in si->cluster_info_pool and the model's slab object id
 * (what kfree_rcu() frees).  A swap_cluster_cachep object: 16 words, the
 * last three the slab's own.
 */
export const CI_DYN = {
  index: CI_FIELDS,
  id: CI_FIELDS + 1,
  vtable: CI_FIELDS + 2, /* vswap: the cluster's virtual table page + 1 (2 words a slot: backing, memcg id) */
  SIZE: CI_FIELDS + 3,
} as const;

/** Object pages (4 KiB): swap tables and other kernel allocations. */
export const PAGEDESC = {
  type: 0, /* PAGE_TYPE_* tag */
  gen: 1, /* generation, bumped at every free */
  next: 2, /* free list link */
  owner: 3, /* page-sized slab objects: the cache index while allocated, -1 while free (on the cache's free list) */
  SIZE: 4,
} as const;
export const PAGE_WORDS = PAGE_SIZE / 4;

/** struct folio / struct page, one per frame; PFN = frame index. */
export const FOLIO = {
  flags: 0, /* PG_* bits, atomically or'ed/and'ed */
  refcount: 1,
  mapcount: 2,
  order: 3,
  head: 4, /* compound head pfn (self for a head page) */
  swap_type: 5, /* folio->swap: type + 1, 0 = none */
  swap_offset: 6,
  memcg: 7, /* folio_memcg(): memcg id, 0 = none */
  anon_vma: 8, /* folio->mapping of an anon folio: its anon_vma (a process's own, MM.anon_vma, or its chain's root), -1 = none (mm/rmap.ts) */
  index: 9, /* folio->index: the virtual page index of its first page, the same in every mm of the family (a free frame: the buddy list's prev link) */
  next: 10, /* buddy free list link */
  /* word 11 unused */
  charge_seq: 12, /* G.memcg_offline_seq when the memcg was chosen: was it alive then? */
  SIZE: 16,
} as const;

/** struct mm_struct of a simulated process. */
export const MM = {
  state: 0, /* MM_FREE / MM_LIVE / MM_EXITING */
  memcg: 1,
  nr_pages: 2,
  rss_anon: 3,
  nr_swap_ents: 4, /* MM_SWAPENTS */
  mm_lock: 5, /* mmap_lock stand-in (exit vs unuse walk) */
  users: 6,
  parent: 7,
  gen: 8,
  owner: 9, /* stress harness: task + 1 that may operate on / exit this mm, 0 none */
  anon_vma: 10, /* vma->anon_vma: this mm's own anon_vma, where its exclusive anon folios go (mm/rmap.ts) */
  swap_readahead_info: 11, /* vma->swap_readahead_info (the one VMA): page index | window | hits, 0 = initial (src/mm/swap_readahead.ts) */
  av_chain: 12, /* vma->anon_vma_chain: the anon_vmas the VMA is linked to, root first, own last; AV_CHAIN_MAX words of id + 1, 0 = none (mm/rmap.ts) */
  SIZE: 16,
} as const;

/** struct mem_cgroup. */
export const MEMCG = {
  state: 0, /* 0 unused, 1 online, 2 offline (dead, not yet freed) */
  parent: 1,
  swap_charge: 2, /* page_counter memcg->swap: slots charged */
  memory_charge: 3,
  refcnt: 4, /* css refs held by swap entries (mem_cgroup_id_get_many) */
  offline_seq: 5, /* G.memcg_offline_seq after this memcg's death, 0 while online */
  nonresident_age: 6, /* its lruvec's workingset clock (lruvec->nonresident_age), bumped at every eviction */
  SIZE: 16, /* a cache line each: CPUs charge their own cgroups */
} as const;

/** A model file (for swapon paths) with its first page (swap header). */
export const FILE = {
  state: 0, /* 0 unused, 1 exists */
  kind: 1, /* S_IFREG / S_IFBLK */
  rotational: 2,
  size_pages: 3,
  swapfile: 4, /* S_SWAPFILE: swap type + 1 while active */
  name_len: 5,
  synchronous: 6, /* BLK_FEAT_SYNCHRONOUS: a zram/pmem/brd-like block device completes I/O before submit returns */
  name: 8, /* 64 bytes = 16 words */
  header: 32, /* the first page of the file: PAGE_WORDS words */
  SIZE: 32 + PAGE_WORDS,
} as const;
export const FILE_NAME_MAX = 64;

/** One reported violation (VM_WARN_ON, BUG, lockdep splat, invariant). */
export const REPORT = {
  seq: 0,
  invariant: 1, /* invariant id, see src/shm/report.ts */
  task: 2,
  cpu: 3,
  op: 4,
  point: 5,
  a0: 6, /* decoded context: slot / cluster / folio ... */
  a1: 7,
  a2: 8,
  a3: 9,
  msg_len: 10,
  step: 11, /* controlled mode: the scheduler step it was reported at (0 free-running) */
  msg: 16, /* MSG_BYTES of UTF-8 */
  SIZE: 16 + 64,
} as const;
export const REPORT_MSG_BYTES = 256;

/**
 * struct bio (the model's): one folio's I/O to or from swap slots.  The
 * slots are the u64 indexes of their backing tokens, one a page.
 */
export const BIO = {
  next: 0, /* free list or queue link, -1 = end */
  op: 1, /* REQ_OP_READ / REQ_OP_WRITE */
  end_io: 2, /* bi_end_io: a registered completion (register_bio_end_io) */
  folio: 3,
  nr: 4, /* pages */
  due: 6, /* controlled mode: the scheduler step from which the device may complete it */
  sector: 8, /* [1 << MAX_FOLIO_ORDER] backing token index of each page */
  SIZE: 8 + (1 << MAX_FOLIO_ORDER),
} as const;

/** call_rcu queue element. */
export const RCU_CB = { kind: 0, arg: 1, gp: 2, pad: 3, SIZE: 4 } as const;

/* ---- arena configuration and the region map ---- */

export interface ArenaConfig {
  nrCpus: number;
  nrTasks: number;
  /** Physical memory frames (struct page / folio slab). */
  nrFrames: number;
  /** 4 KiB kernel object pages (swap tables, extend tables, ...). */
  nrPages: number;
  /** Largest device the arena can hold, in slots (at most MAX_SLOTS_PER_DEVICE). */
  maxSwapPages: number;
  /**
   * Slots of all the devices swapped on at once that the swap heap holds
   * (their per-slot arrays, allocated at swapon: swap_block_layout()); 0:
   * MAX_SWAPFILES devices of maxSwapPages, as far as the arena's words allow.
   */
  swapHeapSlots: number;
  nrMms: number;
  /** Virtual pages per process (PTEs). */
  mmPages: number;
  nrMemcgs: number;
  nrFiles: number;
  reportSlots: number;
  rcuCallbacks: number;
  /** Steps a controlled run may take (its recorded schedule: one word a step). */
  schedSteps: number;
  /** Events each task's trace ring keeps (the most recent ones). */
  traceEvents: number;
  /** bios (src/block/bio.ts): I/Os that can be in flight at once. */
  nrBios: number;
  /**
   * explore (src/sched/explore.ts): words of the footprint log a run's
   * steps append to, and the runnable set recorded at every step; 0 for
   * every other arena (no explore regions).
   */
  exploreLog: number;
}

/** A trace ring: header then traceEvents x TRACE_EVENT words. */
export const TRACE_RING = { head: 0, EVENTS: 16 } as const;
export const TRACE_EVENT = { ts: 0, type: 1, a: 2, b: 3, SIZE: 4 } as const;

/**
 * The controlled scheduler (src/sched/controlled.ts): run state, the
 * strategy's state (any task runs it at its next point: no scheduler
 * thread), and one SCHED_TASK per task.
 */
export const MAX_SCHED_TASKS = 16;
export const MAX_PCT_DEPTH = 16;
export const SCHED = {
  mode: 0, /* 0 free-running, 1 controlled */
  current: 1, /* task allowed to run now, -1 none */
  step: 2, /* interleaving points passed, all tasks */
  max_steps: 3,
  outcome: 4, /* SCHED_OUTCOME_* */
  strategy: 5, /* STRATEGY_* */
  rng: 6, /* xorshift32 state of the strategy */
  nr_tasks: 7,
  depth: 8, /* PCT d */
  preemptions: 9, /* switches away from a task that could have gone on */
  replay_len: 10, /* replay: recorded steps available */
  last_runner: 11,
  diverged_step: 12,
  turn_spins: 13, /* spins a parked task makes before it sleeps in Atomics.wait */
  active: 14, /* tasks on a core: the runner and the parked tasks spinning ... */
  max_active: 15, /* ... at most: the machine's cores */
  change_points: 16, /* [MAX_PCT_DEPTH] PCT priority change steps, ascending */
  tasks: 32, /* [MAX_SCHED_TASKS] participating task ids */
  change_labels: 48, /* [MAX_PCT_DEPTH] PCT: change point i is the nth arrival at this point id (0: at step change_points[i]) */
  change_countdown: 64, /* [MAX_PCT_DEPTH] arrivals at change_labels[i] still to come */
  pct_ceiling: 80, /* PCT: the highest priority given so far (fairness boosts go above it: src/sched/pct.ts) */
  spin_hint: 81, /* the task the strategy expects to switch to after the runner, -1 none: the parked task that spins (timing only) */
  SIZE: 82,
} as const;
export const SCHED_TASK = {
  state: 0, /* SCHED_TASK_* */
  prio: 1, /* PCT priority: the highest runnable runs */
  wait_word: 2, /* blocked until this word changes ... */
  wait_value: 3, /* ... from this value */
  blocked_at: 4, /* step at which a timed wait began */
  daemon: 5, /* 1: a daemon (the run ends when only daemons are left, idle) */
  wait_until: 6, /* 1: blocked until the step reaches the value of wait_word (sched_wait_until) */
  last_ran: 7, /* explore: step + 1 at which it was last chosen (0 never): the continuation's fairness */
  turn: 8, /* bumped at each hand-off to this task: the word it parks on (only it is woken) */
  pct_seen: 9, /* PCT: the last step at which it was runnable ... */
  pct_since: 10, /* ... and the step since which it has been runnable without being chosen (fairness) */
  SIZE: 11,
} as const;

/** SCHED_TASK.state values (src/sched/controlled.ts). */
export const SCHED_TASK_STATE = { IDLE: 0, RUNNABLE: 1, BLOCKED: 2 /* until wait_word changes */, WAITING: 3 /* until wait_word changes or another task steps */, DONE: 4 } as const;

/** Bit of a runnable mask (SCHED runnable masks): the task at the point ended its step in a timed wait (it yields). */
export const RUNNABLE_YIELDED = 1 << 30;

export const DEFAULT_ARENA_CONFIG: ArenaConfig = {
  nrCpus: 4,
  nrTasks: 5,
  nrFrames: 4096,
  nrPages: 1024,
  maxSwapPages: 16384,
  swapHeapSlots: 0,
  nrMms: 32,
  mmPages: 1024,
  nrMemcgs: 16,
  nrFiles: 32,
  reportSlots: 64,
  rcuCallbacks: 1024,
  schedSteps: 1 << 16,
  traceEvents: 2048,
  nrBios: 256,
  exploreLog: 0,
};

export interface Layout {
  config: ArenaConfig;
  totalWords: number;
  maxClustersPerDevice: number;
  /** Words of the swap heap (layout.swapHeap): where swapon allocates a device's swap block. */
  swapHeapWords: number;
  ptlPerMm: number;
  global: number;
  cpu: number;
  task: number;
  si: number;
  pageDesc: number;
  pageData: number;
  folio: number;
  frameData: number; /* i64 content token per frame */
  mm: number;
  pte: number; /* i32 per PTE */
  ptl: number; /* one spinlock per 512 PTEs (split PTL) */
  expected: number; /* i64 last-written token per virtual page */
  memcg: number;
  file: number;
  report: number;
  rcuCb: number;
  stats: number; /* per-task counters for the harness */
  pcpuRefs: number; /* per-CPU percpu_ref counters: [nrCpus][PCPU_REF_SLOTS] */
  sched: number; /* SCHED */
  schedTasks: number; /* [nrTasks] SCHED_TASK */
  schedRecord: number; /* [schedSteps] the task chosen at each step */
  trace: number; /* [nrTasks] trace rings */
  vmap: number; /* VMAP: the swap heap's allocator (src/kmem/vmalloc.ts) */
  swapHeap: number; /* [swapHeapWords] the swap blocks of the devices swapped on (SI.block_base), see swap_block_layout() */
  bio: number; /* [nrBios] BIO */
  coverage: number; /* controlled mode: [COVERAGE_WORDS] bitmap of interleaving-point pairs seen at hand-offs (src/sched/coverage.ts) */
  schedRunnable: number; /* explore: [schedSteps] bitmask of the tasks runnable at each step (0 words unless config.exploreLog) */
  exploreLog: number; /* explore: [exploreLog] EXPLORE_LOG header, then the steps' footprints (src/sched/footprint.ts) */
}

/**
 * The explore footprint log (src/sched/footprint.ts): a header, then per
 * step a marker -(step + 1) followed by that step's accesses, one word
 * each: (8-byte unit << 1) | 1 for a write, | 0 for a read; or
 * EXPLORE_GLOBAL for a step that depends on every other (it read the
 * scheduler's clock, or its footprint did not fit).
 */
export const EXPLORE_LOG = { used: 0, overflow: 1, record: 2 /* 1: the workers record footprints */, HEADER: 16 } as const;
export const EXPLORE_GLOBAL = 0x7fffffff;

/** Bits of the controlled scheduler's coverage bitmap (pairs of points hashed into it). */
export const COVERAGE_BITS = 1 << 16;

/**
 * vswap (seed 004): a physical device's slots are two bitmaps (allocated,
 * bad) and a reverse map to the virtual slot each allocated one backs.
 * Word offsets inside one device's array (SI.phys_base, in its swap block).
 */
export function vswapPhysWords(maxSwapPages: number): { alloc: number; bad: number; rmap: number; SIZE: number } {
  const bits = Math.ceil(maxSwapPages / 32);
  return { alloc: 0, bad: bits, rmap: 2 * bits, SIZE: 2 * bits + maxSwapPages };
}

/** Per-CPU percpu_ref counter slots (one per ref in per-CPU mode: a slot per swap device, and spares). */
export const PCPU_REF_SLOTS = 32;

/**
 * Per-task stats: [0, 3*MAX_LOCK_CLASSES) lock stats (src/sync/lockstat.ts),
 * [STATS_OPS, +STATS_OPS_MAX) harness operation counters
 * (src/harness/workload.ts), [STATS_VM, +STATS_VM_MAX) vm events
 * (src/mm/vmstat.ts); per lock class, sampled hold times
 * (src/sync/lockstat.ts): [STATS_HOLD_MAX, +MAX_LOCK_CLASSES) the longest
 * in microseconds, [STATS_HOLD_SUM, ...) their sum in 0.1 us,
 * [STATS_HOLD_N, ...) how many were sampled.
 */
export const STATS_WORDS_PER_TASK = 256;
export const STATS_OPS = 96;
export const STATS_OPS_MAX = 32;
export const STATS_VM = 128;
export const STATS_VM_MAX = 32;
export const STATS_HOLD_MAX = 160;
export const STATS_HOLD_SUM = 192;
export const STATS_HOLD_N = 224;

/* A swap PTE keeps a 29-bit entry (src/mm/pgtable.ts): 24 offset bits per device (a 64 GiB device), frames likewise. */
export const MAX_SLOTS_PER_DEVICE = 1 << 24;
const MAX_FRAMES = 1 << 29;
/*
 * Every word index must stay a positive int32 (`w >> 1` indexes the
 * 64-bit views): 2^30 words, 4 GiB, is also the most a growable
 * SharedArrayBuffer may reserve in Node 20.
 */
const MAX_ARENA_WORDS = 2 ** 30;

/**
 * The swap heap's allocator state (src/kmem/vmalloc.ts), under its own
 * raw lock: the bump pointer and the free extents [base, words] below it.
 */
export const VMAP_MAX_FREE = 62;
export const VMAP = { lock: 0, top: 1, nr_free: 2, free: 4 /* [VMAP_MAX_FREE] x [base, words] */, SIZE: 4 + 2 * VMAP_MAX_FREE } as const;

/** What a device's swap block holds: which per-slot arrays its design and kind need. */
export interface SwapBlockNeeds {
  /** A static cluster_info[] (not a ghost, not the virtual swap space, not a vswap physical device). */
  clusters: boolean;
  /** A data section: the slots' contents (not a ghost). */
  backing: boolean;
  /** p2/p3 side arrays (src/designs/side_arrays.ts). */
  zeromap: boolean;
  swapCgroup: boolean;
  swapMap: boolean;
  /** vswap: the physical device's bitmaps and reverse map. */
  phys: boolean;
}

/**
 * The layout of one device's swap block: word offsets in the block (-1
 * for an array it does not have) and its size.  What the kernel allocates
 * at swapon per device - si->cluster_info (one struct a cluster), the
 * zeromap, swap_map and swap_cgroup arrays of the older phases - plus what
 * the model keeps where the kernel has a disk: the slots' contents and
 * zswap's compressed copies (one 64-bit token a slot each; their pages are
 * touched only where slots are written, so they cost the memory of the
 * slots used).  Every array starts on a line; side arrays cover whole
 * clusters (the tail past si->max is checked too).
 */
export function swap_block_layout(maxpages: number, need: SwapBlockNeeds) {
  const clusters = Math.ceil(maxpages / SWAPFILE_CLUSTER);
  const sideSlots = clusters * SWAPFILE_CLUSTER;
  let next = 0;
  const region = (on: boolean, words: number): number => {
    if (!on) return -1;
    const at = next;
    next = lineUp(next + words);
    return at;
  };
  const b = {
    clusters: region(need.clusters, clusters * CI.SIZE),
    backing: region(need.backing, maxpages * 2),
    /* Whole clusters, as zswap's xarray takes any offset: an entry a ghost's last cluster hands out past si->max (bug ghost-cluster-tail) is stored, not written over the next array. */
    zswap: region(true, sideSlots * 2),
    zeromap: region(need.zeromap, Math.ceil(sideSlots / 32)),
    swapCgroup: region(need.swapCgroup, sideSlots),
    swapMap: region(need.swapMap, Math.ceil(sideSlots / 4)),
    phys: region(need.phys, vswapPhysWords(maxpages).SIZE),
    SIZE: 0,
  };
  b.SIZE = next;
  return b;
}
export type SwapBlockLayout = ReturnType<typeof swap_block_layout>;

const ALL_ARRAYS: SwapBlockNeeds = { clusters: true, backing: true, zeromap: true, swapCgroup: true, swapMap: true, phys: true };

/*
 * The swap heap's size: swapHeapSlots slots in blocks of every array (the
 * most any design needs), with a block's rounding to clusters and lines
 * for each of MAX_SWAPFILES devices; by default MAX_SWAPFILES devices of
 * maxSwapPages, cut down to what the arena's word indices can address.
 */
function swap_heap_words(config: ArenaConfig): number {
  const perSlot = swap_block_layout(SWAPFILE_CLUSTER, ALL_ARRAYS).SIZE / SWAPFILE_CLUSTER;
  const slack = MAX_SWAPFILES * swap_block_layout(SWAPFILE_CLUSTER, ALL_ARRAYS).SIZE;
  if (config.swapHeapSlots > 0) return lineUp(Math.ceil(config.swapHeapSlots * perSlot) + slack);
  const all = MAX_SWAPFILES * swap_block_layout(config.maxSwapPages, ALL_ARRAYS).SIZE;
  return lineUp(Math.min(all, MAX_ARENA_WORDS / 2));
}

/** Compute the region map for a configuration.  Pure: every thread gets the same answer. */

export function computeLayout(config: ArenaConfig): Layout {
  if (config.maxSwapPages > MAX_SLOTS_PER_DEVICE) throw new RangeError(`maxSwapPages ${config.maxSwapPages} > 2^24: a swap entry has 24 offset bits in the model`);
  if (config.nrFrames > MAX_FRAMES) throw new RangeError(`nrFrames ${config.nrFrames} > 2^29: a PTE has 29 bits for the frame`);
  let next = 0;
  const region = (words: number): number => {
    const at = next;
    next = lineUp(next + words);
    return at;
  };
  if (!(config.swapHeapSlots >= 0)) throw new RangeError(`swapHeapSlots ${config.swapHeapSlots} < 0`);
  const maxClustersPerDevice = Math.ceil(config.maxSwapPages / SWAPFILE_CLUSTER);
  const swapHeapWords = swap_heap_words(config);
  const ptlPerMm = Math.ceil(config.mmPages / SWAPFILE_CLUSTER);
  const l: Layout = {
    config,
    totalWords: 0,
    maxClustersPerDevice,
    swapHeapWords,
    ptlPerMm,
    global: region(G.SIZE),
    cpu: region(config.nrCpus * CPU.SIZE),
    task: region(config.nrTasks * TASK.SIZE),
    si: region(MAX_SWAPFILES * SI.SIZE),
    pageDesc: region(config.nrPages * PAGEDESC.SIZE),
    pageData: region(config.nrPages * PAGE_WORDS),
    folio: region(config.nrFrames * FOLIO.SIZE),
    frameData: region(config.nrFrames * 2),
    mm: region(config.nrMms * MM.SIZE),
    pte: region(config.nrMms * config.mmPages),
    ptl: region(config.nrMms * ptlPerMm),
    expected: region(config.nrMms * config.mmPages * 2),
    memcg: region(config.nrMemcgs * MEMCG.SIZE),
    file: region(config.nrFiles * FILE.SIZE),
    report: region(config.reportSlots * REPORT.SIZE),
    rcuCb: region(config.rcuCallbacks * RCU_CB.SIZE),
    stats: region(config.nrTasks * STATS_WORDS_PER_TASK),
    pcpuRefs: region(config.nrCpus * PCPU_REF_SLOTS),
    sched: region(SCHED.SIZE),
    schedTasks: region(config.nrTasks * SCHED_TASK.SIZE),
    schedRecord: region(config.schedSteps),
    trace: region(config.nrTasks * (TRACE_RING.EVENTS + config.traceEvents * TRACE_EVENT.SIZE)),
    vmap: region(VMAP.SIZE),
    swapHeap: region(swapHeapWords),
    bio: region(config.nrBios * BIO.SIZE),
    coverage: region(COVERAGE_BITS / 32),
    schedRunnable: region(config.exploreLog > 0 ? config.schedSteps : 0),
    exploreLog: region(config.exploreLog),
  };
  l.totalWords = next;
  if (l.totalWords > MAX_ARENA_WORDS) throw new RangeError(`arena of ${l.totalWords} words > 2^${Math.log2(MAX_ARENA_WORDS)} (4 GiB): swapHeapSlots ${config.swapHeapSlots} and the other sizes are too large together`);
  return l;
}
