/*
 * Bounds of a scenario that the run-time side checks too (a replay
 * string's workload: src/harness/repro.ts), apart from the schema
 * (fields.ts) so that the threads that only run the model never load zod.
 *
 * Context: any; constants.
 */

/** Random operations a CPU may run before its script (a scenario's "filler", a replay string's workload). */
export const FILLER_MAX = 1000;
