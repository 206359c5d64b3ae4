/*
 * The model filesystem (src/fs/vfs.ts), mkswap (src/mm/mkswap.ts) and
 * read_swap_header() (src/mm/swap_header.ts): round trips, every refusal
 * of mm/swapfile.c read_swap_header() with its message, the bad-slot
 * checks of setup_swap_clusters_info(), the vfs errnos, and a fast-check
 * property that no header bytes make read_swap_header() throw.
 */
import '../src/designs/index.js';
import { beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { attach, createArena } from '../src/shm/arena.js';
import { FILE_NAME_MAX, PAGE_SIZE } from '../src/shm/layout.js';
import { clear_reports, read_reports } from '../src/shm/report.js';
import { setCurrent, task_init } from '../src/shm/task.js';
import { lockdep_reset } from '../src/sync/lockdep.js';
import { EBUSY, EEXIST, EINVAL, ENOENT, ENOSPC, EPERM } from '../src/include/errno.js';
import {
  IS_SWAPFILE,
  S_IFBLK,
  S_IFREG,
  file_header_word,
  file_kind,
  file_name,
  file_rotational,
  file_size_pages,
  file_swap_type,
  inode_clear_swapfile,
  inode_set_swapfile,
  vfs_create,
  vfs_init,
  vfs_list,
  vfs_lookup,
  vfs_unlink,
} from '../src/fs/vfs.js';
import { mkswap, mkswap_build_header, mkswap_raw_header } from '../src/mm/mkswap.js';
import {
  ARCH_MAX_SWAPFILE_SIZE,
  MAX_SWAP_BADPAGES,
  SWAP_HEADER_BADPAGES,
  SWAP_HEADER_MAGIC_OFFSET,
  read_swap_header,
  swab32,
  swapfile_maximum_size,
  type SwapHeaderResult,
} from '../src/mm/swap_header.js';
import { A } from '../src/shm/arena.js';

const MAX_SWAP_PAGES = 4096;
const NR_FILES = 8;

function setup(): void {
  attach(createArena({ maxSwapPages: MAX_SWAP_PAGES, nrFiles: NR_FILES }));
  setCurrent(0);
  task_init(0, 0);
  lockdep_reset();
  clear_reports();
  vfs_init();
}

function ok(r: SwapHeaderResult): Extract<SwapHeaderResult, { error?: undefined }> {
  if (r.error !== undefined) throw new Error(`refused: ${r.error}`);
  return r;
}

function refused(r: SwapHeaderResult): Extract<SwapHeaderResult, { error: string }> {
  if (r.error === undefined) throw new Error(`accepted with maxpages ${r.maxpages}`);
  expect(r.maxpages).toBe(0);
  return r;
}

function blk(name: string, sizePages: number, rotational = false): number {
  const id = vfs_create(name, { kind: 'blk', sizePages, rotational });
  expect(id).toBeGreaterThanOrEqual(0);
  return id;
}

function reg(name: string, sizePages: number): number {
  const id = vfs_create(name, { kind: 'reg', sizePages });
  expect(id).toBeGreaterThanOrEqual(0);
  return id;
}

beforeEach(() => setup());

describe('constants', () => {
  it('MAX_SWAP_BADPAGES is (offsetof(magic.magic) - offsetof(info.badpages)) / 4 = 637', () => {
    expect(SWAP_HEADER_MAGIC_OFFSET).toBe(4086);
    expect(SWAP_HEADER_BADPAGES).toBe(1536);
    expect(MAX_SWAP_BADPAGES).toBe(637);
  });

  it('swapfile_maximum_size is 2^50 on x86_64, clamped to the arena', () => {
    expect(ARCH_MAX_SWAPFILE_SIZE).toBe(2 ** 50);
    expect(swapfile_maximum_size()).toBe(MAX_SWAP_PAGES);
  });

  it('swab32', () => {
    expect(swab32(1)).toBe(0x01000000);
    expect(swab32(0x12345678)).toBe(0x78563412);
    expect(swab32(0xffffffff)).toBe(0xffffffff);
  });
});

describe('mkswap + read_swap_header', () => {
  it('round trip on a block device: maxpages = last_page + 1, bad pages kept', () => {
    const id = blk('/dev/vdb', 1024);
    expect(mkswap(id, { badPages: [5, 700, 9], label: 'swap0' })).toBe(0);
    const r = ok(read_swap_header(id));
    expect(r.maxpages).toBe(1024);
    expect(r.badPages).toEqual([5, 700, 9]);
    expect(r.pages).toBe(1024 - 1 - 3);
    expect(r.lastPage).toBe(1023);
    expect(r.nrBadPages).toBe(3);
    expect(r.swapped).toBe(false);
    expect(r.warnings).toEqual([]);
    expect(read_reports()).toEqual([]);
  });

  it('writes the union swap_header layout, little endian, magic in the last 10 bytes', () => {
    const id = blk('/dev/vdc', 64);
    expect(mkswap(id, { badPages: [7], label: 'LBL' })).toBe(0);
    const off = file_header_word(id) * 4;
    const dv = new DataView(A.u8.slice(off, off + PAGE_SIZE).buffer);
    expect(dv.getUint32(1024, true)).toBe(1); /* version */
    expect(dv.getUint32(1028, true)).toBe(63); /* last_page */
    expect(dv.getUint32(1032, true)).toBe(1); /* nr_badpages */
    expect(dv.getUint32(1536, true)).toBe(7); /* badpages[0] */
    expect(new TextDecoder().decode(A.u8.slice(off + 1052, off + 1055))).toBe('LBL');
    expect(new TextDecoder().decode(A.u8.slice(off + 4086, off + 4096))).toBe('SWAPSPACE2');
    const uuid = A.u8.slice(off + 1036, off + 1052);
    expect(uuid[6] >> 4).toBe(4);
    expect(uuid.some((b) => b !== 0)).toBe(true);
  });

  it('round trip on a regular file without bad pages', () => {
    const id = reg('/swapfile', 300);
    expect(mkswap(id)).toBe(0);
    const r = ok(read_swap_header(id));
    expect(r.maxpages).toBe(300);
    expect(r.badPages).toEqual([]);
    expect(r.pages).toBe(299);
  });

  it('a header shorter than the file uses only last_page + 1 pages', () => {
    const id = blk('/dev/big', 2000);
    expect(mkswap(id, { lastPage: 99 })).toBe(0);
    expect(ok(read_swap_header(id)).maxpages).toBe(100);
  });

  it('reads nr_badpages entries and no more: a stale entry past them (an older mkswap\'s) is not a bad page, native or byte-swapped', () => {
    for (const endian of ['little', 'big'] as const) {
      const id = blk(`/dev/stale-${endian}`, 512);
      expect(mkswap(id, { endian, badPages: [3, 4, 9] })).toBe(0);
      const dv = new DataView(A.u8.buffer, A.u8.byteOffset + file_header_word(id) * 4, PAGE_SIZE);
      dv.setUint32(1032, 2, endian === 'little'); /* nr_badpages 2; badpages[2] = 9 stays behind */
      const r = ok(read_swap_header(id));
      expect(r.badPages, endian).toEqual([3, 4]);
      expect(r.pages, endian).toBe(512 - 1 - 2);
    }
  });

  it('accepts a byte-swapped (big-endian) header', () => {
    const id = blk('/dev/be', 512);
    expect(mkswap(id, { endian: 'big', badPages: [3, 4] })).toBe(0);
    const r = ok(read_swap_header(id));
    expect(r.swapped).toBe(true);
    expect(r.maxpages).toBe(512);
    expect(r.badPages).toEqual([3, 4]);
    /* The file's page is left as written (the kernel swaps its page-cache copy). */
    const dv = new DataView(A.u8.slice(file_header_word(id) * 4, file_header_word(id) * 4 + PAGE_SIZE).buffer);
    expect(dv.getUint32(1024, true)).toBe(0x01000000);
  });

  it('truncates an area larger than swapfile_maximum_size, with the kernel warning and the model limit', () => {
    const id = blk('/dev/huge', 10000);
    expect(mkswap(id)).toBe(0);
    const r = ok(read_swap_header(id));
    expect(r.maxpages).toBe(MAX_SWAP_PAGES);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain(`Truncating oversized swap area, only using ${MAX_SWAP_PAGES * 4}k out of ${9999 * 4}k`);
    expect(r.warnings[0]).toContain('maxSwapPages');
  });

  it('last_page == swapfile_maximum_size: no warning, maxpages stays at the limit', () => {
    const id = blk('/dev/edge', MAX_SWAP_PAGES + 1);
    expect(mkswap(id)).toBe(0);
    const r = ok(read_swap_header(id));
    expect(r.maxpages).toBe(MAX_SWAP_PAGES);
    expect(r.warnings).toEqual([]);
  });

  it('ignores bad pages at or beyond maxpages (truncated area)', () => {
    const id = blk('/dev/trunc', 6000);
    expect(mkswap(id, { badPages: [10, MAX_SWAP_PAGES, 5000, MAX_SWAP_PAGES - 1] })).toBe(0);
    const r = ok(read_swap_header(id));
    expect(r.maxpages).toBe(MAX_SWAP_PAGES);
    expect(r.badPages).toEqual([10, MAX_SWAP_PAGES - 1]);
    expect(r.pages).toBe(MAX_SWAP_PAGES - 1 - 2);
  });

  it('accepts exactly MAX_SWAP_BADPAGES bad pages on a block device', () => {
    const id = blk('/dev/many', 2048);
    const bad = Array.from({ length: MAX_SWAP_BADPAGES }, (_, i) => i + 1);
    expect(mkswap(id, { badPages: bad })).toBe(0);
    const r = ok(read_swap_header(id));
    expect(r.badPages).toHaveLength(MAX_SWAP_BADPAGES);
    expect(r.pages).toBe(2047 - MAX_SWAP_BADPAGES);
    /* A byte-swapped header is held to the same bound (read_swap_header()'s swab32 branch: nr_badpages > MAX_SWAP_BADPAGES refused). */
    expect(mkswap(id, { badPages: bad, endian: 'big' })).toBe(0);
    const s = ok(read_swap_header(id));
    expect(s.swapped).toBe(true);
    expect(s.badPages).toHaveLength(MAX_SWAP_BADPAGES);
    expect(s.pages).toBe(2047 - MAX_SWAP_BADPAGES);
  });

  it('mkswap refuses more bad pages than fit, bad options, missing files', () => {
    const id = blk('/dev/x', 2048);
    expect(mkswap(id, { badPages: Array.from({ length: MAX_SWAP_BADPAGES + 1 }, (_, i) => i + 1) })).toBe(-EINVAL);
    expect(mkswap(id, { lastPage: -1 })).toBe(-EINVAL);
    expect(mkswap(id, { version: 2 ** 32 })).toBe(-EINVAL);
    expect(mkswap(id, { uuid: new Uint8Array(3) })).toBe(-EINVAL);
    expect(mkswap(NR_FILES - 1)).toBe(-ENOENT);
    expect(mkswap_raw_header(id, new Uint8Array(PAGE_SIZE + 1))).toBe(-EINVAL);
  });
});

describe('read_swap_header refusals', () => {
  it('no signature (zeroed page)', () => {
    const id = blk('/dev/zero', 64);
    const r = refused(read_swap_header(id));
    expect(r.error).toBe('Unable to find swap-space signature');
    expect(r.stage).toBe('read_swap_header');
  });

  it('the old v0 "SWAP-SPACE" format', () => {
    const id = blk('/dev/v0', 64);
    expect(mkswap(id, { magic: 'SWAP-SPACE' })).toBe(0);
    expect(refused(read_swap_header(id)).error).toBe('Unable to find swap-space signature');
  });

  it('a garbage signature', () => {
    const id = blk('/dev/garbage', 64);
    expect(mkswap(id, { magic: 'SWAPSPACE3' })).toBe(0);
    expect(refused(read_swap_header(id)).error).toBe('Unable to find swap-space signature');
    expect(mkswap(id, { magic: 'SWAP' })).toBe(0);
    expect(refused(read_swap_header(id)).error).toBe('Unable to find swap-space signature');
  });

  it('version != 1, printed signed like %d', () => {
    const id = blk('/dev/ver', 64);
    expect(mkswap(id, { version: 2 })).toBe(0);
    expect(refused(read_swap_header(id)).error).toBe('Unable to handle swap header version 2');
    expect(mkswap(id, { version: 0 })).toBe(0);
    expect(refused(read_swap_header(id)).error).toBe('Unable to handle swap header version 0');
    expect(mkswap(id, { version: 0xffffffff })).toBe(0);
    expect(refused(read_swap_header(id)).error).toBe('Unable to handle swap header version -1');
  });

  it('last_page 0: Empty swap-file', () => {
    const id = blk('/dev/empty', 64);
    expect(mkswap(id, { lastPage: 0 })).toBe(0);
    expect(refused(read_swap_header(id)).error).toBe('Empty swap-file');
  });

  it('a file smaller than the header says', () => {
    const id = reg('/short', 100);
    expect(mkswap(id, { lastPage: 100 })).toBe(0);
    expect(refused(read_swap_header(id)).error).toBe('Swap area shorter than signature indicates');
    expect(mkswap(id, { lastPage: 99 })).toBe(0);
    expect(ok(read_swap_header(id)).maxpages).toBe(100);
  });

  it('a truncated area is still checked against the file size (warning, then refusal)', () => {
    const id = blk('/dev/lies', 100);
    expect(mkswap(id, { lastPage: 9000 })).toBe(0);
    const r = refused(read_swap_header(id));
    expect(r.error).toBe('Swap area shorter than signature indicates');
    expect(r.warnings[0]).toContain('Truncating oversized swap area');
  });

  it('bad pages on a regular file (silent in the kernel)', () => {
    const id = reg('/swapfile-bad', 128);
    expect(mkswap(id, { badPages: [3] })).toBe(0);
    const r = refused(read_swap_header(id));
    expect(r.silent).toBe(true);
    expect(r.error).toContain('S_ISREG');
  });

  it('nr_badpages > MAX_SWAP_BADPAGES (silent in the kernel), native and byte-swapped', () => {
    const id = blk('/dev/toomany', 4096);
    expect(mkswap(id, { nrBadPagesOverride: MAX_SWAP_BADPAGES + 1 })).toBe(0);
    let r = refused(read_swap_header(id));
    expect(r.silent).toBe(true);
    expect(r.error).toContain('MAX_SWAP_BADPAGES');
    expect(mkswap(id, { nrBadPagesOverride: MAX_SWAP_BADPAGES + 1, endian: 'big' })).toBe(0);
    r = refused(read_swap_header(id));
    expect(r.error).toContain('byte-swapped');
  });

  it('bad slot 0 or beyond last_page: out of border', () => {
    const id = blk('/dev/border', 256);
    expect(mkswap(id, { badPages: [0] })).toBe(0);
    let r = refused(read_swap_header(id));
    expect(r.error).toBe('Bad slot offset is out of border: 0 (last_page: 255)');
    expect(r.stage).toBe('setup_swap_clusters_info');
    expect(mkswap(id, { badPages: [256] })).toBe(0);
    r = refused(read_swap_header(id));
    expect(r.error).toBe('Bad slot offset is out of border: 256 (last_page: 255)');
  });

  it('a duplicated bad slot', () => {
    const id = blk('/dev/dup', 256);
    expect(mkswap(id, { badPages: [7, 8, 7] })).toBe(0);
    expect(refused(read_swap_header(id)).error).toBe('Duplicated bad slot offset 7');
  });

  it('every slot bad: Empty swap-file', () => {
    const id = blk('/dev/allbad', 4);
    expect(mkswap(id, { badPages: [1, 2, 3] })).toBe(0);
    expect(refused(read_swap_header(id)).error).toBe('Empty swap-file');
    expect(mkswap(id, { badPages: [1, 2] })).toBe(0);
    expect(ok(read_swap_header(id)).pages).toBe(1);
  });

  it('a missing file', () => {
    expect(refused(read_swap_header(3)).stage).toBe('open');
  });
});

describe('vfs', () => {
  it('create, lookup, attributes, list', () => {
    const a = vfs_create('/dev/sda', { kind: 'blk', sizePages: 10, rotational: true });
    const b = vfs_create('/swap/f\u00e9', { kind: 'reg', sizePages: 20 });
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).toBeGreaterThanOrEqual(0);
    expect(vfs_lookup('/dev/sda')).toBe(a);
    expect(vfs_lookup('/swap/f\u00e9')).toBe(b);
    expect(file_kind(a)).toBe(S_IFBLK);
    expect(file_kind(b)).toBe(S_IFREG);
    expect(file_rotational(a)).toBe(true);
    expect(file_rotational(b)).toBe(false);
    expect(file_size_pages(b)).toBe(20);
    expect(file_name(b)).toBe('/swap/f\u00e9');
    expect(vfs_list().map((e) => e.name)).toEqual(['/dev/sda', '/swap/f\u00e9']);
    expect(read_reports()).toEqual([]);
  });

  it('-ENOENT, -EEXIST, -EINVAL', () => {
    expect(vfs_lookup('nope')).toBe(-ENOENT);
    expect(vfs_unlink('nope')).toBe(-ENOENT);
    expect(vfs_create('f', { kind: 'reg', sizePages: 1 })).toBeGreaterThanOrEqual(0);
    expect(vfs_create('f', { kind: 'blk', sizePages: 5 })).toBe(-EEXIST);
    expect(vfs_create('', { kind: 'reg', sizePages: 1 })).toBe(-EINVAL);
    expect(vfs_create('g', { kind: 'reg', sizePages: 0 })).toBe(-EINVAL);
    expect(vfs_create('g', { kind: 'reg', sizePages: 1.5 })).toBe(-EINVAL);
    expect(vfs_create('a\0b', { kind: 'reg', sizePages: 1 })).toBe(-EINVAL);
  });

  it('name length limit is FILE_NAME_MAX bytes of UTF-8', () => {
    expect(vfs_create('x'.repeat(FILE_NAME_MAX), { kind: 'reg', sizePages: 1 })).toBeGreaterThanOrEqual(0);
    expect(vfs_create('y'.repeat(FILE_NAME_MAX + 1), { kind: 'reg', sizePages: 1 })).toBe(-EINVAL);
    /* 32 two-byte characters fit, 33 do not */
    expect(vfs_create('\u00e9'.repeat(FILE_NAME_MAX / 2), { kind: 'reg', sizePages: 1 })).toBeGreaterThanOrEqual(0);
    expect(vfs_create('\u00e8'.repeat(FILE_NAME_MAX / 2 + 1), { kind: 'reg', sizePages: 1 })).toBe(-EINVAL);
    expect(vfs_lookup('x'.repeat(FILE_NAME_MAX))).toBeGreaterThanOrEqual(0);
  });

  it('-ENOSPC when the table is full; unlink frees a slot', () => {
    for (let i = 0; i < NR_FILES; i++) expect(vfs_create(`f${i}`, { kind: 'reg', sizePages: 1 })).toBe(i);
    expect(vfs_create('one-more', { kind: 'reg', sizePages: 1 })).toBe(-ENOSPC);
    expect(vfs_unlink('f3')).toBe(0);
    expect(vfs_lookup('f3')).toBe(-ENOENT);
    expect(vfs_create('one-more', { kind: 'reg', sizePages: 1 })).toBe(3);
  });

  it('an active swap file cannot be unlinked (-EPERM, may_delete), claimed twice (-EBUSY) or rewritten', () => {
    const id = blk('/dev/active', 64);
    expect(mkswap(id)).toBe(0);
    expect(IS_SWAPFILE(id)).toBe(false);
    expect(inode_set_swapfile(id, 2)).toBe(0);
    expect(IS_SWAPFILE(id)).toBe(true);
    expect(file_swap_type(id)).toBe(2);
    expect(vfs_list()[0].swapType).toBe(2);
    expect(inode_set_swapfile(id, 3)).toBe(-EBUSY);
    expect(vfs_unlink('/dev/active')).toBe(-EPERM);
    expect(mkswap(id)).toBe(-EBUSY);
    expect(mkswap_raw_header(id, new Uint8Array(16))).toBe(-EBUSY);
    expect(inode_clear_swapfile(id)).toBe(0);
    expect(inode_clear_swapfile(id)).toBe(-EINVAL);
    expect(vfs_unlink('/dev/active')).toBe(0);
    expect(inode_set_swapfile(id, 0)).toBe(-ENOENT);
  });

  it('unlink poisons the header; a re-created file reads as zeros', () => {
    const id = blk('/dev/p', 64);
    expect(mkswap(id)).toBe(0);
    expect(vfs_unlink('/dev/p')).toBe(0);
    const off = file_header_word(id) * 4;
    expect(A.u8[off + 4090]).toBe(0x6b);
    expect(blk('/dev/q', 64)).toBe(id);
    expect(A.u8.slice(off, off + PAGE_SIZE).every((b) => b === 0)).toBe(true);
    expect(refused(read_swap_header(id)).error).toBe('Unable to find swap-space signature');
  });

  it('file ids outside the table throw (a model bug, not an errno)', () => {
    expect(() => file_size_pages(NR_FILES)).toThrow(RangeError);
    expect(() => file_header_word(-1)).toThrow(RangeError);
  });
});

describe('property: read_swap_header never throws', () => {
  const seed = Number(process.env.FC_SEED ?? (Date.now() ^ (process.pid << 8)) | 0);

  function checkResult(r: SwapHeaderResult, sizePages: number): void {
    if (r.error !== undefined) {
      expect(r.maxpages).toBe(0);
      expect(typeof r.error).toBe('string');
      expect(r.error.length).toBeGreaterThan(0);
      return;
    }
    expect(r.maxpages).toBeGreaterThanOrEqual(1);
    expect(r.maxpages).toBeLessThanOrEqual(swapfile_maximum_size());
    expect(r.maxpages).toBeLessThanOrEqual(sizePages);
    expect(new Set(r.badPages).size).toBe(r.badPages.length);
    for (const b of r.badPages) {
      expect(b).toBeGreaterThanOrEqual(1);
      expect(b).toBeLessThan(r.maxpages);
    }
    expect(r.pages).toBe(r.maxpages - 1 - r.badPages.length);
    expect(r.pages).toBeGreaterThanOrEqual(1);
  }

  it('random header bytes', () => {
    console.log(`swap_header property seed: ${seed} (rerun with FC_SEED=${seed})`);
    const id = blk('/dev/fuzz', 8192);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: PAGE_SIZE }), (bytes) => {
        expect(mkswap_raw_header(id, bytes)).toBe(0);
        checkResult(read_swap_header(id), 8192);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('random fields behind a valid signature', () => {
    console.log(`swap_header structured property seed: ${seed} (rerun with FC_SEED=${seed})`);
    let accepted = 0;
    let refusedCount = 0;
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    /* Weighted towards headers that pass, so both outcomes are exercised. */
    const header = fc.integer({ min: 1, max: 9000 }).chain((sizePages) =>
      fc.record({
        kind: fc.constantFrom<'reg' | 'blk'>('reg', 'blk', 'blk'),
        sizePages: fc.constant(sizePages),
        version: fc.oneof(
          { weight: 6, arbitrary: fc.constant(1) },
          { weight: 1, arbitrary: fc.constant(0x01000000) },
          { weight: 1, arbitrary: u32 },
        ),
        lastPage: fc.oneof(
          { weight: 6, arbitrary: fc.integer({ min: 0, max: sizePages + 2 }) },
          { weight: 1, arbitrary: u32 },
        ),
        badPages: fc.oneof(
          { weight: 2, arbitrary: fc.constant([] as number[]) },
          { weight: 3, arbitrary: fc.array(fc.integer({ min: 0, max: sizePages }), { maxLength: 40 }) },
          { weight: 1, arbitrary: fc.array(u32, { maxLength: 8 }) },
        ),
        nrBad: fc.oneof(
          { weight: 6, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 700 }) },
          { weight: 1, arbitrary: u32 },
        ),
        endian: fc.constantFrom<'little' | 'big'>('little', 'little', 'big'),
      }),
    );
    fc.assert(
      fc.property(
        header,
        (h) => {
          vfs_unlink('/dev/s');
          const id = vfs_create('/dev/s', { kind: h.kind, sizePages: h.sizePages });
          expect(id).toBeGreaterThanOrEqual(0);
          const page = mkswap_build_header(h.sizePages, '/dev/s', {
            version: h.version,
            lastPage: h.lastPage,
            badPages: h.badPages,
            nrBadPagesOverride: h.nrBad,
            endian: h.endian,
          });
          expect(page).not.toBeNull();
          expect(mkswap_raw_header(id, page!)).toBe(0);
          const r = read_swap_header(id);
          checkResult(r, h.sizePages);
          if (r.error === undefined) accepted++;
          else refusedCount++;
        },
      ),
      { seed, numRuns: 500 },
    );
    /* ~25% of these headers pass: both outcomes must have been exercised. */
    expect(accepted).toBeGreaterThan(0);
    expect(refusedCount).toBeGreaterThan(0);
    expect(read_reports()).toEqual([]);
  });
});
