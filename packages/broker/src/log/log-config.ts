// The per-topic settings of a partition log, under Kafka's topic-config names (segment.bytes ->
// segmentBytes, ...), with Kafka 2.7's defaults gathered in one place, and the check that a config
// can be used at all. The broker builds these from server.properties and topic overrides.

export type TimestampType = 'CreateTime' | 'LogAppendTime';
export type CleanupPolicy = 'compact' | 'delete';

export interface LogConfig {
  /** segment.bytes: roll the active segment before it would pass this size. At most 2^31 - 1. */
  segmentBytes: number;
  /** segment.ms: roll once the active segment's records span this long (Kafka's rule, see LogSegment). */
  segmentMs: number;
  /** segment.index.bytes: the most bytes an offset or time index may hold; a full index rolls. */
  segmentIndexBytes: number;
  /** index.interval.bytes: log bytes between two sparse index entries. */
  indexIntervalBytes: number;
  /** max.message.bytes: the largest record batch accepted, header included. */
  maxMessageBytes: number;
  /** retention.ms: delete closed segments whose newest record is older than this; -1 keeps them. */
  retentionMs: number;
  /** retention.bytes: delete the oldest closed segments while the log is larger than this; -1 keeps them. */
  retentionBytes: number;
  /** message.timestamp.type: LogAppendTime stamps the broker's clock into each batch. */
  messageTimestampType: TimestampType;
  /** flush.messages: fsync once this many messages are unflushed. */
  flushMessages: number;
  /** flush.ms: fsync when the last flush is this old (checked by the log manager's flush timer). */
  flushMs: number;
  /** file.delete.delay.ms: deleted segments are renamed *.deleted and unlinked this much later; 0 = at once. */
  fileDeleteDelayMs?: number;
  // The log cleaner's settings (see log-cleaner.ts). Optional so that configs built before
  // compaction existed keep working; absent means Kafka's default.
  /** cleanup.policy: delete (retention), compact (the log cleaner), or both. Default delete. */
  cleanupPolicy?: readonly CleanupPolicy[];
  /** delete.retention.ms: how long a tombstone stays after the cleaner passed its segment. */
  deleteRetentionMs?: number;
  /** min.compaction.lag.ms: segments holding records younger than this are not cleaned. */
  minCompactionLagMs?: number;
  /** max.compaction.lag.ms: a log whose dirty records are older than this is cleaned whatever its ratio. */
  maxCompactionLagMs?: number;
  /** min.cleanable.dirty.ratio: dirty bytes / (clean + dirty bytes) at which a log is worth cleaning. */
  minCleanableDirtyRatio?: number;
}

/** Kafka 2.7's defaults of the cleaner settings a LogConfig may leave out. */
export const DEFAULT_CLEANER_CONFIG = Object.freeze({
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  minCleanableDirtyRatio: 0.5,
});

/** cleanup.policy includes compact: the log cleaner keeps the latest record per key. */
export function isCompacted(config: Readonly<LogConfig>): boolean {
  return config.cleanupPolicy?.includes('compact') === true;
}

/** cleanup.policy includes delete (the default): retention by time and size applies. */
export function hasDeletePolicy(config: Readonly<LogConfig>): boolean {
  return config.cleanupPolicy === undefined || config.cleanupPolicy.includes('delete');
}

/** Kafka's "never" for flush.messages and flush.ms (Long.MAX_VALUE, capped to a safe integer). */
export const NEVER = Number.MAX_SAFE_INTEGER;

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  maxMessageBytes: 1048588,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  messageTimestampType: 'CreateTime',
  flushMessages: NEVER,
  flushMs: NEVER,
  fileDeleteDelayMs: 60_000,
});

const INT32_MAX = 2 ** 31 - 1;

/** Throws a RangeError naming the first setting that cannot work. */
export function validateLogConfig(config: LogConfig): void {
  const positive = (name: string, value: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (!Number.isSafeInteger(value) || value < 1 || value > max) {
      throw new RangeError(`log config ${name}=${value} must be an integer in [1, ${max}]`);
    }
  };
  // An index position is an int32, so a segment can be no larger; a segment must hold its header.
  positive('segment.bytes', config.segmentBytes, INT32_MAX);
  if (config.segmentBytes < 14)
    throw new RangeError(`log config segment.bytes=${config.segmentBytes} is too small`);
  positive('segment.ms', config.segmentMs);
  positive('segment.index.bytes', config.segmentIndexBytes, INT32_MAX);
  // The time index keeps its last slot for the entry written on roll, so it needs two.
  if (config.segmentIndexBytes < 24) {
    throw new RangeError(`log config segment.index.bytes=${config.segmentIndexBytes} must be at least 24`);
  }
  if (!Number.isSafeInteger(config.indexIntervalBytes) || config.indexIntervalBytes < 0) {
    throw new RangeError(`log config index.interval.bytes=${config.indexIntervalBytes} must be >= 0`);
  }
  positive('max.message.bytes', config.maxMessageBytes, INT32_MAX);
  for (const [name, value] of [
    ['retention.ms', config.retentionMs],
    ['retention.bytes', config.retentionBytes],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < -1) {
      throw new RangeError(`log config ${name}=${value} must be -1 or a non-negative integer`);
    }
  }
  if (config.messageTimestampType !== 'CreateTime' && config.messageTimestampType !== 'LogAppendTime') {
    throw new RangeError(
      `log config message.timestamp.type=${String(config.messageTimestampType)} is unknown`,
    );
  }
  positive('flush.messages', config.flushMessages);
  positive('flush.ms', config.flushMs);
  const deleteDelay = config.fileDeleteDelayMs ?? 0;
  if (!Number.isSafeInteger(deleteDelay) || deleteDelay < 0) {
    throw new RangeError(`log config file.delete.delay.ms=${deleteDelay} must be >= 0`);
  }
  for (const policy of config.cleanupPolicy ?? []) {
    if (policy !== 'compact' && policy !== 'delete')
      throw new RangeError(`log config cleanup.policy=${String(policy)} is unknown`);
  }
  for (const [name, value] of [
    ['delete.retention.ms', config.deleteRetentionMs],
    ['min.compaction.lag.ms', config.minCompactionLagMs],
    ['max.compaction.lag.ms', config.maxCompactionLagMs],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new RangeError(`log config ${name}=${value} must be a non-negative integer`);
    }
  }
  const ratio = config.minCleanableDirtyRatio;
  if (ratio !== undefined && !(ratio >= 0 && ratio <= 1)) {
    throw new RangeError(`log config min.cleanable.dirty.ratio=${ratio} must be in [0, 1]`);
  }
}
