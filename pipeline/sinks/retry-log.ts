/**
 * What the worker's own producers (partials, dead letters) say while they retry: they retry until
 * acknowledged, so a missing topic or a broker down would otherwise be a silent wait. At most one line
 * per minute per producer, with the count since the last one.
 */
import { log, type Logger } from '../../core/log.ts';
import { type KafkaError } from '../../core/kafka/producer.ts';

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
