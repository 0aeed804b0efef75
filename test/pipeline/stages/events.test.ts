// The event stream's decode step (pipeline/stages/events.ts) through the real DecodeStage: what goes on,
// what is dead-lettered with which reason, and that a tombstone is neither.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeStage } from '../../../pipeline/stages/decode.ts';
import { eventDecoder } from '../../../pipeline/stages/events.ts';
import { Several, type RecordContext } from '../../../pipeline/stage.ts';
import { EventSchema, type SourceEvent } from '../../../pipeline/transforms/features/views/schema.ts';

const schema = new EventSchema({ name: 'payments', topic: 'payments.v1', time_field: 'ts', fields: { card_id: 'string', amount: 'number' } });
const T = Date.parse('2026-11-29T10:00:00Z');

function run(value: Buffer | null): { out: unknown; dead: Array<[string, string]> } {
  const dead: Array<[string, string]> = [];
  const ctx = { replay: false, now: T, out: { dead: (stage: string, reason: string) => dead.push([stage, reason]) } } as unknown as RecordContext;
  return { out: new DecodeStage(eventDecoder(schema)).push(value, ctx), dead };
}

test('one event goes on; one that does not fit is dead-lettered naming the source and the field', () => {
  const ok = run(Buffer.from(JSON.stringify({ ts: T, card_id: 'c', amount: 2 })));
  assert.deepEqual(ok, { out: { time: T, fields: { card_id: 'c', amount: 2 } }, dead: [] });
  const bad = run(Buffer.from(JSON.stringify({ ts: T, card_id: 'c', amount: 'two' })));
  assert.deepEqual(bad, { out: undefined, dead: [['validate', 'payments: field "amount" should be a finite number, got string "two"']] });
  assert.deepEqual(run(Buffer.from('{nope')).dead.map(([s]) => s), ['decode']);
});

test('a list: its events go on together, each one that does not fit is dead-lettered on its own', () => {
  const r = run(Buffer.from(JSON.stringify([{ ts: T, card_id: 'a', amount: 1 }, { ts: T, amount: 1 }, { ts: T + 1, card_id: 'b', amount: 3 }])));
  assert.ok(r.out instanceof Several);
  assert.deepEqual((r.out as Several<SourceEvent>).items.map((e) => e.fields.card_id), ['a', 'b']);
  assert.deepEqual(r.dead, [['validate', 'payments: field "card_id" (event 2 of the record\'s 3) is required and missing']]);
});

test('a tombstone is neither an event nor a dead letter', () => {
  assert.deepEqual(run(null), { out: undefined, dead: [] });
  assert.equal(run(Buffer.alloc(0)).dead.length, 1, 'an empty value is a dead letter');
});
