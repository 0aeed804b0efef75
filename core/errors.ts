/**
 * The closed list of error codes. Configuration and usage mistakes throw at start-up; the data path
 * never throws for a bad record, it routes it (to the dead-letter topic) and counts it.
 */

export const ERROR_CODES = {
  CONFIG_INVALID: 'configuration is invalid',
  USAGE: 'wrong command-line usage',
  MISSING_TOOL: 'a required program is not installed',
  KAFKA_UNREACHABLE: 'Kafka cannot be reached',
  KAFKA_AUTH: 'Kafka refused the SASL credentials',
  KAFKA_TLS: "Kafka's TLS certificate is not trusted, or Kafka refused this client's",
  KAFKA_STACK: 'the local Kafka broker could not be managed',
  STORE_UNAVAILABLE: 'ClickHouse cannot be reached',
  STORE_AUTH: 'ClickHouse refused the credentials',
  STORE_TLS: "ClickHouse's TLS certificate is not trusted",
  STORE_NOT_WRITABLE: 'the storage folder is not writable',
  STORE_LOCKED: 'the storage folder is in use by another process',
  REGISTRY_UNAVAILABLE: 'the schema registry cannot be reached',
  REGISTRY_AUTH: 'the schema registry refused the credentials',
  SCHEMA_TOO_NEW: 'the database schema is newer than this code',
  QUERY_FAILED: 'a query failed',
  DECODE: 'a record could not be decoded',
  VALIDATE: 'a record is not valid',
  MODEL_INVALID: 'a model does not match its manifest',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class TributaryError extends Error {
  readonly code: ErrorCode;
  /** Whether trying again later may succeed (a network error) or not (a wrong password). */
  readonly canRetry: boolean;

  constructor(code: ErrorCode, message: string, options: { canRetry?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'TributaryError';
    this.code = code;
    this.canRetry = options.canRetry ?? false;
  }
}

export function isTributaryError(err: unknown): err is TributaryError {
  return err instanceof TributaryError;
}
