// The log manager owns the log dirs (log.dirs): it loads every <topic>-<partition> directory at start
// (recovering logs when a dir lacks the .kafka_cleanshutdown marker), creates and deletes partition
// logs, writes the per-dir checkpoint files (recovery points, high watermarks, log start offsets)
// periodically and at close, runs the retention and flush timers and the log cleaner's loop (for
// compacted topics, log.cleaner.enable and log.cleaner.backoff.ms), and takes a log dir offline when an
// I/O error hits any log in it: that dir's logs then answer KAFKA_STORAGE_ERROR while the other dirs
// keep serving. meta.properties is the broker's business, not this module's.
//
// Bounds: closed segments' file descriptors and index memory are shared budgets across all logs (see
// FileHandlePool and IndexMemoryBudget); loading runs a bounded number of logs at a time.
import { randomBytes } from 'node:crypto';
import { access, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, KafkaError } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { PartitionOffset } from './checkpoint-file.ts';
import {
  CheckpointFormatError,
  readOffsetCheckpoint,
  removeIfExists,
  syncDirectory,
  writeOffsetCheckpoint,
} from './checkpoint-file.ts';
import { DEFAULT_MAX_OPEN_SEGMENT_FILES, FileHandlePool } from './file-handle-pool.ts';
import { DEFAULT_INDEX_MEMORY_BYTES, IndexMemoryBudget } from './index-memory-budget.ts';
import type { CleanResult } from './log-cleaner.ts';
import { DEFAULT_CLEANER_BACKOFF_MS, LogCleaner } from './log-cleaner.ts';
import type { LogConfig } from './log-config.ts';
import { validateLogConfig } from './log-config.ts';
import {
  CLEAN_SHUTDOWN_FILE,
  DELETE_DIR_SUFFIX,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  parsePartitionDirName,
  partitionDirName,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_CHECKPOINT_FILE,
  topicPartitionKey,
} from './log-files.ts';
import { PartitionLog } from './partition-log.ts';

/** How often flush.ms is checked when not given (Kafka's log.flush.scheduler.interval.ms). */
export const DEFAULT_FLUSH_CHECK_INTERVAL_MS = 1000;
/** Logs loaded at the same time at start (Kafka's num.recovery.threads.per.data.dir, over all dirs). */
export const DEFAULT_LOAD_CONCURRENCY = 8;

export interface LogManagerOptions {
  logDirs: readonly string[];
  defaultConfig: LogConfig;
  logger: Logger;
  retentionCheckIntervalMs: number;
  flushCheckpointIntervalMs: number;
  now?: () => number;
  flushCheckIntervalMs?: number;
  maxOpenSegmentFiles?: number;
  indexMemoryBytes?: number;
  loadConcurrency?: number;
  /** Told once per dir when an I/O error takes it offline. */
  onLogDirFailure?: (dir: string, error: Error) => void;
  /** log.cleaner.enable: run the background cleaner for compacted topics (default true). */
  cleanerEnable?: boolean;
  /** log.cleaner.backoff.ms: the pause between two passes of the cleaner (default 15000). */
  cleanerBackoffMs?: number;
}

interface HostedLog {
  log: PartitionLog;
  logDir: string;
}

interface LogDirState {
  path: string;
  offline: Error | null;
}

function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

function storageError(message: string, cause?: unknown): KafkaError {
  return new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, message, cause === undefined ? undefined : { cause });
}

/** Runs `tasks` with at most `limit` at a time; rejects with the first failure after all settle. */
async function runBounded(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failure !== null) throw failure;
}

export class LogManager {
  readonly #options: LogManagerOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #handles: FileHandlePool;
  readonly #indexBudget: IndexMemoryBudget;
  readonly #dirs: LogDirState[];
  readonly #logs = new Map<string, HostedLog>();
  readonly #creating = new Map<string, Promise<PartitionLog>>();
  readonly #topicConfigs = new Map<string, LogConfig>();
  #defaultConfig: LogConfig;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #running = new Set<Promise<void>>();
  readonly #cleaner: LogCleaner;
  #closed = false;

  private constructor(options: LogManagerOptions) {
    validateLogConfig(options.defaultConfig);
    if (options.logDirs.length === 0) throw new RangeError('log.dirs must name at least one directory');
    if (new Set(options.logDirs).size !== options.logDirs.length)
      throw new RangeError('log.dirs names a directory twice');
    this.#options = options;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#defaultConfig = { ...options.defaultConfig };
    this.#handles = new FileHandlePool(options.maxOpenSegmentFiles ?? DEFAULT_MAX_OPEN_SEGMENT_FILES);
    this.#indexBudget = new IndexMemoryBudget(options.indexMemoryBytes ?? DEFAULT_INDEX_MEMORY_BYTES);
    this.#dirs = options.logDirs.map((path) => ({ path, offline: null }));
    this.#cleaner = new LogCleaner({
      logger: options.logger.child({ component: 'log-cleaner' }),
      now: this.#now,
    });
  }

  /** Loads every log in every log dir (recovering after an unclean stop) and starts the timers. */
  static async open(options: LogManagerOptions): Promise<LogManager> {
    const manager = new LogManager(options);
    await manager.#loadAll();
    manager.#startTimers();
    return manager;
  }

  // -------------------------------------------------------------------------------------------------
  // Queries

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.#logs.get(topicPartitionKey(topic, partition))?.log;
  }

  allLogs(): Iterable<PartitionLog> {
    return Array.from(this.#logs.values(), (hosted) => hosted.log);
  }

  /** The log dir holding a partition's log. */
  logDirOf(topic: string, partition: number): string | undefined {
    return this.#logs.get(topicPartitionKey(topic, partition))?.logDir;
  }

  liveLogDirs(): string[] {
    return this.#dirs.filter((dir) => dir.offline === null).map((dir) => dir.path);
  }

  offlineLogDirs(): string[] {
    return this.#dirs.filter((dir) => dir.offline !== null).map((dir) => dir.path);
  }

  /** Open descriptors of closed segments and memory of their loaded indexes (for metrics and tests). */
  get resourceUsage(): { openSegmentFiles: number; indexMemoryBytes: number } {
    return { openSegmentFiles: this.#handles.openCount, indexMemoryBytes: this.#indexBudget.bytes };
  }

  #configFor(topic: string): LogConfig {
    return this.#topicConfigs.get(topic) ?? this.#defaultConfig;
  }

  // -------------------------------------------------------------------------------------------------
  // Loading

  async #loadAll(): Promise<void> {
    const tasks: Array<() => Promise<void>> = [];
    const cleanDirs: LogDirState[] = [];
    for (const dir of this.#dirs) {
      try {
        await mkdir(dir.path, { recursive: true });
        await access(dir.path, 2 /* W_OK */);
        const hadCleanShutdown = await this.#exists(join(dir.path, CLEAN_SHUTDOWN_FILE));
        if (hadCleanShutdown) cleanDirs.push(dir);
        const recoveryPoints = await this.#readCheckpoint(dir.path, RECOVERY_POINT_CHECKPOINT_FILE);
        const logStartOffsets = await this.#readCheckpoint(dir.path, LOG_START_OFFSET_CHECKPOINT_FILE);
        const highWatermarks = await this.#readCheckpoint(dir.path, REPLICATION_CHECKPOINT_FILE);
        for (const entry of await readdir(dir.path, { withFileTypes: true })) {
          if (!entry.isDirectory()) continue;
          if (entry.name.endsWith(DELETE_DIR_SUFFIX)) {
            await rm(join(dir.path, entry.name), { recursive: true, force: true });
            continue;
          }
          const parsed = parsePartitionDirName(entry.name);
          if (parsed === null) {
            this.#logger.warn(
              { dir: dir.path, name: entry.name },
              'ignoring a directory that is not <topic>-<partition>',
            );
            continue;
          }
          const key = topicPartitionKey(parsed.topic, parsed.partition);
          tasks.push(async () => {
            if (dir.offline !== null) return;
            const options = {
              dir: join(dir.path, entry.name),
              topic: parsed.topic,
              partition: parsed.partition,
              config: this.#configFor(parsed.topic),
              logger: this.#logger,
              now: this.#now,
              handles: this.#handles,
              indexBudget: this.#indexBudget,
              hadCleanShutdown,
              onStorageError: (error: Error) => this.#dirFailed(dir, error),
            };
            const recoveryPoint = recoveryPoints.get(key);
            const logStartOffset = logStartOffsets.get(key);
            const highWatermark = highWatermarks.get(key);
            let log: PartitionLog;
            try {
              log = await PartitionLog.open({
                ...options,
                ...(recoveryPoint === undefined ? {} : { recoveryPoint }),
                ...(logStartOffset === undefined ? {} : { logStartOffset }),
                ...(highWatermark === undefined ? {} : { highWatermark }),
              });
            } catch (err) {
              if (!isSystemError(err)) throw err;
              this.#dirFailed(dir, err);
              return;
            }
            const existing = this.#logs.get(key);
            if (existing !== undefined) {
              await log.close();
              throw new Error(`${key} has a log in both ${existing.logDir} and ${dir.path}; remove one`);
            }
            this.#logs.set(key, { log, logDir: dir.path });
          });
        }
      } catch (err) {
        if (!isSystemError(err)) throw err;
        this.#dirFailed(dir, err);
      }
    }
    try {
      await runBounded(tasks, this.#options.loadConcurrency ?? DEFAULT_LOAD_CONCURRENCY);
    } catch (err) {
      await this.#closeLogs();
      throw err;
    }
    // From here on a crash is an unclean stop again.
    for (const dir of cleanDirs) {
      if (dir.offline !== null) continue;
      try {
        await removeIfExists(join(dir.path, CLEAN_SHUTDOWN_FILE));
        await syncDirectory(dir.path);
      } catch (err) {
        if (!isSystemError(err)) throw err;
        this.#dirFailed(dir, err);
      }
    }
    if (this.liveLogDirs().length === 0) {
      await this.#closeLogs();
      throw storageError(
        `no log dir is usable: ${this.#dirs.map((dir) => `${dir.path} (${dir.offline?.message})`).join(', ')}`,
      );
    }
    this.#logger.info(
      { logs: this.#logs.size, liveLogDirs: this.liveLogDirs(), offlineLogDirs: this.offlineLogDirs() },
      'loaded logs',
    );
  }

  async #exists(path: string): Promise<boolean> {
    try {
      await access(path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** A checkpoint's offsets; a malformed file is logged and read as empty, as Kafka does. */
  async #readCheckpoint(dir: string, name: string): Promise<Map<string, number>> {
    try {
      return await readOffsetCheckpoint(join(dir, name));
    } catch (err) {
      if (!(err instanceof CheckpointFormatError)) throw err;
      this.#logger.warn({ err: err.message }, `ignoring malformed ${name}`);
      return new Map();
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Failures

  #dirFailed(dir: LogDirState, error: Error): void {
    if (dir.offline !== null) return;
    dir.offline = error;
    this.#logger.error({ dir: dir.path, err: error.message }, 'log dir is offline after an I/O error');
    for (const hosted of this.#logs.values()) {
      if (hosted.logDir === dir.path) hosted.log.markOffline(error);
    }
    try {
      this.#options.onLogDirFailure?.(dir.path, error);
    } catch (err) {
      this.#logger.error({ err }, 'onLogDirFailure listener threw');
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Creating, configuring, deleting

  /**
   * The partition's log, created in the online log dir with the fewest logs when it has none.
   * `config` (or the topic's config from updateConfig, or the default) becomes the log's config.
   * KAFKA_STORAGE_ERROR when the log's dir is offline or no dir is online.
   */
  async getOrCreateLog(topic: string, partition: number, config?: LogConfig): Promise<PartitionLog> {
    if (this.#closed) throw storageError('the log manager is closed');
    if (config !== undefined) validateLogConfig(config);
    const key = topicPartitionKey(topic, partition);
    const hosted = this.#logs.get(key);
    if (hosted !== undefined) {
      if (hosted.log.isOffline) throw storageError(`the log dir ${hosted.logDir} of ${key} is offline`);
      if (config !== undefined) hosted.log.updateConfig(config);
      return hosted.log;
    }
    const pending = this.#creating.get(key);
    if (pending !== undefined) return pending;
    const creation = this.#create(topic, partition, config ?? this.#configFor(topic)).finally(() => {
      this.#creating.delete(key);
    });
    this.#creating.set(key, creation);
    return creation;
  }

  async #create(topic: string, partition: number, config: LogConfig): Promise<PartitionLog> {
    const online = this.#dirs.filter((dir) => dir.offline === null);
    if (online.length === 0)
      throw storageError(`cannot create ${topic}-${partition}: every log dir is offline`);
    const counts = new Map(online.map((dir) => [dir.path, 0]));
    for (const hosted of this.#logs.values()) {
      const count = counts.get(hosted.logDir);
      if (count !== undefined) counts.set(hosted.logDir, count + 1);
    }
    const dir = online.reduce((best, candidate) =>
      counts.get(candidate.path)! < counts.get(best.path)! ? candidate : best,
    );
    try {
      const log = await PartitionLog.open({
        dir: join(dir.path, partitionDirName(topic, partition)),
        topic,
        partition,
        config,
        logger: this.#logger,
        now: this.#now,
        handles: this.#handles,
        indexBudget: this.#indexBudget,
        hadCleanShutdown: false,
        onStorageError: (error: Error) => this.#dirFailed(dir, error),
      });
      this.#logs.set(topicPartitionKey(topic, partition), { log, logDir: dir.path });
      this.#logger.info({ topic, partition, dir: dir.path }, 'created log');
      return log;
    } catch (err) {
      if (!isSystemError(err)) throw err;
      this.#dirFailed(dir, err);
      throw storageError(`cannot create ${topic}-${partition} in ${dir.path}: ${err.message}`, err);
    }
  }

  /** Applies a topic's config to its logs and to logs created for it later. */
  updateConfig(topic: string, config: LogConfig): void {
    validateLogConfig(config);
    this.#topicConfigs.set(topic, { ...config });
    for (const hosted of this.#logs.values()) {
      if (hosted.log.topic === topic) hosted.log.updateConfig(config);
    }
  }

  /** Closes the partition's log and removes its directory (renamed *-delete first, so a crash finishes the job). */
  async deleteLog(topic: string, partition: number): Promise<void> {
    const key = topicPartitionKey(topic, partition);
    await this.#creating.get(key)?.catch(() => {});
    const hosted = this.#logs.get(key);
    if (hosted === undefined) return;
    this.#logs.delete(key);
    this.#cleaner.forget(topic, partition, hosted.logDir);
    await hosted.log.deleteFiles();
    const dir = this.#dirs.find((candidate) => candidate.path === hosted.logDir)!;
    const doomed = `${hosted.log.dir}.${randomBytes(8).toString('hex')}${DELETE_DIR_SUFFIX}`;
    try {
      await rename(hosted.log.dir, doomed);
      await rm(doomed, { recursive: true, force: true });
      if (dir.offline === null) await this.#writeCheckpoints(dir);
    } catch (err) {
      if (!isSystemError(err)) throw err;
      this.#dirFailed(dir, err);
      throw storageError(`cannot delete ${key} in ${hosted.logDir}: ${err.message}`, err);
    }
    this.#logger.info({ topic, partition, dir: hosted.logDir }, 'deleted log');
  }

  // -------------------------------------------------------------------------------------------------
  // Timers

  #startTimers(): void {
    this.#every(this.#options.retentionCheckIntervalMs, () => this.runRetention());
    this.#every(this.#options.flushCheckpointIntervalMs, () => this.checkpoint());
    this.#every(this.#options.flushCheckIntervalMs ?? DEFAULT_FLUSH_CHECK_INTERVAL_MS, () =>
      this.#flushDue(),
    );
    if (this.#options.cleanerEnable !== false) {
      this.#every(this.#options.cleanerBackoffMs ?? DEFAULT_CLEANER_BACKOFF_MS, async () => {
        await this.runCleaner();
      });
    }
  }

  /** Runs `task` every `intervalMs`, never two at once; close() waits for the one running. */
  #every(intervalMs: number, task: () => Promise<void>): void {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0 || intervalMs > 2 ** 31 - 1) return;
    const schedule = (): void => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (this.#closed) return;
        const run = task()
          .catch((err: unknown) => this.#logger.error({ err }, 'log manager task failed'))
          .finally(() => {
            this.#running.delete(run);
            if (!this.#closed) schedule();
          });
        this.#running.add(run);
      }, intervalMs);
      timer.unref();
      this.#timers.add(timer);
    };
    schedule();
  }

  /** One retention pass over every online log (also run by the timer). */
  async runRetention(): Promise<void> {
    for (const log of this.allLogs()) {
      if (log.isOffline || log.isClosed) continue;
      try {
        await log.deleteOldSegments();
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
      }
    }
  }

  /** One pass of the log cleaner over the online compacted logs (also run by its timer); logs cleaned. */
  runCleaner(): Promise<number> {
    return this.#cleaner.runPass(this.#logs.values());
  }

  /**
   * Cleans one compacted log now, whatever its dirty ratio (min.compaction.lag.ms and the active
   * segment still hold). For tests and tools; KAFKA_STORAGE_ERROR-style KafkaErrors pass through.
   */
  async cleanLogNow(topic: string, partition: number): Promise<CleanResult> {
    const hosted = this.#logs.get(topicPartitionKey(topic, partition));
    if (hosted === undefined) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no log for ${topic}-${partition}`);
    }
    return this.#cleaner.clean(hosted, true);
  }

  /** The cleaner checkpoint of a log: offsets below it have been compacted (0 if never). */
  async cleanerCheckpoint(topic: string, partition: number): Promise<number> {
    const hosted = this.#logs.get(topicPartitionKey(topic, partition));
    return hosted === undefined ? 0 : this.#cleaner.checkpointOf(hosted);
  }

  async #flushDue(): Promise<void> {
    const nowMs = this.#now();
    for (const log of this.allLogs()) {
      try {
        await log.flushIfDue(nowMs);
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
      }
    }
  }

  /** Writes the three checkpoint files of every online log dir (also run by the timer). */
  async checkpoint(): Promise<void> {
    for (const dir of this.#dirs) {
      if (dir.offline !== null) continue;
      try {
        await this.#writeCheckpoints(dir);
      } catch (err) {
        if (!isSystemError(err)) throw err;
        this.#dirFailed(dir, err);
      }
    }
  }

  async #writeCheckpoints(dir: LogDirState): Promise<void> {
    const recoveryPoints: PartitionOffset[] = [];
    const highWatermarks: PartitionOffset[] = [];
    const logStartOffsets: PartitionOffset[] = [];
    for (const hosted of this.#logs.values()) {
      if (hosted.logDir !== dir.path || hosted.log.isOffline) continue;
      const { topic, partition } = hosted.log;
      recoveryPoints.push({ topic, partition, offset: hosted.log.recoveryPoint });
      highWatermarks.push({ topic, partition, offset: hosted.log.highWatermark });
      logStartOffsets.push({ topic, partition, offset: hosted.log.logStartOffset });
    }
    await writeOffsetCheckpoint(join(dir.path, RECOVERY_POINT_CHECKPOINT_FILE), recoveryPoints);
    await writeOffsetCheckpoint(join(dir.path, REPLICATION_CHECKPOINT_FILE), highWatermarks);
    await writeOffsetCheckpoint(join(dir.path, LOG_START_OFFSET_CHECKPOINT_FILE), logStartOffsets);
  }

  // -------------------------------------------------------------------------------------------------
  // Closing

  async #closeLogs(): Promise<void> {
    await Promise.allSettled(Array.from(this.#logs.values(), (hosted) => hosted.log.close()));
  }

  /**
   * Stops the timers, closes every log (flushing it), writes the checkpoints, and marks each dir that
   * is still online with .kafka_cleanshutdown so that the next start skips recovery.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#running]);
    await Promise.allSettled([...this.#creating.values()]);
    await this.#closeLogs();
    for (const dir of this.#dirs) {
      if (dir.offline !== null) continue;
      try {
        await this.#writeCheckpoints(dir);
        const marker = await open(join(dir.path, CLEAN_SHUTDOWN_FILE), 'w');
        await marker.sync();
        await marker.close();
        await syncDirectory(dir.path);
      } catch (err) {
        if (!isSystemError(err)) throw err;
        this.#dirFailed(dir, err);
      }
    }
    this.#logger.info({ offlineLogDirs: this.offlineLogDirs() }, 'log manager closed');
  }
}
