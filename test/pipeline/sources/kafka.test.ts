// The Kafka source's span links: the distinct traceparent headers of a fetched batch (the agent
// batches its records came from). The source's group membership is proven by the worker's tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { traceLinks, type SourceMessage } from '../../../pipeline/sources/kafka.ts';

const A = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const B = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
const msg = (offset: number, traceparent?: string | Buffer): SourceMessage => ({
  offset: String(offset), key: null, value: null, ...(traceparent === undefined ? {} : { headers: { traceparent: typeof traceparent === 'string' ? Buffer.from(traceparent) : traceparent } }),
});

test('one link per distinct agent batch, in order of first appearance', () => {
  const { links, dropped } = traceLinks([msg(0, A), msg(1, A), msg(2, B), msg(3, A), msg(4), msg(5, B)]);
  assert.deepEqual(links.map((l) => [l.context.traceId, l.context.spanId, l.context.traceFlags, l.context.isRemote]), [
    ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 1, true],
    ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', 0, true],
  ]);
  assert.equal(dropped, 0);
});

test('malformed or all-zero headers are no links', () => {
  const bad = ['', 'garbage', '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '00-00000000000000000000000000000000-b7ad6b7169203331-01',
    '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01', '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01'];
  assert.deepEqual(traceLinks(bad.map((h, i) => msg(i, h))).links, []);
});

test('links past the bound are counted, not kept', () => {
  const many = Array.from({ length: 5 }, (_, i) => msg(i, `00-${String(i + 1).padStart(32, '0')}-b7ad6b7169203331-01`));
  const { links, dropped } = traceLinks(many, 3);
  assert.equal(links.length, 3);
  assert.equal(dropped, 2);
});
