// The public face of the storage engine: what the broker uses. Internals (segments, indexes, pools,
// locks) stay importable from their own modules for tests and tools, but are not part of this API.
export type { PartitionOffset } from './checkpoint-file.ts';
export { readOffsetCheckpoint, writeCheckpointFile, writeOffsetCheckpoint } from './checkpoint-file.ts';
export type { EpochEntry } from './leader-epoch-cache.ts';
export { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache.ts';
export type { CleanResult } from './log-cleaner.ts';
export type { CleanupPolicy, LogConfig, TimestampType } from './log-config.ts';
export {
  DEFAULT_CLEANER_CONFIG,
  DEFAULT_LOG_CONFIG,
  hasDeletePolicy,
  isCompacted,
  NEVER,
  validateLogConfig,
} from './log-config.ts';
export {
  CLEAN_SHUTDOWN_FILE,
  CLEANER_CHECKPOINT_FILE,
  LEADER_EPOCH_CHECKPOINT_FILE,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_CHECKPOINT_FILE,
} from './log-files.ts';
export type { LogManagerOptions } from './log-manager.ts';
export { LogManager } from './log-manager.ts';
export type { LeaderAppendResult, PartitionLogOptions, ReadResult } from './partition-log.ts';
export { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, PartitionLog } from './partition-log.ts';
