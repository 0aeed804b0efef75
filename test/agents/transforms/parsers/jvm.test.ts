// The JVM's layouts on their own: null for a line that only starts like one (auto.test.ts and
// programs.test.ts read whole lines of each through the dispatch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jul, jvmUnified, kafkaLogContext, kafkaLogger } from '../../../../agents/transforms/parsers/jvm.ts';
import { createAutoParser } from '../../../../agents/transforms/parsers/auto.ts';
import type { ParsedFields } from '../../../../agents/transforms/parsers/types.ts';
import { readTime } from '../../../../agents/transforms/timestamp.ts';
import { check } from '../../../helpers/parse-cases.ts';

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

test("Kafka's log context: `[Type k=v, k=v] ` before the message to log.context; other brackets stay", () => {
  const read = (body: string) => {
    const r: ParsedFields = { body, attributes: {} };
    kafkaLogContext(r);
    return [r.body, r.attributes['log.context']];
  };
  assert.deepEqual(read('[Consumer clientId=consumer-g-1, groupId=g] Discovered group coordinator b:9092'), ['Discovered group coordinator b:9092', 'Consumer clientId=consumer-g-1, groupId=g']);
  assert.deepEqual(read('[Producer clientId=producer-1] Instantiated an idempotent producer.'), ['Instantiated an idempotent producer.', 'Producer clientId=producer-1']);
  for (const body of ['[main] started', '[Consumer] no pairs', '[a=b] lower case type', '[Consumer clientId=x]no space after', 'plain']) assert.deepEqual(read(body), [body, undefined], body);
});

test("through the auto parser: a Kafka client's context in a Spring Boot line", () => {
  const auto = createAutoParser();
  const r = auto('2026-12-02T15:40:12.345Z  INFO 4242 --- [demo] [ntainer#0-0-C-1] o.a.k.c.c.internals.ConsumerCoordinator  : [Consumer clientId=consumer-g-1, groupId=g] Successfully joined group with generation Generation{generationId=1}', ctx)!;
  assert.deepEqual([r.attributes['log.logger'], r.attributes['log.context'], r.body], ['o.a.k.c.c.internals.ConsumerCoordinator', 'Consumer clientId=consumer-g-1, groupId=g', 'Successfully joined group with generation Generation{generationId=1}']);
});

test("JDK 8's GC log (-XX:+PrintGCDateStamps): the stamp with its offset is the time, the rest the message", () => {
  // Written after the JDK 8 GC tuning guide's examples: no JDK 8 runs here (JDK 17 logs GC in its unified format, read above).
  check('gc', [
    ['2026-11-24T10:00:00.123+0000: 12.345: [GC (Allocation Failure) [PSYoungGen: 33280K->5088K(38400K)] 33280K->5096K(125952K), 0.0045121 secs] [Times: user=0.01 sys=0.00, real=0.00 secs]', {
      time: '2026-11-24T10:00:00.123Z', body: '12.345: [GC (Allocation Failure) [PSYoungGen: 33280K->5088K(38400K)] 33280K->5096K(125952K), 0.0045121 secs] [Times: user=0.01 sys=0.00, real=0.00 secs]',
    }],
    ['2026-11-24T11:00:00.456+0100: [GC pause (G1 Evacuation Pause) (young), 0.0123456 secs]', { time: '2026-11-24T10:00:00.456Z', body: '[GC pause (G1 Evacuation Pause) (young), 0.0123456 secs]' }],
  ]);
});
