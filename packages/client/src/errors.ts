// The client's errors. Broker answers carry Kafka's error codes and become KafkaError (code, name,
// retriable flag, from the one table in @sluice/protocol); failures that never reached a broker answer
// have their own types. Retry logic asks only `isRetriable(err)`.
import { KafkaError } from '@sluice/protocol';

/** The broker could not be reached, or the connection broke mid-request. Retriable. */
export class ConnectionError extends Error {
  readonly retriable = true;
  readonly address: string;
  constructor(address: string, message: string) {
    super(`Connection to ${address} failed: ${message}`);
    this.name = 'ConnectionError';
    this.address = address;
  }
}

/** No answer within the request or delivery deadline. Retriable. */
export class RequestTimeoutError extends Error {
  readonly retriable = true;
  constructor(message: string) {
    super(message);
    this.name = 'RequestTimeoutError';
  }
}

/** The client (or this producer or consumer) was closed. Not retriable. */
export class ClientClosedError extends Error {
  readonly retriable = false;
  constructor(what = 'client') {
    super(`The ${what} is closed`);
    this.name = 'ClientClosedError';
  }
}

/** A setting given to the client is invalid. Not retriable. */
export class InvalidClientConfigError extends Error {
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidClientConfigError';
  }
}

export function isRetriable(err: unknown): boolean {
  if (err instanceof KafkaError) return err.retriable;
  return (
    typeof err === 'object' &&
    err !== null &&
    'retriable' in err &&
    (err as { retriable: unknown }).retriable === true
  );
}

export { KafkaError };
