/**
 * kafkajs (unmaintained since 2023) can leave a retriable connection error as an unhandled promise
 * rejection from inside its own machinery when a broker goes away mid-request (tulios/kafkajs#702 and
 * #1686 describe the same); Node then ends the process. Seen here: a worker died with
 * `KafkaJSConnectionError: connect ECONNREFUSED` while a broker of a 3-node cluster was down, although
 * every call of ours into kafkajs is awaited and caught. The request it belonged to is retried by
 * kafkajs or fails through the call we await, so such a rejection is logged and counted, and the
 * process goes on; any other unhandled rejection still ends it, as Node would.
 */
import type { Logger } from '../log.ts';

let installed = false;
let strays = 0;

/** Unhandled kafkajs rejections forgiven so far in this process. */
export function strayKafkaRejections(): number {
  return strays;
}

/** True for what kafkajs marks as a retriable error of its own (connection refused, reset, timed out). */
export function isRetriableKafkaJsError(reason: unknown): boolean {
  if (!(reason instanceof Error)) return false;
  const e = reason as Error & { retriable?: unknown };
  return e.name.startsWith('KafkaJS') && e.retriable === true;
}

/** Installs the process-wide guard once; later calls do nothing. */
export function guardStrayKafkaRejections(logger: Logger): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    if (isRetriableKafkaJsError(reason)) {
      strays++;
      const e = reason as Error & { broker?: string; code?: string };
      logger.warn({ err: e.message, broker: e.broker, code: e.code, strays }, 'kafkajs left a retriable connection error unhandled; the client retries on its own, the process goes on.');
      return;
    }
    // What Node would have done without a listener: end the process with the error.
    throw reason;
  });
}
