/*
 * mkswap: write a swap header into page 0 of a model file.
 *
 * Mapping: util-linux disk-utils/mkswap.c (write_header_to_device(),
 * the "SWAPSPACE2" signature at PAGE_SIZE - 10, version 1, last_page =
 * PAGES - 1, the bad-page list from -c, the UUID and the 16-byte label),
 * writing include/linux/swap.h's union swap_header on x86_64 (little
 * endian, PAGE_SIZE 4096).  Offsets come from src/mm/swap_header.ts.
 *
 * Differences from the tool, on purpose (this is a test instrument):
 *  - no minimum size (util-linux refuses fewer than 10 pages) and no check
 *    that last_page fits the device: tests write lying headers on purpose;
 *  - the options can write any version, magic, nr_badpages, or a
 *    big-endian header (what a big-endian machine's mkswap writes: the
 *    kernel's "swap partition endianness hack" reads it back);
 *  - the UUID is derived from the file name (deterministic, replayable),
 *    shaped as a version-4 UUID like libuuid's uuid_generate();
 *  - the whole page is rewritten (bootbits zeroed), like mkswap's wipe of
 *    the first 1 KiB on a device without a partition table.
 *
 * Refused like the real thing: a file that is an active swap area (-EBUSY:
 * swapon holds a block device O_EXCL, and an S_SWAPFILE inode takes no
 * writes), more bad pages than fit (-EINVAL, util-linux "too many bad
 * pages"), no such file (-ENOENT).
 */
import { EINVAL, ENOENT } from '../include/errno.js';
import { PAGE_SIZE } from '../shm/layout.js';
import { file_exists, file_name, file_size_pages, vfs_write_first_page } from '../fs/vfs.js';
import {
  MAX_SWAP_BADPAGES,
  SWAPSPACE2,
  SWAP_HEADER_BADPAGES,
  SWAP_HEADER_LAST_PAGE,
  SWAP_HEADER_MAGIC_LEN,
  SWAP_HEADER_MAGIC_OFFSET,
  SWAP_HEADER_NR_BADPAGES,
  SWAP_HEADER_UUID,
  SWAP_HEADER_VERSION,
  SWAP_HEADER_VOLUME,
} from './swap_header.js';

export interface MkswapOpts {
  /** info.version; default 1. */
  version?: number;
  /** info.last_page; default sizePages - 1. */
  lastPage?: number;
  /** info.badpages[]; at most MAX_SWAP_BADPAGES entries. */
  badPages?: number[];
  /** The 10-byte signature; default 'SWAPSPACE2'.  Shorter is zero-padded, longer cut. */
  magic?: string;
  /** info.nr_badpages written instead of badPages.length (lying headers). */
  nrBadPagesOverride?: number;
  /** sws_volume: at most 16 bytes of UTF-8 (cut, like "Label was truncated"). */
  label?: string;
  /** sws_uuid: 16 bytes; default derived from the file name. */
  uuid?: Uint8Array;
  /** Byte order of the __u32 fields; default 'little' (x86_64). */
  endian?: 'little' | 'big';
}

function isU32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/* A version-4-shaped UUID from FNV-1a of @name, stretched with xorshift32. */
function nameUuid(name: string): Uint8Array {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(name)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const out = new Uint8Array(16);
  let x = h || 0x9e3779b9;
  for (let i = 0; i < 16; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  out[6] = (out[6] & 0x0f) | 0x40; /* version 4 */
  out[8] = (out[8] & 0x3f) | 0x80; /* RFC 4122 variant */
  return out;
}

/**
 * Build the header page mkswap would write for a file of @sizePages pages
 * named @name; null on invalid options.  Pure.
 */
export function mkswap_build_header(sizePages: number, name: string, opts: MkswapOpts = {}): Uint8Array | null {
  const version = opts.version ?? 1;
  const lastPage = opts.lastPage ?? sizePages - 1;
  const badPages = opts.badPages ?? [];
  const nrBad = opts.nrBadPagesOverride ?? badPages.length;
  if (!isU32(version) || !isU32(lastPage) || !isU32(nrBad)) return null;
  if (!Array.isArray(badPages) || badPages.length > MAX_SWAP_BADPAGES || !badPages.every(isU32)) return null;
  if (opts.uuid !== undefined && (!(opts.uuid instanceof Uint8Array) || opts.uuid.length !== 16)) return null;
  const little = (opts.endian ?? 'little') === 'little';

  const page = new Uint8Array(PAGE_SIZE);
  const dv = new DataView(page.buffer);
  dv.setUint32(SWAP_HEADER_VERSION, version, little);
  dv.setUint32(SWAP_HEADER_LAST_PAGE, lastPage, little);
  dv.setUint32(SWAP_HEADER_NR_BADPAGES, nrBad, little);
  page.set(opts.uuid ?? nameUuid(name), SWAP_HEADER_UUID);
  if (opts.label !== undefined) page.set(new TextEncoder().encode(opts.label).subarray(0, 16), SWAP_HEADER_VOLUME);
  badPages.forEach((b, i) => dv.setUint32(SWAP_HEADER_BADPAGES + 4 * i, b, little));
  const magic = new TextEncoder().encode(opts.magic ?? SWAPSPACE2).subarray(0, SWAP_HEADER_MAGIC_LEN);
  page.set(magic, SWAP_HEADER_MAGIC_OFFSET);
  return page;
}

/**
 * mkswap(): write a swap header into file @id.  Returns 0, -ENOENT (no
 * such file), -EBUSY (the file is an active swap area), -EINVAL (bad
 * options: a field not a __u32, more than MAX_SWAP_BADPAGES bad pages).
 *
 * Context: process context; takes fs_lock.
 */
export function mkswap(id: number, opts: MkswapOpts = {}): number {
  if (!file_exists(id)) return -ENOENT;
  const page = mkswap_build_header(file_size_pages(id), file_name(id), opts);
  if (page === null) return -EINVAL;
  return vfs_write_first_page(id, page);
}

/**
 * mkswap_raw_header(): write @bytes (at most PAGE_SIZE, zero-filled after)
 * as file @id's first page, for fuzzing read_swap_header().  Returns 0,
 * -ENOENT, -EBUSY, -EINVAL (more than a page).
 *
 * Context: process context; takes fs_lock.
 */
export function mkswap_raw_header(id: number, bytes: Uint8Array): number {
  if (!file_exists(id)) return -ENOENT;
  return vfs_write_first_page(id, bytes);
}
