import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rabbitmqHead, withoutRepeatedHead } from '../../../../agents/transforms/parsers/rabbitmq.ts';
import { MultilineAssembler } from '../../../../agents/transforms/multiline.ts';
import { LineSplitter } from '../../../../agents/transforms/line-splitter.ts';

const head = '2026-12-03 06:45:59.693493+00:00 [error] <0.697.0> ';

test("RabbitMQ's prefix: to the microsecond, the level and the Erlang process; '' for other layouts", () => {
  assert.equal(rabbitmqHead(head + 'Error on AMQP connection'), head);
  assert.equal(rabbitmqHead('2026-12-03 06:45:59.693493-05:00 [warning] <12345.697.0> x'), '2026-12-03 06:45:59.693493-05:00 [warning] <12345.697.0> ');
  for (const line of ['2026-12-03 06:45:59.693 [error] <0.697.0> ms only', '2026-12-03T06:45:59.693493+00:00 [error] <0.697.0> T', '2026-12-03 06:45:59.693493+00:00 [error] no process', '2026-11-24T10:00:00.000Z INFO [worker-0] com.acme - x']) {
    assert.equal(rabbitmqHead(line), '', line);
  }
});

test('a message of several lines loses the repeats, an empty line of it too; the first line may be empty', () => {
  assert.equal(withoutRepeatedHead(`first:\n${head}second\n${head.trimEnd()}`, head), 'first:\nsecond');
  assert.equal(withoutRepeatedHead(`\n${head} banner\n${head} line`, head), ' banner\n line');
  assert.equal(withoutRepeatedHead('no repeats\nhere', head), 'no repeats\nhere');
});

test('the assembler joins a line that repeats the prefix whole, and no other', () => {
  const m = new MultilineAssembler();
  const texts: string[] = [];
  const log = [`${head}Error on AMQP connection:`, `${head}PLAIN login refused`, head.replace('693493', '693494') + 'next message', `${head.replace('<0.697.0>', '<0.698.0>')}other process`].join('\n') + '\n';
  for (const line of new LineSplitter().push(Buffer.from(log), 0)) for (const r of m.push(line, 0)) texts.push(r.text);
  for (const r of m.flush()) texts.push(r.text);
  assert.deepEqual(texts.map((t) => t.split('\n').length), [2, 1, 1]);
});
