/*
 * The mutation operators of `swaptorture mutate`: where a kernel developer
 * porting a patch could plausibly get a line wrong, found on the
 * TypeScript syntax tree of one source file (the compiler API, never
 * patterns on the text).
 *
 * Concurrency operators (the point of the exercise):
 *   LockDelete      delete a lock/unlock call statement (spin_lock,
 *                   swap_cluster_unlock, ci_lock, pte_lock, folio_lock,
 *                   mutex_lock, local_lock, ...); a trylock in a condition
 *                   becomes `true`
 *   RcuDelete       delete rcu_read_lock/unlock, synchronize_rcu,
 *                   call_rcu, kfree_rcu, rcu_assign_pointer
 *   RefDelete       delete a reference get/put (put_swap_device,
 *                   percpu_ref_*, folio_get/put, folio_ref_add); a tryget
 *                   tested or returned (a tryget, get_swap_device_info)
 *                   becomes `true` (the pin never taken)
 *   EarlyUnlock     an unlock moved one statement earlier
 *   DropRecheck     the first `if` after a lock is taken forced false or
 *                   true (the re-check after re-taking a lock dropped)
 *   BorderOffByOne  `<`<->`<=`, `>`<->`>=` where an operand names
 *                   SWAPFILE_CLUSTER or a cluster/offset/max/nr/size/end/
 *                   idx quantity
 *   CountDelete     drop a count or charge update (`x += n`, `x -= n`,
 *                   `x++`, `x--`, Atomics.add/sub, swap_usage_add/sub,
 *                   mem_cgroup charge/uncharge, count_vm_events ...)
 *   CountDouble     the same update done twice
 *   SwapLocks       two consecutive lock acquisitions in the other order
 * Generic ones, a minority (only inside functions that lock):
 *   NegateCondition `if (c)` -> `if (!(c))`
 *   LogicalOperator `&&` <-> `||` in a condition
 *
 * The bug switches are not mutants: an expression that reads bug_on()
 * (or a constant computed from it) is never mutated, nor is anything in a
 * branch that runs only with a switch on, nor a file-local function that
 * only such branches call.
 *
 * Context: main thread; pure (text in, sites out).
 */
import ts from 'typescript';
import { OPERATORS, type Operator } from './mutate_names.js';


/** One text edit of a mutant: [start, end) of the original becomes @text when the mutant is on. */
export interface MutantEdit {
  start: number;
  end: number;
  text: string;
  /** 'expr': an expression; 'stmt': statements without declarations (or an insertion, start === end). */
  kind: 'expr' | 'stmt';
}

/** A mutant found in one file (its id is given later, over the whole campaign). */
export interface MutantSite {
  file: string;
  operator: Operator;
  /** The function it is in ('(top level)' outside any). */
  fn: string;
  /** 1-based line and column of the first edit's start, and of its end. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** The original text of the mutated span, and what the mutant makes of it (for reports and keys). */
  original: string;
  replacement: string;
  edits: MutantEdit[];
}

/* The primitives, by the name called (an identifier or the last name of a property access). */
const LOCKS = new Set([
  'spin_lock', 'spin_lock_nested', 'spin_unlock', 'spin_trylock', 'swap_cluster_lock', 'swap_cluster_unlock', 'ci_lock',
  'isolate_lock_cluster', 'pte_lock', 'pte_lock_nested', 'pte_unlock', 'mutex_lock', 'mutex_unlock', 'mutex_trylock',
  'folio_lock', 'folio_unlock', 'folio_trylock', 'local_lock', 'local_unlock',
]);
const RCU = new Set(['rcu_read_lock', 'rcu_read_unlock', 'synchronize_rcu', 'call_rcu', 'kfree_rcu', 'rcu_assign_pointer']);
const REFS = new Set([
  'get_swap_device', 'get_swap_device_info', 'put_swap_device', 'percpu_ref_get', 'percpu_ref_put', 'percpu_ref_tryget_live',
  'percpu_ref_kill', 'folio_get', 'folio_try_get', 'folio_put', 'folio_put_refs', 'folio_ref_add',
]);
const COUNTS = new Set([
  'swap_usage_add', 'swap_usage_sub', 'count_vm_event', 'count_vm_events', 'mem_cgroup_try_charge_swap',
  'mem_cgroup_uncharge_swap', 'mem_cgroup_swapin_charge_folio', 'swap_charge', 'swap_uncharge', 'Atomics.add', 'Atomics.sub',
]);
/* Lock acquisitions (SwapLocks, DropRecheck) and releases (EarlyUnlock). */
const ACQUIRE = new Set(['spin_lock', 'spin_lock_nested', 'swap_cluster_lock', 'ci_lock', 'isolate_lock_cluster', 'pte_lock', 'pte_lock_nested', 'mutex_lock', 'folio_lock', 'local_lock', 'rcu_read_lock']);
const RELEASE = new Set(['spin_unlock', 'swap_cluster_unlock', 'pte_unlock', 'mutex_unlock', 'folio_unlock', 'local_unlock', 'rcu_read_unlock']);
/* An operand of a border comparison names one of these (SWAPFILE_CLUSTER, or a word of an identifier). */
const BORDER_WORD = /^(swapfile_cluster|cluster|clusters|offset|off|max|nr|size|end|idx|index)$/;

/* Is @s an unlock, or `if (c) unlock` with no else: a statement that only releases? */
function releases_only(s: ts.Statement): boolean {
  const call = statement_call(s);
  if (call !== null) return RELEASE.has(call);
  if (!ts.isIfStatement(s) || s.elseStatement !== undefined) return false;
  const body = ts.isBlock(s.thenStatement) ? s.thenStatement.statements : [s.thenStatement];
  return body.length === 1 && releases_only(body[0]);
}

/** The name a call calls: `f(...)` -> f, `Atomics.add(...)` -> Atomics.add, `x.y.f(...)` -> f. */
function callee_name(call: ts.CallExpression): string | null {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) {
    return ts.isIdentifier(e.expression) && e.expression.text === 'Atomics' ? `Atomics.${e.name.text}` : e.name.text;
  }
  return null;
}

/* The call of an expression statement `f(...);`, or null. */
function statement_call(s: ts.Statement): string | null {
  return ts.isExpressionStatement(s) && ts.isCallExpression(s.expression) ? callee_name(s.expression) : null;
}

/* A statement that takes a lock: `lock(...)`, or a declaration / assignment whose value is `lock(...)`. */
function takes_lock(s: ts.Statement): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n)) return;
    if (ts.isCallExpression(n) && ACQUIRE.has(callee_name(n) ?? '') && callee_name(n) !== 'rcu_read_lock') found = true;
    else ts.forEachChild(n, visit);
  };
  if (ts.isExpressionStatement(s) || ts.isVariableStatement(s)) visit(s);
  return found;
}

/*
 * Bug switches.  @bugConsts: names of constants whose initialiser reads
 * bug_on() (`const unpinned = bug_on(BUG_...)`), which count as reads.
 */
function reads_bug(n: ts.Node, bugConsts: Set<string>): boolean {
  let found = false;
  const visit = (x: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(x) && callee_name(x) === 'bug_on') found = true;
    else if (ts.isIdentifier(x) && bugConsts.has(x.text)) found = true;
    else ts.forEachChild(x, visit);
  };
  visit(n);
  return found;
}

function strip_parens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

/* Is @e true only with a bug switch on?  (bug_on(X), or a conjunction with such a conjunct.) */
function true_only_with_bug(e: ts.Expression, bugConsts: Set<string>): boolean {
  e = strip_parens(e);
  if (ts.isCallExpression(e) && callee_name(e) === 'bug_on') return true;
  if (ts.isIdentifier(e) && bugConsts.has(e.text)) return true;
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
    return true_only_with_bug(e.left, bugConsts) || true_only_with_bug(e.right, bugConsts);
  }
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.BarBarToken) {
    return true_only_with_bug(e.left, bugConsts) && true_only_with_bug(e.right, bugConsts);
  }
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) return false_only_with_bug(e.operand, bugConsts);
  return false;
}

/* Is @e false only with a bug switch on? */
function false_only_with_bug(e: ts.Expression, bugConsts: Set<string>): boolean {
  e = strip_parens(e);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.ExclamationToken) return true_only_with_bug(e.operand, bugConsts);
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.BarBarToken) {
    return false_only_with_bug(e.left, bugConsts) || false_only_with_bug(e.right, bugConsts);
  }
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
    return false_only_with_bug(e.left, bugConsts) && false_only_with_bug(e.right, bugConsts);
  }
  return false;
}

/* The name of the function @n is in. */
function enclosing_function(n: ts.Node): string {
  for (let p: ts.Node | undefined = n.parent; p; p = p.parent) {
    if ((ts.isFunctionDeclaration(p) || ts.isMethodDeclaration(p)) && p.name) return p.name.getText();
    if ((ts.isArrowFunction(p) || ts.isFunctionExpression(p)) && ts.isVariableDeclaration(p.parent) && ts.isIdentifier(p.parent.name)) return p.parent.name.text;
  }
  return '(top level)';
}

/* Does the function around @n (the outermost one) call a lock, RCU or reference primitive? */
function in_locking_function(n: ts.Node): boolean {
  let fn: ts.Node | null = null;
  for (let p: ts.Node | undefined = n.parent; p; p = p.parent) if (ts.isFunctionLike(p)) fn = p;
  if (fn === null) return false;
  let found = false;
  const visit = (x: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(x)) {
      const c = callee_name(x) ?? '';
      if (LOCKS.has(c) || RCU.has(c) || REFS.has(c)) found = true;
    }
    ts.forEachChild(x, visit);
  };
  visit(fn);
  return found;
}

/* Identifiers' words in @e: `si.max`, `nr_pages`, `SWAPFILE_CLUSTER`, `clusterIdx` -> their lower-case words. */
function names_a_border(e: ts.Node): boolean {
  let found = false;
  const visit = (x: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(x)) {
      const words = x.text.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().split('_');
      if (x.text === 'SWAPFILE_CLUSTER' || words.some((w) => BORDER_WORD.test(w))) found = true;
    }
    ts.forEachChild(x, visit);
  };
  visit(e);
  return found;
}

/* A statement whose text can go in a block and keep its meaning: no declaration. */
function no_declaration(s: ts.Statement): boolean {
  return !ts.isVariableStatement(s) && !ts.isFunctionDeclaration(s) && !ts.isClassDeclaration(s);
}

/* Is @e in a condition (if, while, ?:, !, or an operand of && / || in one)? */
function in_condition(e: ts.Expression): boolean {
  const p = e.parent;
  if ((ts.isIfStatement(p) || ts.isWhileStatement(p) || ts.isDoStatement(p)) && p.expression === e) return true;
  if (ts.isConditionalExpression(p) && p.condition === e) return true;
  if (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken) return true;
  if (ts.isParenthesizedExpression(p)) return in_condition(p);
  if (ts.isBinaryExpression(p) && (p.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || p.operatorToken.kind === ts.SyntaxKind.BarBarToken)) return in_condition(p);
  return false;
}

function semi(text: string): string {
  return text.trimEnd().endsWith(';') || text.trimEnd().endsWith('}') ? text : `${text};`;
}

/**
 * The mutants of one source file @file (its path as reported, e.g.
 * src/mm/swapfile.ts) with text @text, in the order of their position
 * (then operator): the same text always gives the same list.
 */
export function find_mutants(file: string, text: string, operators: ReadonlySet<Operator> = new Set(OPERATORS)): MutantSite[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: MutantSite[] = [];
  const bugConsts = new Set<string>();
  const add = (node: ts.Node, operator: Operator, edits: MutantEdit[], original: string, replacement: string): void => {
    if (!operators.has(operator)) return;
    const start = edits.reduce((m, e) => Math.min(m, e.start), Infinity);
    const end = edits.reduce((m, e) => Math.max(m, e.end), 0);
    const a = sf.getLineAndCharacterOfPosition(start);
    const b = sf.getLineAndCharacterOfPosition(end);
    out.push({ file, operator, fn: enclosing_function(node), line: a.line + 1, column: a.character + 1, endLine: b.line + 1, endColumn: b.character + 1, original, replacement, edits });
  };
  const expr = (n: ts.Node, text: string): MutantEdit => ({ start: n.getStart(sf), end: n.getEnd(), text, kind: 'expr' });

  /* Statement lists: deletions, doubled counts, early unlocks, swapped locks, dropped re-checks. */
  const statements = (list: readonly ts.Statement[]): void => {
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      const call = statement_call(s);
      const st = s.getStart(sf);
      const stext = semi(s.getText(sf));
      const del = (op: Operator): void => add(s, op, [{ start: st, end: s.getEnd(), text: '', kind: 'stmt' }], stext, '');
      if (call !== null) {
        if (LOCKS.has(call)) del('LockDelete');
        else if (RCU.has(call)) del('RcuDelete');
        else if (REFS.has(call)) del('RefDelete');
      }
      const countUpdate = (call !== null && COUNTS.has(call)) || (ts.isExpressionStatement(s) && is_count_update(s.expression));
      if (countUpdate) {
        del('CountDelete');
        add(s, 'CountDouble', [{ start: st, end: s.getEnd(), text: `${stext} ${stext}`, kind: 'stmt' }], stext, `${stext} ${stext}`);
      }
      const prev = list[i - 1];
      const prevCall = prev === undefined ? null : statement_call(prev);
      /* an unlock moved before another unlock (conditional or not) only swaps the release order: no window opens */
      if (call !== null && RELEASE.has(call) && prev !== undefined && !ACQUIRE.has(prevCall ?? '') && !releases_only(prev) && !declares_used(prev, s)
        && !ts.isReturnStatement(prev) && !ts.isThrowStatement(prev) && !ts.isBreakOrContinueStatement(prev)) {
        const pst = prev.getStart(sf);
        add(s, 'EarlyUnlock', [
          { start: pst, end: pst, text: stext, kind: 'stmt' },
          { start: st, end: s.getEnd(), text: '', kind: 'stmt' },
        ], `${semi(prev.getText(sf))} ${stext}`, `${stext} ${semi(prev.getText(sf))}`);
      }
      const next = list[i + 1];
      const nextCall = next === undefined ? null : statement_call(next);
      if (call !== null && nextCall !== null && ACQUIRE.has(call) && ACQUIRE.has(nextCall)) {
        const ntext = semi(next.getText(sf));
        add(s, 'SwapLocks', [{ start: st, end: next.getEnd(), text: `${ntext} ${stext}`, kind: 'stmt' }], `${stext} ${ntext}`, `${ntext} ${stext}`);
      }
      if (takes_lock(s)) {
        /* the first `if` after it, before any other lock or unlock call */
        for (let j = i + 1; j < list.length; j++) {
          const t = list[j];
          const c = statement_call(t);
          if (c !== null && (ACQUIRE.has(c) || RELEASE.has(c))) break;
          if (ts.isIfStatement(t)) {
            if (!reads_bug(t.expression, bugConsts)) {
              const cond = t.expression;
              add(cond, 'DropRecheck', [expr(cond, 'false')], cond.getText(sf), 'false');
              add(cond, 'DropRecheck', [expr(cond, 'true')], cond.getText(sf), 'true');
            }
            break;
          }
        }
      }
    }
  };

  const bugFns = bug_only_functions(sf);
  const visit = (n: ts.Node): void => {
    /* constants computed from a bug switch read as the switch itself */
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && reads_bug(n.initializer, bugConsts)) bugConsts.add(n.name.text);
    /* a helper only the pre-fix code calls is pre-fix code */
    if (ts.isFunctionDeclaration(n) && n.name && bugFns.has(n.name.text)) return;
    if (ts.isIfStatement(n) && reads_bug(n.expression, bugConsts)) {
      /* the condition itself is the switch's; a branch that runs only with the switch on is the pre-fix code */
      if (!true_only_with_bug(n.expression, bugConsts)) branch(n.thenStatement);
      if (n.elseStatement && !false_only_with_bug(n.expression, bugConsts)) branch(n.elseStatement);
      return;
    }
    if (ts.isConditionalExpression(n) && reads_bug(n.condition, bugConsts)) {
      if (!true_only_with_bug(n.condition, bugConsts)) visit(n.whenTrue);
      if (!false_only_with_bug(n.condition, bugConsts)) visit(n.whenFalse);
      return;
    }
    if (ts.isBlock(n) || ts.isSourceFile(n) || ts.isModuleBlock(n) || ts.isCaseClause(n) || ts.isDefaultClause(n)) statements(n.statements);
    if (ts.isIterationStatement(n, false) && !ts.isBlock(n.statement)) statements([n.statement]);
    if (ts.isIfStatement(n)) {
      add_condition_mutants(n);
      branch(n.thenStatement);
      if (n.elseStatement) branch(n.elseStatement);
      return;
    }
    if (ts.isCallExpression(n) && (in_condition(n) || ts.isReturnStatement(n.parent))) {
      /* a trylock / tryget tested or returned: pretend it succeeded (nothing taken) */
      const c = callee_name(n) ?? '';
      if (/try|_info$/.test(c) && (LOCKS.has(c) || REFS.has(c))) add(n, LOCKS.has(c) ? 'LockDelete' : 'RefDelete', [expr(n, 'true')], n.getText(sf), 'true');
    }
    if (ts.isBinaryExpression(n) && !reads_bug(n, bugConsts)) {
      const k = n.operatorToken.kind;
      const flip: Partial<Record<ts.SyntaxKind, string>> = {
        [ts.SyntaxKind.LessThanToken]: '<=', [ts.SyntaxKind.LessThanEqualsToken]: '<',
        [ts.SyntaxKind.GreaterThanToken]: '>=', [ts.SyntaxKind.GreaterThanEqualsToken]: '>',
      };
      const to = flip[k];
      if (to !== undefined && (names_a_border(n.left) || names_a_border(n.right))) {
        const repl = `${n.left.getText(sf)} ${to} ${n.right.getText(sf)}`;
        add(n, 'BorderOffByOne', [expr(n, repl)], n.getText(sf), repl);
      }
      if ((k === ts.SyntaxKind.AmpersandAmpersandToken || k === ts.SyntaxKind.BarBarToken) && in_condition(n) && in_locking_function(n)) {
        const repl = `${n.left.getText(sf)} ${k === ts.SyntaxKind.AmpersandAmpersandToken ? '||' : '&&'} ${n.right.getText(sf)}`;
        add(n, 'LogicalOperator', [expr(n, repl)], n.getText(sf), repl);
      }
    }
    ts.forEachChild(n, visit);
  };
  /* An if's condition: negated (generic); then the mutants inside it. */
  const add_condition_mutants = (n: ts.IfStatement): void => {
    const c = n.expression;
    if (in_locking_function(n)) add(c, 'NegateCondition', [expr(c, `!(${c.getText(sf)})`)], c.getText(sf), `!(${c.getText(sf)})`);
    visit(c);
  };
  /* A branch of an if: a lone statement is a statement list of one. */
  const branch = (s: ts.Statement): void => {
    if (!ts.isBlock(s) && !ts.isIfStatement(s)) statements([s]);
    visit(s);
  };
  visit(sf);
  return without_overlaps(out).sort((a, b) => a.edits[0].start - b.edits[0].start || a.edits[0].end - b.edits[0].end
    || OPERATORS.indexOf(a.operator) - OPERATORS.indexOf(b.operator) || (a.replacement < b.replacement ? -1 : a.replacement > b.replacement ? 1 : 0));
}

/*
 * The file's functions that only a bug switch's code calls: not exported,
 * and every call of them (at least one) is in a branch that runs only with
 * a switch on, or in another such function.
 */
function bug_only_functions(sf: ts.SourceFile): Set<string> {
  const bugConsts = new Set<string>();
  const calls: { name: string; bugOnly: boolean; from: string }[] = [];
  const local = new Set<string>();
  const walk = (n: ts.Node, bugOnly: boolean): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && reads_bug(n.initializer, bugConsts)) bugConsts.add(n.name.text);
    if (ts.isFunctionDeclaration(n) && n.name && !n.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) local.add(n.name.text);
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) calls.push({ name: n.expression.text, bugOnly, from: enclosing_function(n) });
    if (ts.isIfStatement(n) && reads_bug(n.expression, bugConsts)) {
      walk(n.expression, bugOnly);
      walk(n.thenStatement, bugOnly || true_only_with_bug(n.expression, bugConsts));
      if (n.elseStatement) walk(n.elseStatement, bugOnly || false_only_with_bug(n.expression, bugConsts));
      return;
    }
    if (ts.isConditionalExpression(n) && reads_bug(n.condition, bugConsts)) {
      walk(n.condition, bugOnly);
      walk(n.whenTrue, bugOnly || true_only_with_bug(n.condition, bugConsts));
      walk(n.whenFalse, bugOnly || false_only_with_bug(n.condition, bugConsts));
      return;
    }
    ts.forEachChild(n, (c) => walk(c, bugOnly));
  };
  walk(sf, false);
  const out = new Set<string>();
  for (let grew = true; grew;) {
    grew = false;
    for (const f of local) {
      if (out.has(f)) continue;
      const of = calls.filter((c) => c.name === f && c.from !== f);
      if (of.length > 0 && of.every((c) => c.bugOnly || out.has(c.from))) {
        out.add(f);
        grew = true;
      }
    }
  }
  return out;
}

/* `x += n`, `x -= n`, `x++`, `x--` (prefix or postfix). */
function is_count_update(e: ts.Expression): boolean {
  if (ts.isBinaryExpression(e)) return e.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken || e.operatorToken.kind === ts.SyntaxKind.MinusEqualsToken;
  if (ts.isPostfixUnaryExpression(e) || ts.isPrefixUnaryExpression(e)) return e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken;
  return false;
}

/* Does @prev declare a name that @s uses (moving @s before @prev would not compile)? */
function declares_used(prev: ts.Statement, s: ts.Statement): boolean {
  if (!no_declaration(prev)) {
    const names = new Set<string>();
    const collect = (n: ts.Node): void => {
      if (ts.isIdentifier(n)) names.add(n.text);
      ts.forEachChild(n, collect);
    };
    if (ts.isVariableStatement(prev)) prev.declarationList.declarations.forEach((d) => collect(d.name));
    let used = false;
    const visit = (n: ts.Node): void => {
      if (ts.isIdentifier(n) && names.has(n.text)) used = true;
      ts.forEachChild(n, visit);
    };
    visit(s);
    return used;
  }
  return false;
}

/*
 * Edits of different mutants must nest or be apart (src/harness/
 * mutate_instrument.ts switches nested spans inside out); a mutant whose
 * span crosses an earlier one's border is left out.
 */
function without_overlaps(sites: MutantSite[]): MutantSite[] {
  const kept: MutantSite[] = [];
  const crosses = (a: MutantEdit, b: MutantEdit): boolean => {
    const inside = (p: number, e: MutantEdit): boolean => p > e.start && p < e.end;
    if (a.start === a.end || b.start === b.end) return false;
    return (inside(a.start, b) && a.end > b.end) || (inside(b.start, a) && b.end > a.end);
  };
  for (const s of sites) {
    if (kept.some((k) => k.edits.some((e) => s.edits.some((f) => crosses(e, f))))) continue;
    kept.push(s);
  }
  return kept;
}
