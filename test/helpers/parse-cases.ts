/**
 * Cases for the `auto` parser, shared by the test files of the parsers it calls: a line in, the fields
 * it must give out, each compared with its own message.
 */
import assert from 'node:assert/strict';
import { createAutoParser } from '../../agents/transforms/parsers/auto.ts';
import { MultilineAssembler } from '../../agents/transforms/multiline.ts';
import { type ParseContext, type ParsedFields } from '../../agents/transforms/parsers/types.ts';

// Now is 2026-11-29 06:00 UTC: year-less stamps take the latest year that does not put them in the future.
export const ctx: ParseContext = { now: Date.UTC(2026, 10, 29, 6), timeZone: 'UTC' };
const auto = createAutoParser();
export const parse = (line: string, c: ParseContext): ParsedFields => auto(line, c)!;

export interface Want {
  time?: string | null;
  level?: string;
  number?: number;
  body: string;
  attributes?: Record<string, string | undefined>;
  service?: string;
  host?: string;
}

/** Parses each line with `auto` and checks what `want` names; every line must match a format. */
export function check(family: string, cases: Array<[string, Want]>, c = ctx): void {
  for (const [line, want] of cases) {
    const r: ParsedFields = parse(line, c);
    const where = `${family}: ${line}`;
    if (want.time !== undefined) assert.equal(r.time === undefined ? null : new Date(r.time).toISOString(), want.time, `${where}: time`);
    if (want.level !== undefined) assert.equal(r.severityText, want.level, `${where}: level`);
    if (want.number !== undefined) assert.equal(r.severityNumber, want.number, `${where}: severity number`);
    assert.equal(r.body, want.body, `${where}: body`);
    for (const [k, v] of Object.entries(want.attributes ?? {})) assert.equal(r.attributes[k], v, `${where}: attribute ${k}`);
    if ('service' in want) assert.equal(r.service, want.service, `${where}: service`);
    if (want.host !== undefined) assert.equal(r.host, want.host, `${where}: host`);
    assert.equal(r.fallback, undefined, `${where}: matched`);
  }
}

/** The records the multiline assembler (built-in rules) makes of `text`'s lines, as texts. */
export function assembled(text: string): string[] {
  const m = new MultilineAssembler();
  const out: string[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    for (const r of m.push({ text: line, start: offset, end: offset + line.length + 1 }, 0)) out.push(r.text);
    offset += line.length + 1;
  }
  for (const r of m.flush()) out.push(r.text);
  return out;
}
