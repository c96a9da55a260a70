// The client's errors, one hierarchy. Broker answers carry Kafka's error codes and become a subclass
// of KafkaError (code, errorName, retriable: from the one table in @sluice/protocol): one class per
// code, made from that table by one map below, so `err instanceof NotLeaderOrFollowerError` and
// `KafkaError.is(err, ErrorCode.NOT_LEADER_OR_FOLLOWER)` agree. Failures that never got a broker answer
// have their own types. Retry logic asks only `isRetriable(err)`.
import { ALL_ERROR_CODES, type ErrorName, errorInfo, KafkaError } from '@sluice/protocol';

/** The class of one Kafka error code: `new NotLeaderOrFollowerError(message?)`. */
export type KafkaErrorClass = new (message?: string, options?: ErrorOptions) => KafkaError;

/** Java-style class name of an error name: UNKNOWN_TOPIC_OR_PARTITION -> UnknownTopicOrPartitionError. */
function classNameOf(name: string): string {
  const base = name
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
  return `${base.replace(/Exception$/, '')}Error`;
}

/** The one map from code to class, built from the protocol's table. */
const CLASS_BY_CODE = new Map<number, KafkaErrorClass>();
for (const code of ALL_ERROR_CODES) {
  if (code === 0) continue;
  const className = classNameOf(errorInfo(code).name);
  const cls = class extends KafkaError {
    constructor(message?: string, options?: ErrorOptions) {
      super(code, message, options);
      this.name = className;
    }
  };
  Object.defineProperty(cls, 'name', { value: className });
  CLASS_BY_CODE.set(code, cls);
}

function classFor(name: ErrorName): KafkaErrorClass {
  const info = errorInfo(ALL_ERROR_CODES.find((c) => errorInfo(c).name === name) ?? -1);
  return CLASS_BY_CODE.get(info.code)!;
}

/**
 * The typed error for a broker's answer: an instance of the code's class (a KafkaError), or a plain
 * KafkaError for a code this version does not know.
 */
export function kafkaError(code: number, message?: string, options?: ErrorOptions): KafkaError {
  const cls = CLASS_BY_CODE.get(code);
  return cls ? new cls(message, options) : new KafkaError(code, message, options);
}

/** The class of `code` (undefined for NONE and unknown codes). */
export function kafkaErrorClass(code: number): KafkaErrorClass | undefined {
  return CLASS_BY_CODE.get(code);
}

// The errors an application is most likely to catch, by name. Every other code has its class too
// (kafkaErrorClass(code)); all of them are KafkaError.
export const UnknownServerError: KafkaErrorClass = classFor('UNKNOWN_SERVER_ERROR');
export const OffsetOutOfRangeError: KafkaErrorClass = classFor('OFFSET_OUT_OF_RANGE');
export const CorruptMessageError: KafkaErrorClass = classFor('CORRUPT_MESSAGE');
export const UnknownTopicOrPartitionError: KafkaErrorClass = classFor('UNKNOWN_TOPIC_OR_PARTITION');
export const LeaderNotAvailableError: KafkaErrorClass = classFor('LEADER_NOT_AVAILABLE');
export const NotLeaderOrFollowerError: KafkaErrorClass = classFor('NOT_LEADER_OR_FOLLOWER');
export const RequestTimedOutError: KafkaErrorClass = classFor('REQUEST_TIMED_OUT');
export const MessageTooLargeError: KafkaErrorClass = classFor('MESSAGE_TOO_LARGE');
export const InvalidTopicError: KafkaErrorClass = classFor('INVALID_TOPIC_EXCEPTION');
export const RecordListTooLargeError: KafkaErrorClass = classFor('RECORD_LIST_TOO_LARGE');
export const NotEnoughReplicasError: KafkaErrorClass = classFor('NOT_ENOUGH_REPLICAS');
export const NotEnoughReplicasAfterAppendError: KafkaErrorClass = classFor(
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
);
export const InvalidRequiredAcksError: KafkaErrorClass = classFor('INVALID_REQUIRED_ACKS');
export const TopicAlreadyExistsError: KafkaErrorClass = classFor('TOPIC_ALREADY_EXISTS');
export const InvalidPartitionsError: KafkaErrorClass = classFor('INVALID_PARTITIONS');
export const InvalidReplicationFactorError: KafkaErrorClass = classFor('INVALID_REPLICATION_FACTOR');
export const OutOfOrderSequenceNumberError: KafkaErrorClass = classFor('OUT_OF_ORDER_SEQUENCE_NUMBER');
export const DuplicateSequenceNumberError: KafkaErrorClass = classFor('DUPLICATE_SEQUENCE_NUMBER');
export const InvalidProducerEpochError: KafkaErrorClass = classFor('INVALID_PRODUCER_EPOCH');
export const UnsupportedCompressionTypeError: KafkaErrorClass = classFor('UNSUPPORTED_COMPRESSION_TYPE');
export const FencedLeaderEpochError: KafkaErrorClass = classFor('FENCED_LEADER_EPOCH');
export const UnknownLeaderEpochError: KafkaErrorClass = classFor('UNKNOWN_LEADER_EPOCH');
export const KafkaStorageError: KafkaErrorClass = classFor('KAFKA_STORAGE_ERROR');
export const UnknownProducerIdError: KafkaErrorClass = classFor('UNKNOWN_PRODUCER_ID');
export const PolicyViolationError: KafkaErrorClass = classFor('POLICY_VIOLATION');

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

/**
 * A commit the group refused because this member no longer owns the partitions: the group rebalanced
 * (REBALANCE_IN_PROGRESS), this member was fenced (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID), or it left
 * the group itself after exceeding max.poll.interval.ms. The records may be handed to another member;
 * the application should not retry the commit but go on iterating (which rejoins). Not retriable.
 */
export class CommitFailedError extends Error {
  readonly retriable = false;
  /** The broker's code behind it, when a broker answered (undefined: this member had left already). */
  readonly code: number | undefined;
  constructor(message: string, options?: ErrorOptions & { code?: number }) {
    super(message, options);
    this.name = 'CommitFailedError';
    this.code = options?.code;
  }
}

/** A partition has no committed offset and auto.offset.reset is 'none'. Not retriable. */
export class NoOffsetForPartitionError extends Error {
  readonly retriable = false;
  readonly partitions: ReadonlyArray<{ topic: string; partition: number }>;
  constructor(partitions: ReadonlyArray<{ topic: string; partition: number }>) {
    const names = partitions.map((p) => `${p.topic}-${p.partition}`).join(', ');
    super(`No committed offset and auto.offset.reset is none for: ${names}`);
    this.name = 'NoOffsetForPartitionError';
    this.partitions = partitions;
  }
}

/** A call that needs a state the consumer is not in (seek on a partition it does not own). Not retriable. */
export class IllegalStateError extends Error {
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'IllegalStateError';
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
