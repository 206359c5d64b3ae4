/*
 * A system whose swapoff fails with -ENOMEM, deterministically: one device
 * holding more swapped-out pages than memory can take back (128 pages out,
 * 228 more resident in 256 frames, nothing else to reclaim to).
 */
import { expect } from 'vitest';
import { System } from '../src/api/system.js';

export function swapoff_enomem_system(): System {
  const sys = System.create({ nrCpus: 2, nrTasks: 4, nrFrames: 256, mmPages: 128, nrMms: 4, nrPages: 64 });
  expect(sys.createSwapDevice('/dev/vdb', { sizePages: 1024 })).toBe(0);
  expect(sys.swapon('/dev/vdb')).toBe(0);
  const [a, b, c] = [sys.mmCreate(), sys.mmCreate(), sys.mmCreate()];
  for (let i = 0; i < 128; i++) expect(sys.write(a, i, { maxOrder: 0 })).toBe(0);
  expect(sys.reclaim(a, 0, 128)).toBe(128);
  for (let i = 0; i < 128; i++) expect(sys.write(b, i, { maxOrder: 0 })).toBe(0);
  for (let i = 0; i < 100; i++) expect(sys.write(c, i, { maxOrder: 0 })).toBe(0);
  return sys;
}
