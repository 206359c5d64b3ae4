/*
 * Imported first by every test file that uses the API (test/quiescent.test.ts
 * checks that each does): every System a test boots is checked at
 * quiescence when the test ends (test/quiescent.ts).  An import, not a
 * vitest setup file, so that the test files that never boot a system (the
 * CLI's) do not load the model for nothing.
 * System.create is wrapped here, on the test side, to learn which systems
 * a test boots; the model is not told it is under test.
 */
import { afterEach, beforeEach } from 'vitest';
import { System, type SystemConfig } from '../src/api/system.js';
import { test_ended, test_started, track } from './quiescent.js';

const create = System.create.bind(System);
System.create = (cfg: SystemConfig = {}): System => {
  const sys = create(cfg);
  track(sys, cfg.bugs);
  return sys;
};

beforeEach(() => {
  test_started();
});

afterEach((ctx) => {
  test_ended(ctx.task.result?.state !== 'fail');
});
