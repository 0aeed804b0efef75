/**
 * pino transport (`pino.transport({ target: 'tributary/pino', options })`): a Node service's log
 * lines in, records on `logs.v1` out, through the agent's own record builder (parse, severity,
 * redaction) and Kafka sink (acks=all, idempotent, bounded buffer). It runs in pino's worker thread,
 * where tsx is not registered, so this file is plain JS and registers tsx before loading the agent code.
 *
 * Options: brokers (list or comma string; default TRIBUTARY_BROKERS or 127.0.0.1:9092), service,
 * host, topic (default logs.v1), compression, maxBufferedEvents, batchLines (default 500),
 * flushMs (default 50), redaction ({ disabled, rules } or false).
 */
import { hostname } from 'node:os';
import build from 'pino-abstract-transport';
import { tsImport } from 'tsx/esm/api';

const here = import.meta.url;

export default async function tributaryPinoTransport(options = {}) {
  const [{ KafkaSink }, { createRecordBuilder, newCounters }, { log }, { defaultBrokers }] = await Promise.all([
    tsImport('../sinks/kafka.ts', here),
    tsImport('../record-builder.ts', here),
    tsImport('../../core/log.ts', here),
    tsImport('../../core/paths.ts', here),
  ]);
  const brokers = Array.isArray(options.brokers) ? options.brokers : options.brokers ? String(options.brokers).split(',') : defaultBrokers();
  const sink = new KafkaSink(
    {
      brokers,
      clientId: 'tributary-pino',
      logsTopic: options.topic,
      compression: options.compression,
      maxBufferedEvents: options.maxBufferedEvents,
      lingerMs: options.lingerMs,
    },
    log('agent.pino'),
  );
  await sink.start();
  const counters = newCounters();
  const toRecord = createRecordBuilder(counters, { redaction: options.redaction ?? {}, parser: 'json' });
  const service = options.service ?? 'unknown';
  const host = options.host ?? hostname();
  const batchLines = options.batchLines ?? 500;
  const flushMs = options.flushMs ?? 50;
  let events = [];
  let seq = 0;
  // Sends run one after another, so records keep their order.
  let chain = Promise.resolve();
  const flush = () => {
    if (events.length === 0) return chain;
    const batch = events;
    events = [];
    chain = chain.then(() => sink.send({ events: batch }));
    return chain;
  };
  const timer = setInterval(() => void flush(), flushMs);

  return build(
    async function (source) {
      for await (const line of source) {
        if (typeof line !== 'string' || line.length === 0) continue;
        events.push({
          type: 'log',
          record: toRecord({ text: line, origin: { kind: 'pino', offset: seq++ }, service, host, observedMs: Date.now() }),
        });
        // Waiting here is the backpressure: pino's buffer fills and the app's writes slow down.
        if (events.length >= batchLines) await flush();
      }
    },
    {
      parse: 'lines',
      async close() {
        clearInterval(timer);
        await flush();
        await sink.close();
      },
    },
  );
}
