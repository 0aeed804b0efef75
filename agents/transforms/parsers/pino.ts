/**
 * pino-pretty's layout (pino's lines made readable: `node app | pino-pretty`, its `transport` in
 * development, and so in many containers' logs): after the stamp and the level, `(pid)` or
 * `(name/pid on host)` (the host left out by default), `: `, the message; the entry's other properties
 * under it, one a line indented four (`    port: 3000`, objects as indented JSON, an error's stack
 * printed as its lines), or with `singleLine` as JSON after the message. The multiline assembler
 * joins the indented lines to their entry. Read into the record pino's own JSON line gives: `name` and
 * `pid` as the JSON line's keys, the host the record's, the properties as attributes flattened as a
 * JSON line's are (`err.type`, `err.stack`). What does not read as a property stays in the body.
 */
import { flattenInto, setOwn, stringify } from './fields.ts';
import { trailingObject } from './layouts.ts';
import type { ParsedFields } from './types.ts';

const HEAD = /^\((?:([^/\s()]{1,128})\/)?(\d{1,10})(?: on ([^\s()]{1,255}))?\): ?/;
/** A property's line: four spaces, its key, `: `, its value (the first line of it). */
const PROPERTY = /^ {4}([^\s:"][^\s:]*): (.*)$/;

/**
 * pino-pretty's `(name/pid on host): ` at the start of `r.body` (after a level) read into `r`, with the
 * properties under the message or after it; `r` untouched when the body does not start so.
 */
export function pinoPretty(r: ParsedFields, depth: number): void {
  const m = HEAD.exec(r.body);
  if (m === null) return;
  if (m[1] !== undefined) setOwn(r.attributes, 'name', m[1]);
  setOwn(r.attributes, 'pid', m[2]!);
  if (m[3] !== undefined) r.host = m[3];
  const text = r.body.slice(m[0].length);
  const nl = text.indexOf('\n');
  let message = nl === -1 ? text : text.slice(0, nl);
  const props: Record<string, unknown> = {};
  // singleLine: the properties as JSON after the message.
  if (message.charCodeAt(message.length - 1) === 125 /* } */) {
    const tail = trailingObject(message);
    if (tail !== undefined) {
      Object.assign(props, tail.value);
      message = message.slice(0, tail.at);
    }
  }
  const rest = nl === -1 ? '' : readProperties(text.slice(nl + 1).split('\n'), props);
  const flat: Record<string, unknown> = {};
  flattenInto(flat, props, '', depth);
  for (const k of Object.keys(flat)) setOwn(r.attributes, k, stringify(flat[k]));
  r.body = rest === '' ? message : `${message}\n${rest}`;
}

/** The property lines (`lines`, under the message) into `props`; the lines from the first that is not one, joined. */
function readProperties(lines: string[], props: Record<string, unknown>): string {
  let i = 0;
  while (i < lines.length) {
    const p = PROPERTY.exec(lines[i]!);
    if (p === null) break;
    const value = p[2]!;
    const open = value === '{' ? '}' : value === '[' ? ']' : '';
    if (open === '') {
      const v = scalar(value);
      if (v === undefined) break;
      props[p[1]!] = v;
      i++;
      continue;
    }
    // An object or array over the lines to its closing bracket at the property's indent.
    let end = i + 1;
    while (end < lines.length && lines[end] !== `    ${open}`) end++;
    if (end === lines.length) break;
    const v = block(value + '\n' + withStacksQuoted(lines.slice(i + 1, end)).join('\n') + '\n' + open);
    if (v === undefined) break;
    props[p[1]!] = v;
    i = end + 1;
  }
  return lines.slice(i).join('\n');
}

function scalar(text: string): unknown {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' ? undefined : v;
  } catch {
    return undefined;
  }
}

function block(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * An error's `"stack":` printed as its own lines under the key (indented deeper than it): made the
 * JSON string it was, its lines as they were (the first one's indent taken off every line), with the
 * comma JSON needs before a key that follows.
 */
function withStacksQuoted(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const key = /^( *)"stack":$/.exec(line);
    if (key === null) {
      out.push(line);
      continue;
    }
    const indent = key[1]!.length;
    let j = i + 1;
    const first = lines[j] ?? '';
    const cut = first.length - first.trimStart().length;
    const stack: string[] = [];
    while (j < lines.length && lines[j]!.length - lines[j]!.trimStart().length > indent + 2 && lines[j]!.length - lines[j]!.trimStart().length >= cut) {
      stack.push(lines[j]!.slice(cut));
      j++;
    }
    const more = j < lines.length && lines[j]!.trimStart().startsWith('"');
    out.push(`${key[1]}"stack": ${JSON.stringify(stack.join('\n'))}${more ? ',' : ''}`);
    i = j - 1;
  }
  return out;
}
