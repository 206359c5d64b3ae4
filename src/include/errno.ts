/*
 * errno values, as include/uapi/asm-generic/errno-base.h and errno.h
 * define them on x86_64.  Model functions return them negated, the kernel
 * way (`return -EINVAL;`); the public API hands them back positive with
 * their names.
 */
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const E2BIG = 7;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const ENAMETOOLONG = 36;

const NAMES: Record<number, string> = {
  [EPERM]: 'EPERM', [ENOENT]: 'ENOENT', [ESRCH]: 'ESRCH', [EINTR]: 'EINTR', [EIO]: 'EIO', [E2BIG]: 'E2BIG',
  [EAGAIN]: 'EAGAIN', [ENOMEM]: 'ENOMEM', [EFAULT]: 'EFAULT', [EBUSY]: 'EBUSY',
  [EEXIST]: 'EEXIST', [ENODEV]: 'ENODEV', [EINVAL]: 'EINVAL', [ENOSPC]: 'ENOSPC', [ENAMETOOLONG]: 'ENAMETOOLONG',
};

/** errname(-EINVAL) === 'EINVAL'; 0 is 'OK'. */
export function errname(err: number): string {
  if (err === 0) return 'OK';
  return NAMES[Math.abs(err)] ?? `E${Math.abs(err)}`;
}

/** IS_ERR_VALUE() for the model's int returns. */
export function IS_ERR(v: number): boolean {
  return v < 0 && v >= -4095;
}
