/*
 * How the quiescent checker's parts report a finding: the invariant id,
 * the message, the decoded context (src/invariants/quiescent.ts collects
 * them and report()s each).
 */
import type { Invariant } from '../shm/report.js';

export type Fail = (inv: Invariant, msg: string, args?: number[]) => void;
