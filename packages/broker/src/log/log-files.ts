// Names on disk, as Kafka lays them out: segment files named by their 20-digit base offset, partition
// directories named <topic>-<partition>, and the per-log-dir checkpoint and marker files. Everything
// that builds or parses a file name in the log package goes through here.
import { join } from 'node:path';

export const LOG_FILE_SUFFIX = '.log';
export const INDEX_FILE_SUFFIX = '.index';
export const TIME_INDEX_FILE_SUFFIX = '.timeindex';
/** A segment file renamed on deletion and unlinked after file.delete.delay.ms. */
export const DELETED_FILE_SUFFIX = '.deleted';
/** Written next to a file and renamed over it (checkpoints, rebuilt indexes). */
export const TEMP_FILE_SUFFIX = '.tmp';
/** A segment file the log cleaner is writing; discarded when found at load (the clean did not commit). */
export const CLEANED_FILE_SUFFIX = '.cleaned';
/** A cleaned segment file ready to replace the original; a .log.swap found at load is swapped in. */
export const SWAP_FILE_SUFFIX = '.swap';
/** Producer state as of the offset in its name (Kafka's ProducerStateManager snapshot). */
export const PRODUCER_SNAPSHOT_SUFFIX = '.snapshot';
/** A partition directory renamed on deletion, then removed: <topic>-<partition>.<id>-delete. */
export const DELETE_DIR_SUFFIX = '-delete';

export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const REPLICATION_CHECKPOINT_FILE = 'replication-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';
/** Per log dir: "topic partition offset" lines, the offset up to which each compacted log was cleaned. */
export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

const OFFSET_DIGITS = 20;
const SEGMENT_FILE_PATTERN = /^(\d{20})\.(log|index|timeindex)$/;
const PRODUCER_SNAPSHOT_PATTERN = /^(\d{20})\.snapshot$/;
const PARTITION_DIR_PATTERN = /^(.+)-(\d+)$/;

/** 00000000000000000042 for 42. */
export function offsetFileStem(offset: number): string {
  return String(offset).padStart(OFFSET_DIGITS, '0');
}

export function segmentFilePaths(
  dir: string,
  baseOffset: number,
): { log: string; index: string; timeIndex: string } {
  const stem = join(dir, offsetFileStem(baseOffset));
  return {
    log: stem + LOG_FILE_SUFFIX,
    index: stem + INDEX_FILE_SUFFIX,
    timeIndex: stem + TIME_INDEX_FILE_SUFFIX,
  };
}

/** The base offset and kind of a segment file name, or null for any other name. */
export function parseSegmentFileName(
  name: string,
): { baseOffset: number; kind: 'log' | 'index' | 'timeindex' } | null {
  const match = SEGMENT_FILE_PATTERN.exec(name);
  if (match === null) return null;
  const baseOffset = Number(match[1]);
  if (!Number.isSafeInteger(baseOffset)) return null;
  return { baseOffset, kind: match[2] as 'log' | 'index' | 'timeindex' };
}

export function producerSnapshotPath(dir: string, offset: number): string {
  return join(dir, offsetFileStem(offset) + PRODUCER_SNAPSHOT_SUFFIX);
}

/** The offset of a producer snapshot file name, or null for any other name. */
export function parseProducerSnapshotFileName(name: string): number | null {
  const match = PRODUCER_SNAPSHOT_PATTERN.exec(name);
  const offset = match === null ? Number.NaN : Number(match[1]);
  return Number.isSafeInteger(offset) ? offset : null;
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Topic and partition of a directory named <topic>-<partition>; null for other names. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const match = PARTITION_DIR_PATTERN.exec(name);
  if (match === null) return null;
  const partition = Number(match[2]);
  if (!Number.isSafeInteger(partition) || partition > 2 ** 31 - 1) return null;
  return { topic: match[1]!, partition };
}

/** The key a log is known by in maps and checkpoint files. */
export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
