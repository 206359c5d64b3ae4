/*
 * The swap header: union swap_header as sys_swapon reads it from page 0 of
 * the swap file or device.
 *
 * Kernel mapping:
 *   union swap_header, MAX_SWAP_BADPAGES      include/linux/swap.h
 *   read_swap_header()                        mm/swapfile.c (pure part: __read_swap_header())
 *   swapfile_maximum_size, arch_max_swapfile_size(),
 *   generic_max_swapfile_size()               mm/swapfile.c, arch/x86/mm/init.c
 *   swap_header_bad_slots()                   the bad-slot loop of
 *                                             setup_swap_clusters_info() and the
 *                                             checks of swap_cluster_setup_bad_slot()
 *                                             (mm/swapfile.c), see below
 *   swab32()                                  include/uapi/linux/swab.h
 *
 * Layout on x86_64 (PAGE_SIZE 4096, little endian), byte offsets:
 *     0  bootbits[1024]
 *  1024  __u32 version
 *  1028  __u32 last_page
 *  1032  __u32 nr_badpages
 *  1036  sws_uuid[16]
 *  1052  sws_volume[16]
 *  1068  __u32 padding[117]
 *  1536  __u32 badpages[]
 *  4086  magic[10]            "SWAPSPACE2" (v1) or "SWAP-SPACE" (v0, refused)
 *
 * Messages are the kernel's pr_err/pr_warn texts.  Some refusals are silent
 * in the kernel (read_swap_header() just returns 0); the model still names
 * them in `error` and sets `silent: true`.
 *
 * The kernel byte-swaps the header in place (swab32s on the page-cache
 * page); the model parses a copy and leaves the file's page untouched.
 *
 * The bad-slot checks (offset 0 or beyond last_page refused, offsets at or
 * beyond maxpages ignored, duplicates refused, all slots bad -> "Empty
 * swap-file") live in setup_swap_clusters_info()/swap_cluster_setup_bad_slot()
 * in the kernel, after read_swap_header().  read_swap_header() here runs
 * them too (stage 'setup_swap_clusters_info' in the result), so a caller
 * gets a validated bad-slot list; the errno is -EINVAL either way, as in
 * sys_swapon.
 */
import { swap_design } from './swap_design.js';
import { A } from '../shm/arena.js';
import { PAGE_SHIFT, PAGE_SIZE, MAX_SWAPFILES_SHIFT } from '../shm/layout.js';
import { S_ISREG, vfs_read_first_page } from '../fs/vfs.js';

/* ---- union swap_header offsets (bytes) ---- */

/** offsetof(union swap_header, magic.magic) = PAGE_SIZE - 10. */
export const SWAP_HEADER_MAGIC_OFFSET = PAGE_SIZE - 10;
export const SWAP_HEADER_MAGIC_LEN = 10;
export const SWAP_HEADER_BOOTBITS = 1024;
export const SWAP_HEADER_VERSION = SWAP_HEADER_BOOTBITS; /* 1024 */
export const SWAP_HEADER_LAST_PAGE = SWAP_HEADER_VERSION + 4; /* 1028 */
export const SWAP_HEADER_NR_BADPAGES = SWAP_HEADER_LAST_PAGE + 4; /* 1032 */
export const SWAP_HEADER_UUID = SWAP_HEADER_NR_BADPAGES + 4; /* 1036 */
export const SWAP_HEADER_VOLUME = SWAP_HEADER_UUID + 16; /* 1052 */
export const SWAP_HEADER_PADDING = SWAP_HEADER_VOLUME + 16; /* 1068 */
/** offsetof(union swap_header, info.badpages): padding is __u32[117]. */
export const SWAP_HEADER_BADPAGES = SWAP_HEADER_PADDING + 117 * 4; /* 1536 */

export const SWAPSPACE2 = 'SWAPSPACE2';
export const SWAP_SPACE_V0 = 'SWAP-SPACE';

/**
 * MAX_SWAP_BADPAGES = (offsetof(magic.magic) - offsetof(info.badpages)) /
 * sizeof(int) = (4086 - 1536) / 4 = 2550 / 4 = 637 (C integer division).
 */
export const MAX_SWAP_BADPAGES = Math.floor((SWAP_HEADER_MAGIC_OFFSET - SWAP_HEADER_BADPAGES) / 4);
if (MAX_SWAP_BADPAGES !== 637) throw new Error(`swap_header: MAX_SWAP_BADPAGES ${MAX_SWAP_BADPAGES}, expected 637 on 4 KiB pages`);

/**
 * The smallest swap area swapon accepts, in pages: the header page and one
 * slot.  mm/swapfile.c: read_swap_header() refuses last_page 0 ("Empty
 * swap-file": the header alone), and the bad-slot pass of swapon refuses an
 * area with no good page left (nr_good_pages = maxpages - 1 - bad, "Empty
 * swap-file" again).  util-linux mkswap asks for 10 pages, but that is the
 * tool's rule, not the kernel's (src/mm/mkswap.ts writes any size).  Every
 * minimum device size (stress --devices, the scenario schema's pages) is
 * this one.
 */
export const SWAP_MIN_PAGES = 2;

/* ---- swapfile_maximum_size ---- */

const U64 = (1n << 64n) - 1n;
/* include/linux/swapops.h: SWP_TYPE_SHIFT = BITS_PER_XA_VALUE - MAX_SWAPFILES_SHIFT (63 - 5). */
const BITS_PER_XA_VALUE = 63n;
const SWP_TYPE_SHIFT = BITS_PER_XA_VALUE - BigInt(MAX_SWAPFILES_SHIFT);
const SWP_OFFSET_MASK = (1n << SWP_TYPE_SHIFT) - 1n;
/* arch/x86/include/asm/pgtable_64.h: 5 type bits at the top, the offset
 * (inverted) from bit _PAGE_BIT_PROTNONE + 1 = 9 up to the type. */
const X86_SWP_TYPE_BITS = 5n;
const X86_PAGE_BIT_PROTNONE = 8n; /* = _PAGE_BIT_GLOBAL */
const X86_SWP_OFFSET_FIRST_BIT = X86_PAGE_BIT_PROTNONE + 1n;
const X86_SWP_OFFSET_SHIFT = X86_SWP_OFFSET_FIRST_BIT + X86_SWP_TYPE_BITS;

/*
 * generic_max_swapfile_size() for x86_64, computed the kernel's way: encode
 * swp_entry(0, ~0UL) into a swap PTE with the x86_64 __swp_entry(), decode
 * the offset with __swp_offset(), and add one.  The PTE keeps 64 - 14 = 50
 * offset bits (the generic swp_entry_t keeps 58), so the answer is 2^50.
 */
function x86_64_generic_max_swapfile_size(): bigint {
  const offset = U64 & SWP_OFFSET_MASK; /* swp_entry(0, ~0UL) */
  const type = 0n;
  /* __swp_entry(type, offset) */
  const pte = ((((~offset & U64) << X86_SWP_OFFSET_SHIFT) & U64) >> X86_SWP_TYPE_BITS) | (type << (64n - X86_SWP_TYPE_BITS));
  /* __swp_offset(__pte_to_swp_entry(pte)) */
  const off = (((~pte & U64) << X86_SWP_TYPE_BITS) & U64) >> X86_SWP_OFFSET_SHIFT;
  /* swp_entry(__swp_type(), __swp_offset()), then swp_offset() */
  return (off & SWP_OFFSET_MASK) + 1n;
}

/**
 * arch_max_swapfile_size() on x86_64 (arch/x86/mm/init.c) without the
 * L1TF clamp: 2^50 pages.  On a CPU with X86_BUG_L1TF and the mitigation on,
 * the kernel lowers it to l1tf_pfn_limit() << (PAGE_SHIFT -
 * SWP_OFFSET_FIRST_BIT), e.g. 2^36 pages with 46 physical address bits; the
 * model assumes an unaffected CPU.
 */
export const ARCH_MAX_SWAPFILE_SIZE: number = Number(x86_64_generic_max_swapfile_size());
if (ARCH_MAX_SWAPFILE_SIZE !== 2 ** 50) throw new Error(`swap_header: arch_max_swapfile_size ${ARCH_MAX_SWAPFILE_SIZE}, expected 2^50`);

/**
 * swapfile_maximum_size for this arena: the x86_64 limit, clamped to the
 * arena's per-device slot capacity (A.L.config.maxSwapPages), which is the
 * model's own limit.
 *
 * Context: any, after attach().
 */
export function swapfile_maximum_size(): number {
  return Math.min(ARCH_MAX_SWAPFILE_SIZE, A.L.config.maxSwapPages);
}

/* ---- parsing ---- */

/** swab32(). */
export function swab32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** K(x): pages to KiB. */
function K(pages: number): number {
  return pages * (1 << (PAGE_SHIFT - 10));
}

/** printk %d of a __u32 (the kernel prints these header fields signed). */
function pr_d(u32: number): number {
  return u32 | 0;
}

const UINT_MAX = 0xffffffff;

/** The header fields after read_swap_header()'s endianness fix-up. */
export interface SwapHeaderInfo {
  version: number;
  last_page: number;
  nr_badpages: number;
  /** badpages[0 .. min(nr_badpages, MAX_SWAP_BADPAGES)), host order. */
  badpages: number[];
  /** The header was byte-swapped (written on the other endianness). */
  swapped: boolean;
}

/** What the inode contributes: S_IFMT bits and i_size in pages. */
export interface SwapHeaderInode {
  kind: number;
  sizePages: number;
}

export type ReadSwapHeaderRaw =
  | { maxpages: number; info: SwapHeaderInfo; warnings: string[]; ghost: boolean; error?: undefined; silent?: undefined }
  | { maxpages: 0; info: SwapHeaderInfo | null; warnings: string[]; error: string; silent: boolean };

/**
 * __read_swap_header(): mm/swapfile.c read_swap_header() on a copy of the
 * header page @page (PAGE_SIZE bytes), for inode @inode, with
 * swapfile_maximum_size = @maxSwapfileSize.  Returns maxpages (0 on
 * refusal, with the reason).  With @ghostPatch (seed 001 patch 13), a file
 * of exactly one page is a ghost swapfile: the header alone gives the
 * size, and nothing backs the slots.  Pure: no arena access.
 */
export function __read_swap_header(page: Uint8Array, inode: SwapHeaderInode, maxSwapfileSize: number, limitNote = '', ghostPatch = false): ReadSwapHeaderRaw {
  const warnings: string[] = [];
  const bytes = new Uint8Array(PAGE_SIZE);
  bytes.set(page.subarray(0, PAGE_SIZE));
  const dv = new DataView(bytes.buffer);
  const fail = (error: string, silent: boolean, info: SwapHeaderInfo | null = null): ReadSwapHeaderRaw => ({
    maxpages: 0,
    info,
    warnings,
    error,
    silent,
  });

  /* memcmp("SWAPSPACE2", swap_header->magic.magic, 10) */
  for (let i = 0; i < SWAP_HEADER_MAGIC_LEN; i++) {
    if (bytes[SWAP_HEADER_MAGIC_OFFSET + i] !== SWAPSPACE2.charCodeAt(i)) {
      return fail('Unable to find swap-space signature', false);
    }
  }

  let version = dv.getUint32(SWAP_HEADER_VERSION, true);
  let last_page = dv.getUint32(SWAP_HEADER_LAST_PAGE, true);
  let nr_badpages = dv.getUint32(SWAP_HEADER_NR_BADPAGES, true);
  let swapped = false;
  const readBad = (i: number): number => dv.getUint32(SWAP_HEADER_BADPAGES + 4 * i, true);
  let badpages: number[] = [];

  /* swap partition endianness hack... */
  if (swab32(version) === 1) {
    swapped = true;
    version = swab32(version);
    last_page = swab32(last_page);
    nr_badpages = swab32(nr_badpages);
    if (nr_badpages > MAX_SWAP_BADPAGES) {
      return fail(`nr_badpages ${nr_badpages} > MAX_SWAP_BADPAGES ${MAX_SWAP_BADPAGES} in a byte-swapped header`, true, {
        version, last_page, nr_badpages, badpages: [], swapped,
      });
    }
    for (let i = 0; i < nr_badpages; i++) badpages.push(swab32(readBad(i)));
  } else {
    const n = Math.min(nr_badpages, MAX_SWAP_BADPAGES);
    for (let i = 0; i < n; i++) badpages.push(readBad(i));
  }
  const info: SwapHeaderInfo = { version, last_page, nr_badpages, badpages, swapped };

  /* Check the swap header's sub-version */
  if (version !== 1) return fail(`Unable to handle swap header version ${pr_d(version)}`, false, info);

  let maxpages = maxSwapfileSize;
  if (!last_page) return fail('Empty swap-file', false, info);
  if (last_page > maxpages) {
    warnings.push(`Truncating oversized swap area, only using ${K(maxpages)}k out of ${K(last_page)}k${limitNote}`);
  }
  if (maxpages > last_page) {
    maxpages = last_page + 1;
    /* p->max is an unsigned int: don't overflow it */
    if (maxpages % 2 ** 32 === 0) maxpages = UINT_MAX;
  }
  if (!maxpages) return fail('swapfile_maximum_size is 0', true, info);

  /* Ghost swapfile: only the header page exists. */
  if (ghostPatch && inode.sizePages === 1) return { maxpages, info, warnings, ghost: true };
  const swapfilepages = inode.sizePages;
  if (swapfilepages && maxpages > swapfilepages) return fail('Swap area shorter than signature indicates', false, info);
  if (nr_badpages && S_ISREG(inode.kind)) {
    return fail(`nr_badpages ${nr_badpages} on a regular file (S_ISREG): bad pages are only accepted on a block device`, true, info);
  }
  if (nr_badpages > MAX_SWAP_BADPAGES) {
    return fail(`nr_badpages ${nr_badpages} > MAX_SWAP_BADPAGES ${MAX_SWAP_BADPAGES}`, true, info);
  }
  return { maxpages, info, warnings, ghost: false };
}

export type SwapBadSlotsResult =
  | { ok: true; badPages: number[]; pages: number; ignored: number[] }
  | { ok: false; error: string };

/**
 * swap_header_bad_slots(): the bad-slot pass of setup_swap_clusters_info()
 * with swap_cluster_setup_bad_slot()'s checks, for a header @info accepted
 * with @maxpages.  si->pages starts at maxpages - 1 (the header slot is
 * never usable) and drops by one per bad slot below maxpages.
 *
 *  - slot 0 (the header) is set up first: with maxpages 1 nothing is left
 *    -> "Empty swap-file";
 *  - badpages[i] == 0 or > last_page -> "Bad slot offset is out of border";
 *  - badpages[i] >= maxpages (the area was truncated) -> ignored
 *    (pr_debug "Ignoring bad slot");
 *  - no usable slot left -> "Empty swap-file";
 *  - the same slot twice -> "Duplicated bad slot offset".
 *
 * Returns the bad slots in header order (all < maxpages) and si->pages.
 */
export function swap_header_bad_slots(info: SwapHeaderInfo, maxpages: number): SwapBadSlotsResult {
  let pages = maxpages - 1;
  if (!pages) return { ok: false, error: 'Empty swap-file' };
  const seen = new Set<number>([0]);
  const badPages: number[] = [];
  const ignored: number[] = [];
  for (let i = 0; i < info.nr_badpages && i < info.badpages.length; i++) {
    const page_nr = info.badpages[i];
    if (!page_nr || page_nr > info.last_page) {
      return { ok: false, error: `Bad slot offset is out of border: ${pr_d(page_nr)} (last_page: ${pr_d(info.last_page)})` };
    }
    /* si->max may got shrunk: ignore slots past it */
    if (page_nr >= maxpages) {
      ignored.push(page_nr);
      continue;
    }
    pages -= 1;
    if (!pages) return { ok: false, error: 'Empty swap-file' };
    if (seen.has(page_nr)) return { ok: false, error: `Duplicated bad slot offset ${pr_d(page_nr)}` };
    seen.add(page_nr);
    badPages.push(page_nr);
  }
  return { ok: true, badPages, pages, ignored };
}

/* ---- the model's entry point ---- */

export type SwapHeaderResult =
  | {
      maxpages: number;
      /** Bad slots below maxpages, in header order (validated: no 0, no duplicates). */
      badPages: number[];
      warnings: string[];
      /** si->pages: maxpages - 1 - badPages.length. */
      pages: number;
      lastPage: number;
      nrBadPages: number;
      /** The header was byte-swapped. */
      swapped: boolean;
      /** A ghost swapfile (seed 001 patch 13): SWP_GHOST, no backing store. */
      ghost: boolean;
      error?: undefined;
    }
  | {
      maxpages: 0;
      /** What was wrong, in the kernel's words where the kernel prints one. */
      error: string;
      /** The kernel refuses this one without a message. */
      silent: boolean;
      /** Which kernel function refuses it. */
      stage: 'open' | 'read_swap_header' | 'setup_swap_clusters_info';
      warnings: string[];
    };

/**
 * read_swap_header(): validate the swap header of file @id as sys_swapon
 * does; maxpages 0 means refused (the caller returns -EINVAL).  See the
 * file comment for the checks and their order.
 *
 * Context: process context; takes fs_lock (to copy the page), so the
 * caller must not hold it.
 */
export function read_swap_header(id: number): SwapHeaderResult {
  const page = vfs_read_first_page(id);
  if (page === null) return { maxpages: 0, error: `No such file (file id ${id})`, silent: false, stage: 'open', warnings: [] };
  const limit = swapfile_maximum_size();
  const note =
    limit < ARCH_MAX_SWAPFILE_SIZE
      ? ` (model limit: arena maxSwapPages ${A.L.config.maxSwapPages} slots; x86_64 arch_max_swapfile_size() is 2^50)`
      : '';
  const raw = __read_swap_header(page.bytes, { kind: page.kind, sizePages: page.sizePages }, limit, note, swap_design().name === 'ghost');
  if (raw.error !== undefined) {
    return { maxpages: 0, error: raw.error, silent: raw.silent, stage: 'read_swap_header', warnings: raw.warnings };
  }
  /* setup_swap_clusters_info() skips the bad-page list of a ghost (it has no swap_header). */
  const bad: SwapBadSlotsResult = raw.ghost ? { ok: true, badPages: [], pages: raw.maxpages - 1, ignored: [] } : swap_header_bad_slots(raw.info, raw.maxpages);
  if (!bad.ok) {
    return { maxpages: 0, error: bad.error, silent: false, stage: 'setup_swap_clusters_info', warnings: raw.warnings };
  }
  return {
    maxpages: raw.maxpages,
    badPages: bad.badPages,
    warnings: raw.warnings,
    pages: bad.pages,
    lastPage: raw.info.last_page,
    nrBadPages: raw.info.nr_badpages,
    swapped: raw.info.swapped,
    ghost: raw.ghost,
  };
}
