/*
 * The labels of a scenario's operations: which processes ("mm") and
 * cgroups ("memcg") an operation creates, which it uses, and under which
 * field.  The validator (check.ts) and the runtime's label table
 * (exec.ts) both read labels through here.
 */
import type { ScenarioOp } from './fields.js';

export type LabelKind = 'mm' | 'memcg';

export interface LabelRef {
  label: string;
  kind: LabelKind;
  /** The field of the operation that names it. */
  field: string;
}

/** The labels `fork {as, times}` binds: @as itself, or as_1 .. as_times. */
export function fork_labels(as: string, times: number): string[] {
  return times === 1 ? [as] : Array.from({ length: times }, (_, k) => `${as}_${k + 1}`);
}

/** The labels @op uses (looked up when it starts). */
export function op_uses(op: ScenarioOp): LabelRef[] {
  switch (op.op) {
    case 'mm': return op.memcg === undefined ? [] : [{ label: op.memcg, kind: 'memcg', field: 'memcg' }];
    case 'memcg': return op.parent === undefined ? [] : [{ label: op.parent, kind: 'memcg', field: 'parent' }];
    case 'write': case 'touch': case 'reclaim': case 'dontneed': case 'fork': case 'exit':
      return [{ label: op.mm, kind: 'mm', field: 'mm' }];
    case 'move': return [{ label: op.mm, kind: 'mm', field: 'mm' }, { label: op.memcg, kind: 'memcg', field: 'memcg' }];
    case 'offline': return [{ label: op.memcg, kind: 'memcg', field: 'memcg' }];
    default: return [];
  }
}

/** The labels @op binds when it succeeds. */
export function op_creates(op: ScenarioOp): LabelRef[] {
  switch (op.op) {
    case 'mm': return [{ label: op.as, kind: 'mm', field: 'as' }];
    case 'memcg': return [{ label: op.as, kind: 'memcg', field: 'as' }];
    case 'fork': return fork_labels(op.as, op.times).map((label) => ({ label, kind: 'mm' as const, field: 'as' }));
    default: return [];
  }
}
