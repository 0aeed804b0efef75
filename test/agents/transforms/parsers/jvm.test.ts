// The JVM's layouts on their own: null for a line that only starts like one (auto.test.ts and
// programs.test.ts read whole lines of each through the dispatch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jul, jvmUnified, kafkaLogger } from '../../../../agents/transforms/parsers/jvm.ts';
import type { ParsedFields } from '../../../../agents/transforms/parsers/types.ts';
import { readTime } from '../../../../agents/transforms/timestamp.ts';

const ctx = { now: Date.UTC(2026, 10, 29, 6), timeZone: 'UTC' };

test("Kafka's trailing logger only on a record with a level and no logger", () => {
  const r = (body: string, extra: Partial<ParsedFields> = {}): ParsedFields => ({ body, attributes: {}, severityText: 'INFO', severityNumber: 9, ...extra });
  const a = r('started (kafka.server.KafkaServer)');
  kafkaLogger(a);
  assert.deepEqual([a.body, a.attributes['log.logger']], ['started', 'kafka.server.KafkaServer']);
  const noLevel = r('started (kafka.server.KafkaServer)', { severityText: undefined });
  kafkaLogger(noLevel);
  assert.equal(noLevel.attributes['log.logger'], undefined);
  const hasLogger = r('started (kafka.server.KafkaServer)', { attributes: { 'log.logger': 'x' } });
  kafkaLogger(hasLogger);
  assert.deepEqual([hasLogger.body, hasLogger.attributes['log.logger']], ['started (kafka.server.KafkaServer)', 'x']);
  for (const body of ['took (1.2.3)', 'see (a.b)', 'host (broker1.example.com)']) {
    const x = r(body);
    kafkaLogger(x);
    assert.equal(x.body, body);
  }
});

test("the JVM's unified logging: its brackets side by side, but not Envoy's (a code location after them)", () => {
  assert.equal(jvmUnified('[2026-11-24 10:00:00.123][12][info][main] [source/server/server.cc:456] ready', ctx), null);
  assert.equal(jvmUnified('[2026-11-24T10:00:00.123][12][info][main] ready', ctx)?.attributes['log.logger'], 'main');
  assert.equal(jvmUnified('[0.012s][info][gc,heap] Heap region size: 1M', ctx)?.attributes['log.logger'], 'gc,heap');
  assert.equal(jvmUnified('[0.012s][notice][gc] x', ctx), null);
});

test("java.util.logging's record: the class and method, then the level on its second line; null without it", () => {
  const line = 'Dec 02, 2026 3:44:22 AM org.apache.catalina.startup.Catalina start\nINFO: Server startup in 1234 ms';
  const r = jul(line, readTime(line, 0, 'UTC', ctx.now)!)!;
  assert.deepEqual([r.severityText, r.body, r.attributes['log.logger']], ['INFO', 'Server startup in 1234 ms', 'org.apache.catalina.startup.Catalina']);
  const noLevel = 'Dec 02, 2026 3:44:22 AM org.example.App main\nplain text';
  assert.equal(jul(noLevel, readTime(noLevel, 0, 'UTC', ctx.now)!), null);
});
