/*
 * A 64-bit scratch word of this thread, seen both as one unsigned bigint
 * and as its two 32-bit halves.
 *
 * Swap table entries and shadows are 64-bit unsigned longs, carried as
 * bigints.  BigInt arithmetic in V8 (Node 20) allocates and is slow where
 * it matters most: a shift and Number() of a 64-bit value costs ~40 ns,
 * and values with bit 63 set (a swap count of 8 or more sits there) are
 * no BigInt64 and deoptimise every function that met one.  Writing the
 * bigint into this word and reading the halves back (or the reverse) costs
 * ~6 ns and no arithmetic: the swap table helpers take their fields from
 * the halves as plain int32 operations.
 *
 * Usage: `U64[0] = v; const lo = U32[0], hi = U32[1];` and
 * `U32[0] = lo; U32[1] = hi; return U64[0];`, with nothing in between
 * that could use the word itself (JavaScript threads do not share it; the
 * helpers never call out between the write and the read).
 *
 * Context: any; per thread, never in the arena.
 */

/** The word as an unsigned 64-bit bigint. */
export const U64 = new BigUint64Array(1);
/** The same word as int32 halves: [0] bits 0..31, [1] bits 32..63 (little-endian). */
export const U32 = new Int32Array(U64.buffer);

U64[0] = 1n;
if (U32[0] !== 1) throw new Error('u64_halves: big-endian host: the halves would be swapped');
U64[0] = 0n;
