/**
 * Kafka error codes the producer meets, with what to do about each: retry (after a metadata refresh
 * when leadership may have moved), fail the batch for good (the records themselves are refused), or
 * stop (authentication, authorisation, configuration: retrying cannot help until a person acts).
 */
export type ErrorAction = 'retry' | 'refresh' | 'reject' | 'fatal' | 'sequence';

interface Code {
  name: string;
  action: ErrorAction;
}

const CODES: Record<number, Code> = {
  [-1]: { name: 'UNKNOWN_SERVER_ERROR', action: 'retry' },
  2: { name: 'CORRUPT_MESSAGE', action: 'reject' },
  3: { name: 'UNKNOWN_TOPIC_OR_PARTITION', action: 'refresh' },
  5: { name: 'LEADER_NOT_AVAILABLE', action: 'refresh' },
  6: { name: 'NOT_LEADER_OR_FOLLOWER', action: 'refresh' },
  7: { name: 'REQUEST_TIMED_OUT', action: 'retry' },
  8: { name: 'BROKER_NOT_AVAILABLE', action: 'refresh' },
  9: { name: 'REPLICA_NOT_AVAILABLE', action: 'refresh' },
  10: { name: 'MESSAGE_TOO_LARGE', action: 'reject' },
  13: { name: 'NETWORK_EXCEPTION', action: 'refresh' },
  14: { name: 'COORDINATOR_LOAD_IN_PROGRESS', action: 'retry' },
  15: { name: 'COORDINATOR_NOT_AVAILABLE', action: 'retry' },
  16: { name: 'NOT_COORDINATOR', action: 'retry' },
  17: { name: 'INVALID_TOPIC_EXCEPTION', action: 'fatal' },
  18: { name: 'RECORD_LIST_TOO_LARGE', action: 'reject' },
  19: { name: 'NOT_ENOUGH_REPLICAS', action: 'retry' },
  20: { name: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', action: 'retry' },
  21: { name: 'INVALID_REQUIRED_ACKS', action: 'fatal' },
  29: { name: 'TOPIC_AUTHORIZATION_FAILED', action: 'fatal' },
  31: { name: 'CLUSTER_AUTHORIZATION_FAILED', action: 'fatal' },
  32: { name: 'INVALID_TIMESTAMP', action: 'reject' },
  33: { name: 'UNSUPPORTED_SASL_MECHANISM', action: 'fatal' },
  34: { name: 'ILLEGAL_SASL_STATE', action: 'fatal' },
  35: { name: 'UNSUPPORTED_VERSION', action: 'fatal' },
  42: { name: 'INVALID_REQUEST', action: 'fatal' },
  43: { name: 'UNSUPPORTED_FOR_MESSAGE_FORMAT', action: 'fatal' },
  44: { name: 'POLICY_VIOLATION', action: 'reject' },
  45: { name: 'OUT_OF_ORDER_SEQUENCE_NUMBER', action: 'sequence' },
  46: { name: 'DUPLICATE_SEQUENCE_NUMBER', action: 'retry' },
  47: { name: 'INVALID_PRODUCER_EPOCH', action: 'sequence' },
  49: { name: 'INVALID_PRODUCER_ID_MAPPING', action: 'sequence' },
  56: { name: 'KAFKA_STORAGE_ERROR', action: 'refresh' },
  58: { name: 'SASL_AUTHENTICATION_FAILED', action: 'fatal' },
  59: { name: 'UNKNOWN_PRODUCER_ID', action: 'sequence' },
  74: { name: 'FENCED_LEADER_EPOCH', action: 'refresh' },
  75: { name: 'UNKNOWN_LEADER_EPOCH', action: 'refresh' },
  76: { name: 'UNSUPPORTED_COMPRESSION_TYPE', action: 'fatal' },
  87: { name: 'INVALID_RECORD', action: 'reject' },
  89: { name: 'THROTTLING_QUOTA_EXCEEDED', action: 'retry' },
  90: { name: 'PRODUCER_FENCED', action: 'sequence' },
};

export function errorName(code: number): string {
  return CODES[code]?.name ?? `KAFKA_ERROR_${code}`;
}

/** Unknown codes are retried: holding records costs less than dropping them on a guess. */
export function errorAction(code: number): ErrorAction {
  return CODES[code]?.action ?? 'retry';
}

/** An error from Kafka or the connection to it; `type` is Kafka's error name (or NETWORK / AUTH). */
export class KafkaError extends Error {
  constructor(
    message: string,
    readonly type: string,
    readonly action: ErrorAction,
    readonly broker?: string,
  ) {
    super(message);
  }
}

export function kafkaError(code: number, where: string, broker?: string, detail?: string | null): KafkaError {
  const name = errorName(code);
  return new KafkaError(`${name} from ${where}${detail ? `: ${detail}` : ''}`, name, errorAction(code), broker);
}
