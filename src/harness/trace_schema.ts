/*
 * The Chrome Trace Event Format documents trace_writer.ts writes, as a
 * schema: what `--trace` files hold (the tests parse them with it).  Apart
 * from the writer, so that the threads that only run the model never load
 * zod.
 *
 * Context: any; no shared state.
 */
import { z } from 'zod';

export const TraceEventSchema = z.object({
  name: z.string(),
  ph: z.enum(['B', 'E', 'i', 'M']),
  ts: z.number().nonnegative(),
  pid: z.number().int(),
  tid: z.number().int(),
  cat: z.string().optional(),
  s: z.enum(['t', 'p', 'g']).optional(),
  args: z.record(z.string(), z.unknown()).optional(),
});
export const TraceFileSchema = z.object({
  traceEvents: z.array(TraceEventSchema),
  displayTimeUnit: z.enum(['ms', 'ns']),
  otherData: z.record(z.string(), z.unknown()),
});
export type TraceEvent = z.infer<typeof TraceEventSchema>;
export type TraceFile = z.infer<typeof TraceFileSchema>;
