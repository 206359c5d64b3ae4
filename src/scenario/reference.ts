/*
 * The scenario format reference (docs/scenarios.md), rendered from the zod
 * schema itself (its JSON Schema), so that the document cannot drift from
 * what the loader accepts: test/scenario_reference.test.ts compares the
 * document's generated section with scenario_reference().
 */
import { z } from 'zod';
import { ScenarioSchema } from './schema.js';

interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  oneOf?: JsonSchema[];
}

/* "integer 1..8", "string matching ^...$", "one of p4, p3", "array (1..4) of object". */
function type_of(s: JsonSchema): string {
  if (s.enum !== undefined) return `one of ${s.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
  if (s.type === 'array') {
    const n = s.maxItems !== undefined ? ` (${s.minItems ?? 0}..${s.maxItems})` : s.minItems !== undefined ? ` (at least ${s.minItems})` : '';
    return `array${n} of ${s.items?.oneOf !== undefined ? 'operations' : type_of(s.items ?? {})}`;
  }
  if (s.type === 'integer' || s.type === 'number') {
    /* zod gives every int the safe-integer range: only a bound the schema chose is shown. */
    const lo = s.minimum !== undefined && s.minimum > Number.MIN_SAFE_INTEGER ? s.minimum : undefined;
    const hi = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
    const range = lo !== undefined && hi !== undefined ? ` ${lo}..${hi}` : lo !== undefined ? ` >= ${lo}` : hi !== undefined ? ` <= ${hi}` : '';
    return `${s.type}${range}`;
  }
  if (s.type === 'string') {
    if (s.pattern === '^[a-z][a-z0-9_]*$') return 'label';
    if (s.pattern !== undefined) return `string \`${s.pattern}\``;
    return s.minLength !== undefined && s.minLength > 1 ? `string (at least ${s.minLength} characters)` : 'string';
  }
  return s.type ?? 'any';
}

function presence(name: string, s: JsonSchema, parent: JsonSchema): string {
  if (s.default !== undefined) return `default \`${JSON.stringify(s.default)}\``;
  return parent.required?.includes(name) ? 'required' : 'optional';
}

const cell = (t: string): string => t.replace(/\|/g, '\\|');

function field_rows(prefix: string, obj: JsonSchema, out: string[]): void {
  for (const [name, s] of Object.entries(obj.properties ?? {})) {
    const path = `${prefix}${name}`;
    out.push(`| \`${path}\` | ${cell(type_of(s))} | ${presence(name, s, obj)} | ${cell(s.description ?? '')} |`);
    if (s.type === 'object') field_rows(`${path}.`, s, out);
    if (s.type === 'array' && s.items?.type === 'object' && s.items.properties !== undefined) field_rows(`${path}[].`, s.items, out);
  }
}

/** The generated part of docs/scenarios.md: the fields, then the operations. */
export function scenario_reference(): string {
  const root = z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out: string[] = ['| field | type | presence | meaning |', '| --- | --- | --- | --- |'];
  field_rows('', root, out);
  out.push('', '| operation | fields | what it does |', '| --- | --- | --- |');
  for (const op of root.properties?.setup?.items?.oneOf ?? []) {
    const name = String(op.properties?.op?.const);
    const fields = Object.entries(op.properties ?? {})
      .filter(([f]) => f !== 'op')
      .map(([f, s]) => `\`${f}\` (${type_of(s)}${presence(f, s, op) === 'required' ? '' : `, ${presence(f, s, op)}`}): ${s.description ?? ''}`);
    out.push(`| \`${name}\` | ${cell(fields.join('; ') || '-')} | ${cell(op.description ?? '')} |`);
  }
  return out.join('\n');
}
