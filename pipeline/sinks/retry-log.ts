/**
 * The worker's own producers (partials, dead letters), and what they say while they retry: they retry until
 * acknowledged, so a missing topic or a broker down would otherwise be a silent wait. At most one line
 * per minute per producer, with the count since the last one.
 */
import { log, type Logger } from '../../core/log.ts';
import { securityOf } from '../../core/kafka/security.ts';
import { KafkaProducer, type KafkaError } from '../../core/kafka/producer.ts';

export function retryLogger(component: string, everyMs = 60_000, logger: Pick<Logger, 'warn'> = log(component)): (err: KafkaError) => void {
  let last = 0;
  let since = 0;
  return (err) => {
    since++;
    const now = Date.now();
    if (now - last < everyMs) return;
    logger.warn({ err: err.message, type: err.type, retries: since }, 'Kafka did not take the records yet; retrying until it does.');
    last = now;
    since = 0;
  };
}

/** One of the worker's own producers: the cluster's TLS and SASL settings from the environment, LZ4, and retries said through `retryLogger(component)`. */
export function workerProducer(brokers: string[], clientId: string, component: string): KafkaProducer {
  return new KafkaProducer({ brokers, clientId, compression: 'lz4', ...securityOf(), onRetry: retryLogger(component) });
}
