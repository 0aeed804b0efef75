/**
 * Serilog's compact JSON (CLEF, `Serilog.Formatting.Compact`, what Seq reads): the well-known keys are
 * `@t`, `@m` (the rendered message) or `@mt` (its template), `@l` (left out at Information), `@x` (the
 * exception as .NET's `ToString()` writes it), `@i` (the event id), `@tr` and `@sp` (trace and span,
 * Serilog 3.1+); every other key is a property. fields.ts reads the keys; this module does what needs
 * the object as logged:
 *
 * - a template without `@m` (CompactJsonFormatter, the default) is rendered as Serilog renders it for
 *   text: `{Name}` by the property's value (a string in double quotes unless `:l`; `{@Name}`'s
 *   structure as `{ Latitude: 25, Longitude: 134 }`, `Type { ... }` with a `$type`, a sequence as
 *   `[1, 2]`), `{{` and `}}` as braces, a token without its property kept as written. .NET format
 *   strings (`{Elapsed:000}`) and alignment are not applied: the value is written as logged;
 * - `@x`'s first line gives `exception.type` and `exception.message`, the whole `exception.stacktrace`.
 */
import type { ParsedFields } from './types.ts';

/** Whether an object as parsed is a CLEF event: `@t` with `@m` or `@mt`. */
export function isClef(value: Record<string, unknown>): boolean {
  return typeof value['@t'] === 'string' && (typeof value['@mt'] === 'string' || typeof value['@m'] === 'string');
}

/** A property's value as Serilog writes it into a rendered message. */
function rendered(v: unknown, literal: boolean, depth = 0): string {
  if (typeof v === 'string') return literal && depth === 0 ? v : JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v !== 'object') return String(v);
  if (depth > 8) return '...';
  if (Array.isArray(v)) return `[${v.map((x) => rendered(x, false, depth + 1)).join(', ')}]`;
  const o = v as Record<string, unknown>;
  const tag = typeof o.$type === 'string' ? `${o.$type} ` : '';
  const parts = Object.keys(o).filter((k) => k !== '$type').map((k) => `${k}: ${rendered(o[k], false, depth + 1)}`);
  return `${tag}{ ${parts.join(', ')} }`;
}

/** The token `{...}` at `open` (its `}` at `close`): the property's name, and whether `:l` asks for a string without quotes. */
function token(template: string, open: number, close: number): { name: string; literal: boolean } | undefined {
  const m = /^[@$]?([A-Za-z_][\w]*|\d+)(?:,-?\d+)?(?::([^}]*))?$/.exec(template.slice(open + 1, close));
  return m === null ? undefined : { name: m[1]!, literal: m[2] === 'l' };
}

/** A message template rendered with the event's properties (see the module's comment). */
export function renderTemplate(template: string, properties: Record<string, unknown>): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      out += c;
      i += 2;
      continue;
    }
    if (c === '{') {
      const close = template.indexOf('}', i + 1);
      const t = close === -1 ? undefined : token(template, i, close);
      if (t !== undefined && Object.prototype.hasOwnProperty.call(properties, t.name)) {
        out += rendered(properties[t.name], t.literal);
        i = close + 1;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}

/**
 * What CLEF adds to the fields fields.ts read from `value`: the rendered message as the body (the
 * template stays as the attribute `@mt`), and the exception's type, message and stack.
 */
export function clefFields(value: Record<string, unknown>, out: ParsedFields): ParsedFields {
  const template = value['@mt'];
  if (typeof template === 'string' && typeof value['@m'] !== 'string') {
    out.body = renderTemplate(template, value);
    out.attributes['@mt'] = template;
  }
  const x = value['@x'];
  if (typeof x === 'string' && x !== '') {
    delete out.attributes['@x'];
    out.attributes['exception.stacktrace'] = x;
    const first = x.split('\n', 1)[0]!.trimEnd();
    const m = /^([A-Za-z_][\w.`+]*(?:Exception|Error|Fault)\w*)(?:: (.*))?$/.exec(first);
    if (m !== null) {
      out.attributes['exception.type'] = m[1]!;
      if (m[2] !== undefined) out.attributes['exception.message'] = m[2];
    }
  }
  return out;
}
