/**
 * Filter and condition expressions of feature views (`status >= 500 and method == 'POST'`): text is
 * parsed once, at config load, into a small tree, then compiled to a closure over an event. No eval,
 * no function calls, no property access beyond named fields: what an expression can do is what this
 * file lists.
 *
 * Grammar (lowest precedence first):
 *   or      := and (('or' | '||') and)*
 *   and     := not (('and' | '&&') not)*
 *   not     := ('not' | '!') not | compare
 *   compare := sum (('==' | '!=' | '>' | '>=' | '<' | '<=') sum | 'not'? 'in' '[' literal (',' literal)* ']')?
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/' | '%') unary)*
 *   unary   := '-' unary | primary
 *   primary := number | 'string' | "string" | true | false | null | field | '(' or ')'
 *   field   := [A-Za-z_][A-Za-z0-9_]* ('.' [A-Za-z_][A-Za-z0-9_]*)*   (a dotted name is one flat field)
 *
 * Rules of evaluation, chosen so that a missing or odd value never throws on the data path:
 * - A field the event does not carry is `null`. `x == null` tests for it.
 * - Ordering comparisons (`<`, `>=`, ...) hold only between two numbers or two strings; anything
 *   else is false. `==` and `!=` compare without coercion (`'5' == 5` is false).
 * - Arithmetic on anything but two numbers gives null; so does division by zero.
 * - `and`, `or`, `not` read a value's truth as: true, a non-zero number, a non-empty string.
 */
import { TributaryError } from '../../../../core/errors.ts';

export type Value = number | string | boolean | null;
/** The flat view of an event an expression reads: field name -> value. */
export type Fields = Readonly<Record<string, unknown>>;

export type Node =
  | { t: 'lit'; v: Value }
  | { t: 'field'; name: string }
  | { t: 'not'; e: Node }
  | { t: 'neg'; e: Node }
  | { t: 'bin'; op: string; l: Node; r: Node }
  | { t: 'in'; e: Node; list: Value[]; negate: boolean };

interface Token {
  k: 'num' | 'str' | 'id' | 'op' | 'end';
  v: string;
  at: number;
}

const OPS = ['==', '!=', '>=', '<=', '&&', '||', '>', '<', '!', '+', '-', '*', '/', '%', '(', ')', '[', ']', ','];
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);
/** Bounds that keep a hostile config from building a huge tree or recursing deeply. */
const MAX_LENGTH = 2000;
const MAX_DEPTH = 64;

function fail(text: string, at: number, what: string): TributaryError {
  return new TributaryError('CONFIG_INVALID', `expression "${text}": ${what} at character ${at + 1}`);
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i))!;
      out.push({ k: 'num', v: m[0], at: i });
      i += m[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        s += text[j];
        j++;
      }
      if (j >= text.length) throw fail(text, i, 'unterminated string');
      out.push({ k: 'str', v: s, at: i });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*/.exec(text.slice(i))!;
      out.push({ k: 'id', v: m[0], at: i });
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (!op) throw fail(text, i, `unexpected character "${c}"`);
    out.push({ k: 'op', v: op, at: i });
    i += op.length;
  }
  out.push({ k: 'end', v: '', at: text.length });
  return out;
}

/** Parses an expression; throws CONFIG_INVALID naming the position and what was expected. */
export function parseExpression(text: string): Node {
  if (typeof text !== 'string' || text.trim() === '') throw new TributaryError('CONFIG_INVALID', 'expression is empty');
  if (text.length > MAX_LENGTH) throw new TributaryError('CONFIG_INVALID', `expression is longer than ${MAX_LENGTH} characters`);
  const toks = tokenize(text);
  let p = 0;
  let depth = 0;
  const peek = (): Token => toks[p]!;
  const isOp = (...vs: string[]): boolean => peek().k === 'op' && vs.includes(peek().v);
  const isKw = (v: string): boolean => peek().k === 'id' && peek().v === v;
  const expect = (v: string): void => {
    if (!isOp(v)) throw fail(text, peek().at, `expected "${v}" but found ${describe(peek())}`);
    p++;
  };
  const nest = <T>(f: () => T): T => {
    if (++depth > MAX_DEPTH) throw fail(text, peek().at, `nesting deeper than ${MAX_DEPTH}`);
    try {
      return f();
    } finally {
      depth--;
    }
  };

  const literal = (): Value => {
    const t = peek();
    if (t.k === 'num') {
      p++;
      return Number(t.v);
    }
    if (t.k === 'str') {
      p++;
      return t.v;
    }
    if (t.k === 'op' && t.v === '-' && toks[p + 1]?.k === 'num') {
      p += 2;
      return -Number(toks[p - 1]!.v);
    }
    if (t.k === 'id' && (t.v === 'true' || t.v === 'false' || t.v === 'null')) {
      p++;
      return t.v === 'null' ? null : t.v === 'true';
    }
    throw fail(text, t.at, `expected a number, a string, true, false or null but found ${describe(t)}`);
  };

  const primary = (): Node => {
    const t = peek();
    if (t.k === 'op' && t.v === '(') {
      p++;
      const e = nest(or);
      expect(')');
      return e;
    }
    if (t.k === 'id' && !KEYWORDS.has(t.v)) {
      p++;
      if (isOp('(')) throw fail(text, t.at, `"${t.v}(...)": expressions have no functions`);
      return { t: 'field', name: t.v };
    }
    if (t.k === 'num' || t.k === 'str' || (t.k === 'id' && (t.v === 'true' || t.v === 'false' || t.v === 'null'))) {
      return { t: 'lit', v: literal() };
    }
    throw fail(text, t.at, `expected a field, a value or "(" but found ${describe(t)}`);
  };
  const unary = (): Node => {
    if (isOp('-')) {
      p++;
      return { t: 'neg', e: nest(unary) };
    }
    return primary();
  };
  const product = (): Node => {
    let l = unary();
    while (isOp('*', '/', '%')) {
      const op = toks[p++]!.v;
      l = { t: 'bin', op, l, r: unary() };
    }
    return l;
  };
  const sum = (): Node => {
    let l = product();
    while (isOp('+', '-')) {
      const op = toks[p++]!.v;
      l = { t: 'bin', op, l, r: product() };
    }
    return l;
  };
  const compare = (): Node => {
    const l = sum();
    if (isOp('==', '!=', '>=', '<=', '>', '<')) {
      const op = toks[p++]!.v;
      return { t: 'bin', op, l, r: sum() };
    }
    let negate = false;
    if (isKw('not') && toks[p + 1]?.k === 'id' && toks[p + 1]!.v === 'in') {
      negate = true;
      p++;
    }
    if (isKw('in')) {
      p++;
      expect('[');
      const list: Value[] = [literal()];
      while (isOp(',')) {
        p++;
        list.push(literal());
      }
      expect(']');
      return { t: 'in', e: l, list, negate };
    }
    return l;
  };
  const not = (): Node => {
    if (isOp('!') || isKw('not')) {
      p++;
      return { t: 'not', e: nest(not) };
    }
    return compare();
  };
  const and = (): Node => {
    let l = not();
    while (isOp('&&') || isKw('and')) {
      p++;
      l = { t: 'bin', op: 'and', l, r: not() };
    }
    return l;
  };
  function or(): Node {
    let l = and();
    while (isOp('||') || isKw('or')) {
      p++;
      l = { t: 'bin', op: 'or', l, r: and() };
    }
    return l;
  }
  const tree = or();
  if (peek().k !== 'end') throw fail(text, peek().at, `unexpected ${describe(peek())}`);
  return tree;
}

function describe(t: Token): string {
  if (t.k === 'end') return 'the end';
  if (t.k === 'str') return `the string '${t.v}'`;
  return `"${t.v}"`;
}

/** The field names an expression reads (to check them against a source's schema). */
export function fieldsOf(node: Node, out: Set<string> = new Set()): Set<string> {
  switch (node.t) {
    case 'field':
      out.add(node.name);
      break;
    case 'not':
    case 'neg':
    case 'in':
      fieldsOf(node.e, out);
      break;
    case 'bin':
      fieldsOf(node.l, out);
      fieldsOf(node.r, out);
      break;
    case 'lit':
      break;
  }
  return out;
}

export type Compiled = (fields: Fields) => Value;

function asValue(v: unknown): Value {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  return null;
}

export function truthy(v: Value): boolean {
  return v === true || (typeof v === 'number' && v !== 0) || (typeof v === 'string' && v !== '');
}

/** Compiles a parsed tree to a closure. The closure never throws. */
export function compile(node: Node): Compiled {
  switch (node.t) {
    case 'lit': {
      const v = node.v;
      return () => v;
    }
    case 'field': {
      const name = node.name;
      return (f) => asValue(f[name]);
    }
    case 'not': {
      const e = compile(node.e);
      return (f) => !truthy(e(f));
    }
    case 'neg': {
      const e = compile(node.e);
      return (f) => {
        const v = e(f);
        return typeof v === 'number' ? -v : null;
      };
    }
    case 'in': {
      const e = compile(node.e);
      const list = node.list;
      const negate = node.negate;
      return (f) => {
        const v = e(f);
        return list.some((x) => x === v) !== negate;
      };
    }
    case 'bin': {
      const l = compile(node.l);
      const r = compile(node.r);
      switch (node.op) {
        case 'and':
          return (f) => truthy(l(f)) && truthy(r(f));
        case 'or':
          return (f) => truthy(l(f)) || truthy(r(f));
        case '==':
          return (f) => l(f) === r(f);
        case '!=':
          return (f) => l(f) !== r(f);
        case '>':
        case '>=':
        case '<':
        case '<=': {
          const op = node.op;
          return (f) => {
            const a = l(f);
            const b = r(f);
            if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) return false;
            return op === '>' ? a > b : op === '>=' ? a >= b : op === '<' ? a < b : a <= b;
          };
        }
        default: {
          const op = node.op;
          return (f) => {
            const a = l(f);
            const b = r(f);
            if (typeof a !== 'number' || typeof b !== 'number') return null;
            const v = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : a % b;
            return Number.isFinite(v) ? v : null;
          };
        }
      }
    }
  }
}

/** Parses and compiles a condition: the closure returns whether the event matches. */
export function compileCondition(text: string): { test: (fields: Fields) => boolean; fields: Set<string> } {
  const tree = parseExpression(text);
  const e = compile(tree);
  return { test: (f) => truthy(e(f)), fields: fieldsOf(tree) };
}
