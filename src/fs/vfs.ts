/*
 * A tiny model filesystem: the files and block devices swapon/swapoff open.
 *
 * One flat namespace of at most `nrFiles` inodes, kept in the arena's FILE
 * region so every simulated CPU sees the same files.  Each inode has a name
 * (UTF-8, at most FILE_NAME_MAX bytes, '/' allowed so names read like paths:
 * "/dev/vdb", "/swapfile"), a mode (S_IFREG or S_IFBLK), a size in pages,
 * the backing device's rotational flag, the S_SWAPFILE inode flag and the
 * file's first page (the swap header that mkswap writes and swapon reads).
 *
 * Kernel mapping (fs/namei.c, fs/inode.c, include/linux/fs.h, block/):
 *   vfs_create()            ~ do_mknodat()/do_sys_open(O_CREAT|O_EXCL) + truncate to size
 *   vfs_lookup()            ~ filename_lookup() / file_open_name() resolving @name
 *   vfs_unlink()            ~ do_unlinkat() -> may_delete(): an S_SWAPFILE inode
 *                             cannot be removed (-EPERM, like S_IMMUTABLE)
 *   IS_SWAPFILE()           ~ IS_SWAPFILE(inode), i_flags & S_SWAPFILE
 *   inode_set_swapfile()    ~ sys_swapon(): "if (IS_SWAPFILE(inode)) -EBUSY" and
 *                             later "inode->i_flags |= S_SWAPFILE", done as one
 *                             atomic claim here (the kernel holds inode_lock
 *                             across both)
 *   inode_clear_swapfile()  ~ sys_swapoff(): "inode->i_flags &= ~S_SWAPFILE"
 *   file_rotational()       ~ bdev_rot(si->bdev): a block device's own queue
 *                             flag, or for a regular file the flag of the
 *                             filesystem's device (inode->i_sb->s_bdev)
 *   file_size_pages()       ~ i_size_read(inode) >> PAGE_SHIFT
 *   file_header_word()      ~ read_mapping_folio(mapping, 0): page 0 of the file
 *
 * FILE.swapfile holds the swap type + 1 while the inode is an active swap
 * area (the model's S_SWAPFILE plus which device claimed it), 0 otherwise.
 *
 * Locking: every mutation (create, unlink, S_SWAPFILE changes, writing a
 * header) runs under G.fs_lock (lockdep class fs_lock).  The single-word
 * accessors (file_kind(), file_size_pages(), ...) read without the lock:
 * those fields do not change while the inode exists, and the caller keeps
 * the inode alive (an active swap file cannot be unlinked, or the caller
 * holds fs_lock).
 *
 * Freed inodes are poisoned: unlink fills the name and the header page with
 * POISON_FREE bytes, so a stale reader sees neither the old name nor a valid
 * swap signature.
 */
import { A, gword, readString, writeString } from '../shm/arena.js';
import { FILE, FILE_NAME_MAX, G, PAGE_SIZE, PAGE_WORDS } from '../shm/layout.js';
import { EEXIST, EINVAL, ENOENT, ENOSPC, EPERM, EBUSY } from '../include/errno.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { LC_FS } from '../sync/lockdep.js';

/* include/uapi/linux/stat.h */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFCHR = 0o020000;

export function S_ISREG(mode: number): boolean {
  return (mode & S_IFMT) === S_IFREG;
}

export function S_ISBLK(mode: number): boolean {
  return (mode & S_IFMT) === S_IFBLK;
}

/**
 * A character device.  The model has one: /dev/ghostswap (seed 001 patch
 * 14, drivers/char/mem.c minor DEVGHOST_MINOR), so every S_IFCHR file is it.
 */
export function S_ISCHR(mode: number): boolean {
  return (mode & S_IFMT) === S_IFCHR;
}

/** FILE.state values. */
export const FILE_FREE = 0;
export const FILE_LIVE = 1;

/** mm/slab poison byte (include/linux/poison.h POISON_FREE). */
const POISON_FREE = 0x6b;

/** Largest size the i32 FILE.size_pages word holds. */
const MAX_SIZE_PAGES = 0x7fffffff;

export interface VfsCreateOpts {
  kind: 'reg' | 'blk' | 'chr';
  /** bdev_rot(): true for a spinning disk.  Default false (an SSD: SWP_SOLIDSTATE). */
  rotational?: boolean;
  /** bdev_synchronous(): a zram-like block device (BLK_FEAT_SYNCHRONOUS: SWP_SYNCHRONOUS_IO).  Default false. */
  synchronous?: boolean;
  /** Size in pages (PAGE_SIZE each), header page included; >= 1. */
  sizePages: number;
}

export interface VfsEntry {
  id: number;
  name: string;
  kind: number; /* S_IFREG / S_IFBLK */
  rotational: boolean;
  sizePages: number;
  /** Active swap type, -1 when not a swap area. */
  swapType: number;
}

function nr_files(): number {
  return A.L.config.nrFiles;
}

/** Word index of field @f of file @id.  Throws on an id outside the table (a model bug). */
function fileWord(id: number, f: number): number {
  if (!Number.isInteger(id) || id < 0 || id >= nr_files()) {
    throw new RangeError(`vfs: file id ${id} outside the file table (0..${nr_files() - 1})`);
  }
  return A.L.file + id * FILE.SIZE + f;
}

function fs_lock(): void {
  spin_lock(gword(G.fs_lock), LC_FS);
}

function fs_unlock(): void {
  spin_unlock(gword(G.fs_lock));
}

/** The UTF-8 bytes of a valid name, or null (empty, NUL inside, too long). */
function encodeName(name: string): Uint8Array | null {
  if (typeof name !== 'string' || name.length === 0) return null;
  if (name.includes('\0')) return null;
  const enc = new TextEncoder().encode(name);
  if (enc.length === 0 || enc.length > FILE_NAME_MAX) return null;
  return enc;
}

/* Does live slot @id carry exactly @enc as its name?  Caller holds fs_lock. */
function nameEquals(id: number, enc: Uint8Array): boolean {
  const i32 = A.i32;
  if (i32[fileWord(id, FILE.name_len)] !== enc.length) return false;
  const off = fileWord(id, FILE.name) * 4;
  const u8 = A.u8;
  for (let i = 0; i < enc.length; i++) if (u8[off + i] !== enc[i]) return false;
  return true;
}

/* Caller holds fs_lock. */
function __lookup(enc: Uint8Array): number {
  const i32 = A.i32;
  for (let id = 0; id < nr_files(); id++) {
    if (Atomics.load(i32, fileWord(id, FILE.state)) !== FILE_LIVE) continue;
    if (nameEquals(id, enc)) return id;
  }
  return -ENOENT;
}

/**
 * vfs_init(): every slot free, fs_lock unlocked.
 *
 * Context: setup, before any CPU runs; takes no lock.
 */
export function vfs_init(): void {
  const i32 = A.i32;
  Atomics.store(i32, gword(G.fs_lock), 0);
  const start = A.L.file;
  i32.fill(0, start, start + nr_files() * FILE.SIZE);
}

/**
 * vfs_create(): create @name as a regular file or a block device of
 * @opts.sizePages pages, contents zero.  Returns the file id, or -EINVAL
 * (empty / too long / NUL in name, sizePages not an integer >= 1, bad kind),
 * -EEXIST, -ENOSPC (file table full).
 *
 * Context: process context; takes fs_lock.
 */
export function vfs_create(name: string, opts: VfsCreateOpts): number {
  const enc = encodeName(name);
  if (enc === null) return -EINVAL;
  if (opts === null || typeof opts !== 'object') return -EINVAL;
  if (opts.kind !== 'reg' && opts.kind !== 'blk' && opts.kind !== 'chr') return -EINVAL;
  const size = opts.sizePages;
  if (!Number.isInteger(size) || size < 1 || size > MAX_SIZE_PAGES) return -EINVAL;

  const i32 = A.i32;
  fs_lock();
  try {
    if (__lookup(enc) >= 0) return -EEXIST;
    let id = -1;
    for (let i = 0; i < nr_files(); i++) {
      if (Atomics.load(i32, fileWord(i, FILE.state)) === FILE_FREE) {
        id = i;
        break;
      }
    }
    if (id < 0) return -ENOSPC;
    const base = fileWord(id, 0);
    /* Fresh inode: zeroed name area and a zero first page (a new file reads as zeros). */
    i32.fill(0, base + FILE.name, base + FILE.name + FILE_NAME_MAX / 4);
    i32.fill(0, base + FILE.header, base + FILE.header + PAGE_WORDS);
    const n = writeString((base + FILE.name) * 4, name, FILE_NAME_MAX);
    Atomics.store(i32, base + FILE.name_len, n);
    Atomics.store(i32, base + FILE.kind, opts.kind === 'blk' ? S_IFBLK : opts.kind === 'chr' ? S_IFCHR : S_IFREG);
    Atomics.store(i32, base + FILE.rotational, opts.rotational ? 1 : 0);
    Atomics.store(i32, base + FILE.synchronous, opts.synchronous === true && opts.kind === 'blk' ? 1 : 0);
    Atomics.store(i32, base + FILE.size_pages, size);
    Atomics.store(i32, base + FILE.swapfile, 0);
    /* Published last: a lock-free reader seeing FILE_LIVE sees the fields above. */
    Atomics.store(i32, base + FILE.state, FILE_LIVE);
    return id;
  } finally {
    fs_unlock();
  }
}

/**
 * vfs_lookup(): id of the live file named @name, or -ENOENT.
 *
 * Context: process context; takes fs_lock.
 */
export function vfs_lookup(name: string): number {
  const enc = encodeName(name);
  if (enc === null) return -ENOENT;
  fs_lock();
  try {
    return __lookup(enc);
  } finally {
    fs_unlock();
  }
}

/**
 * vfs_unlink(): remove @name.  -ENOENT if there is no such file; -EPERM
 * while it is an active swap area (may_delete(): IS_SWAPFILE(inode), like
 * IS_IMMUTABLE, refuses the unlink with -EPERM).  The freed slot is
 * poisoned.
 *
 * Context: process context; takes fs_lock.
 */
export function vfs_unlink(name: string): number {
  const enc = encodeName(name);
  if (enc === null) return -ENOENT;
  const i32 = A.i32;
  fs_lock();
  try {
    const id = __lookup(enc);
    if (id < 0) return id;
    const base = fileWord(id, 0);
    if (Atomics.load(i32, base + FILE.swapfile) !== 0) return -EPERM;
    Atomics.store(i32, base + FILE.state, FILE_FREE);
    Atomics.store(i32, base + FILE.name_len, 0);
    Atomics.store(i32, base + FILE.size_pages, 0);
    Atomics.store(i32, base + FILE.kind, 0);
    Atomics.store(i32, base + FILE.rotational, 0);
    Atomics.store(i32, base + FILE.synchronous, 0);
    A.u8.fill(POISON_FREE, (base + FILE.name) * 4, (base + FILE.name) * 4 + FILE_NAME_MAX);
    A.u8.fill(POISON_FREE, (base + FILE.header) * 4, (base + FILE.header) * 4 + PAGE_SIZE);
    return 0;
  } finally {
    fs_unlock();
  }
}

/** Is slot @id a live file?  (Lock-free; a snapshot.) */
export function file_exists(id: number): boolean {
  if (!Number.isInteger(id) || id < 0 || id >= nr_files()) return false;
  return Atomics.load(A.i32, fileWord(id, FILE.state)) === FILE_LIVE;
}

/** Word index of the file's first page (the swap header): PAGE_WORDS words. */
export function file_header_word(id: number): number {
  return fileWord(id, FILE.header);
}

/** i_size in pages, header page included. */
export function file_size_pages(id: number): number {
  return Atomics.load(A.i32, fileWord(id, FILE.size_pages));
}

/** inode->i_mode & S_IFMT: S_IFREG or S_IFBLK (0 for a free slot). */
export function file_kind(id: number): number {
  return Atomics.load(A.i32, fileWord(id, FILE.kind));
}

/** bdev_rot() of the device behind the file. */
export function file_rotational(id: number): boolean {
  return Atomics.load(A.i32, fileWord(id, FILE.rotational)) !== 0;
}

/** bdev_synchronous() of the device behind the file (BLK_FEAT_SYNCHRONOUS). */
export function file_synchronous(id: number): boolean {
  return Atomics.load(A.i32, fileWord(id, FILE.synchronous)) !== 0;
}

/** The file's name (empty for a free slot). */
export function file_name(id: number): string {
  const len = Atomics.load(A.i32, fileWord(id, FILE.name_len));
  return readString(fileWord(id, FILE.name) * 4, Math.min(Math.max(len, 0), FILE_NAME_MAX));
}

/** IS_SWAPFILE(inode). */
export function IS_SWAPFILE(id: number): boolean {
  return Atomics.load(A.i32, fileWord(id, FILE.swapfile)) !== 0;
}

/** The swap type holding this file, or -1. */
export function file_swap_type(id: number): number {
  return Atomics.load(A.i32, fileWord(id, FILE.swapfile)) - 1;
}

/**
 * inode_set_swapfile(): mark @id an active swap area of swap @type
 * (S_SWAPFILE).  Returns 0, -EBUSY if it already is one (sys_swapon's
 * IS_SWAPFILE check), -ENOENT if the file no longer exists, -EINVAL for a
 * negative type.
 *
 * Context: process context; takes fs_lock.
 */
export function inode_set_swapfile(id: number, type: number): number {
  if (!Number.isInteger(type) || type < 0) return -EINVAL;
  const i32 = A.i32;
  fs_lock();
  try {
    if (Atomics.load(i32, fileWord(id, FILE.state)) !== FILE_LIVE) return -ENOENT;
    const w = fileWord(id, FILE.swapfile);
    if (Atomics.load(i32, w) !== 0) return -EBUSY;
    Atomics.store(i32, w, type + 1);
    return 0;
  } finally {
    fs_unlock();
  }
}

/**
 * inode_clear_swapfile(): drop S_SWAPFILE (swapoff, or a failed swapon).
 * Returns 0, or -EINVAL if the inode was not a swap area.
 *
 * Context: process context; takes fs_lock.
 */
export function inode_clear_swapfile(id: number): number {
  const i32 = A.i32;
  fs_lock();
  try {
    const w = fileWord(id, FILE.swapfile);
    if (Atomics.load(i32, w) === 0) return -EINVAL;
    Atomics.store(i32, w, 0);
    return 0;
  } finally {
    fs_unlock();
  }
}

/**
 * Copy of file @id's first page (PAGE_SIZE bytes) taken under fs_lock,
 * with its mode and size, or null if the file does not exist.  What
 * sys_swapon gets from read_mapping_folio(mapping, 0) + kmap.
 *
 * Context: process context; takes fs_lock.
 */
export function vfs_read_first_page(id: number): { bytes: Uint8Array; kind: number; sizePages: number } | null {
  fs_lock();
  try {
    if (Atomics.load(A.i32, fileWord(id, FILE.state)) !== FILE_LIVE) return null;
    const off = fileWord(id, FILE.header) * 4;
    return {
      bytes: A.u8.slice(off, off + PAGE_SIZE),
      kind: Atomics.load(A.i32, fileWord(id, FILE.kind)),
      sizePages: Atomics.load(A.i32, fileWord(id, FILE.size_pages)),
    };
  } finally {
    fs_unlock();
  }
}

/**
 * Overwrite file @id's first page with @bytes (zero-filled past its end).
 * Returns 0, -ENOENT, -EBUSY while the file is an active swap area (writes
 * to an S_SWAPFILE inode are refused), -EINVAL if @bytes exceeds a page.
 *
 * Context: process context; takes fs_lock.
 */
export function vfs_write_first_page(id: number, bytes: Uint8Array): number {
  if (!(bytes instanceof Uint8Array) || bytes.length > PAGE_SIZE) return -EINVAL;
  const i32 = A.i32;
  fs_lock();
  try {
    if (Atomics.load(i32, fileWord(id, FILE.state)) !== FILE_LIVE) return -ENOENT;
    if (Atomics.load(i32, fileWord(id, FILE.swapfile)) !== 0) return -EBUSY;
    const off = fileWord(id, FILE.header) * 4;
    A.u8.set(bytes, off);
    A.u8.fill(0, off + bytes.length, off + PAGE_SIZE);
    return 0;
  } finally {
    fs_unlock();
  }
}

/**
 * vfs_list(): the live files, in slot order, for /proc-like listings.
 *
 * Context: process context; takes fs_lock.
 */
export function vfs_list(): VfsEntry[] {
  const i32 = A.i32;
  const out: VfsEntry[] = [];
  fs_lock();
  try {
    for (let id = 0; id < nr_files(); id++) {
      if (Atomics.load(i32, fileWord(id, FILE.state)) !== FILE_LIVE) continue;
      out.push({
        id,
        name: file_name(id),
        kind: file_kind(id),
        rotational: file_rotational(id),
        sizePages: file_size_pages(id),
        swapType: file_swap_type(id),
      });
    }
  } finally {
    fs_unlock();
  }
  return out;
}
