import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capnslog, datadogAgent, klog } from '../../../../agents/transforms/parsers/go.ts';
import { buildParser } from '../../../../agents/transforms/parsers/index.ts';

const auto = buildParser('auto');
const ctx = { now: Date.UTC(2026, 11, 3, 12), timeZone: 'UTC' };
const read = (line: string) => {
  const r = auto(line, ctx)!;
  return { level: r.severityText, body: r.body, attributes: r.attributes, time: r.time === undefined ? undefined : new Date(r.time).toISOString(), fallback: r.fallback };
};

test("logrus's terminal layout: the level's four letters, the stamp or seconds in brackets, the padded message, Go-quoted pairs", () => {
  assert.deepEqual(read('WARN[2026-12-03T06:11:17Z] login failed                                  attempt=2 user="alice b" note="say \\"hi\\""'), {
    level: 'WARNING', body: 'login failed', attributes: { attempt: '2', user: 'alice b', note: 'say "hi"' }, time: '2026-12-03T06:11:17.000Z', fallback: undefined,
  });
  assert.deepEqual(read('PANI[0003] a message longer than the forty-four characters of padding  k=v'), { level: 'PANIC', body: 'a message longer than the forty-four characters of padding', attributes: { k: 'v' }, time: undefined, fallback: undefined });
  // A message with `=` in it and no fields: kept whole.
  assert.deepEqual(read('INFO[0000] set x=1 then y=2                                '), { level: 'INFO', body: 'set x=1 then y=2', attributes: {}, time: undefined, fallback: undefined });
  // Not logrus: a word that is no level of its, or no space after the bracket.
  assert.notEqual(read('NOTE[2026-12-03T06:11:17Z] x').level, 'NOTE');
  assert.equal(read('WARN[2026-13-03T06:11:17Z] bad month').fallback, 'bad_time');
});

test("hclog: the logger before the first colon when its level is padded, dotted or pairs follow; the pairs after the message", () => {
  const stamp = '2026-12-03T06:11:11.783Z';
  assert.deepEqual(read(`${stamp} [INFO]  agent: starting server: port=8500 datacenter=dc1`).attributes, { 'log.logger': 'agent', port: '8500', datacenter: 'dc1' });
  assert.deepEqual(read(`${stamp} [ERROR] agent.raft: failed: error="dial tcp: refused"`), { level: 'ERROR', body: 'failed', attributes: { 'log.logger': 'agent.raft', error: 'dial tcp: refused' }, time: stamp, fallback: undefined });
  // An offset instead of Z (hclog's Z0700 on a host not on UTC).
  assert.equal(read('2026-12-03T07:11:11.783+0100 [WARN]  nomad: slow').time, stamp);
  // ERROR is not padded: without a dot or pairs a leading `word:` stays in the message.
  assert.deepEqual([read(`${stamp} [ERROR] shutdown: timed out`).body, read(`${stamp} [ERROR] shutdown: timed out`).attributes], ['shutdown: timed out', {}]);
  // An unnamed logger's `msg: k=v`: the only `: ` ends the message.
  assert.deepEqual([read(`${stamp} [INFO]  starting: port=1`).body, read(`${stamp} [INFO]  starting: port=1`).attributes], ['starting', { port: '1' }]);
  // A message with `: ` and `=` that are not hclog's pairs: whole.
  assert.equal(read(`${stamp} [INFO]  agent: ratio: a=b c`).body, 'ratio: a=b c');
});

test('klog, capnslog and the Datadog Agent\'s location: null (or nothing read) unless their shape is there', () => {
  assert.equal(klog('I1129 is not a klog line', ctx), null);
  assert.equal(klog('I1129 05:00:00.123456    1234 controller.go:112] ok', ctx)?.body, 'ok');
  const t = Date.UTC(2026, 11, 2);
  assert.equal(capnslog('2026-11-24 10:00:00 Q | x: y', 20, t), null);
  assert.equal(capnslog('2026-11-24 10:00:00 W | no package here', 20, t)?.body, 'no package here');
  const attributes: Record<string, string> = {};
  assert.equal(datadogAgent('(not a location) | msg', 0, attributes), 0);
  assert.deepEqual(attributes, {});
});
