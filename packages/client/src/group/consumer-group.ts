// A consumer in a consumer group (Kafka's KafkaConsumer with subscribe()): the group's coordinator
// spreads the subscribed topics' partitions over its members, and each member iterates over the
// records of its own. This class ties the parts together on one poll path, the iteration: it rejoins
// when membership asks, finds positions, drains the fetcher, hands out records and auto-commits.
// Timers (heartbeats) only set flags and wake the poll; state changes happen on the poll path.
import pino from 'pino';
import type { ConnectionPool } from '../connection-pool.ts';
import { ClientClosedError, CommitFailedError, IllegalStateError, isRetriable } from '../errors.ts';
import type { ClusterMetadata } from '../metadata.ts';
import type { ConsumedRecord } from '../partition-consumer.ts';
import { delay } from '../retry.ts';
import {
  type ConsumerGroupOptions,
  type ResolvedGroupOptions,
  resolveGroupOptions,
  type TopicPartition,
  type TopicPartitionOffset,
} from './consumer-group-options.ts';
import { CoordinatorConnection } from './coordinator-connection.ts';
import { type FetchedChunk, Fetcher } from './fetcher.ts';
import { Membership, type MembershipEvent } from './membership.ts';
import { OffsetCommitter } from './offset-committer.ts';
import { PositionResolver } from './position-resolver.ts';
import { SubscriptionState } from './subscription-state.ts';

export type CommitCallback = (err: Error | null, offsets: readonly TopicPartitionOffset[]) => void;

export interface CommittedOffset extends TopicPartition {
  /** undefined: the group has committed nothing for the partition. */
  offset: number | undefined;
  metadata: string;
}

const log = pino({ level: process.env.SLUICE_CLIENT_LOG_LEVEL ?? 'silent' }).child({
  component: 'consumer-group',
});

/** Bound on asynchronous commits awaiting their answer; commitAsync() beyond it reports an error. */
const MAX_PENDING_COMMITS = 64;

export class ConsumerGroup implements AsyncIterable<ConsumedRecord> {
  readonly groupId: string;
  readonly #options: ResolvedGroupOptions;
  readonly #metadata: ClusterMetadata;
  readonly #state = new SubscriptionState();
  readonly #committer: OffsetCommitter;
  readonly #membership: Membership;
  readonly #fetcher: Fetcher;
  readonly #positions: PositionResolver;
  readonly #abort = new AbortController();
  readonly #pendingCommits = new Set<Promise<void>>();

  #wake = Promise.withResolvers<void>();
  /** The partitions were lost (fenced, or left after max.poll.interval.ms): hand out nothing more. */
  #lost = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #iterating = false;
  /** The topics this member subscribes to now (for a pattern: the matching topics at the last scan). */
  #topics: string[];
  #lastMetadataScanMs = Date.now();
  #nextAutoCommitMs = 0;

  constructor(pool: ConnectionPool, metadata: ClusterMetadata, options: ConsumerGroupOptions) {
    const resolved = resolveGroupOptions(options);
    this.#options = resolved;
    this.groupId = resolved.groupId;
    this.#metadata = metadata;
    this.#topics = resolved.topics instanceof RegExp ? [] : [...resolved.topics].sort();
    const coordinator = new CoordinatorConnection(pool, metadata, resolved);
    this.#committer = new OffsetCommitter(coordinator, resolved);
    this.#membership = new Membership(
      coordinator,
      metadata,
      { ...resolved, assignorNames: resolved.partitionAssignmentStrategy },
      (event) => this.#onMembershipEvent(event),
    );
    this.#fetcher = new Fetcher(pool, metadata, this.#state, resolved);
    this.#positions = new PositionResolver(pool, metadata, this.#committer, this.#state, resolved);
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumedRecord> {
    return this.records()[Symbol.asyncIterator]();
  }

  /**
   * The records of this member's partitions, one at a time, in offset order per partition, until
   * close(). Joins the group on the first step. A record counts as consumed (for auto-commit and
   * commitSync()) once the application asks for the next one.
   */
  async *records(): AsyncGenerator<ConsumedRecord> {
    this.#startIteration();
    try {
      for (;;) {
        const chunk = await this.#poll();
        if (!chunk) return;
        let cursor = chunk.fromOffset;
        let complete = true;
        // One lookup and one clock read per record at most: this loop is the consumer's hot path.
        const position = this.#state.cursor(chunk.topic, chunk.partition);
        let nowMs = Date.now();
        for (const record of chunk.records) {
          if (this.#lost || chunk.epoch !== this.#state.epoch || !position?.at(cursor)) {
            complete = false;
            break;
          }
          cursor = record.offset + 1;
          position.moveTo(cursor);
          this.#membership.notePoll(true, nowMs);
          yield record;
          nowMs = Date.now();
          this.#membership.notePoll(false, nowMs);
          if (this.#closed) return;
          this.#maybeAutoCommit(nowMs);
        }
        if (complete && this.#stillValid(chunk, cursor)) {
          this.#state.seek(chunk.topic, chunk.partition, chunk.nextOffset);
        }
      }
    } finally {
      this.#endIteration();
    }
  }

  /** Records a partition and fetch at a time (at most max.poll.records each), until close(). */
  async *batches(): AsyncGenerator<ConsumedRecord[]> {
    this.#startIteration();
    try {
      for (;;) {
        const chunk = await this.#poll();
        if (!chunk) return;
        if (!this.#stillValid(chunk, chunk.fromOffset)) continue;
        this.#state.seek(chunk.topic, chunk.partition, chunk.nextOffset);
        if (chunk.records.length === 0) continue;
        this.#membership.notePoll(true);
        yield chunk.records;
        this.#membership.notePoll(false);
        if (this.#closed) return;
        this.#maybeAutoCommit();
      }
    } finally {
      this.#endIteration();
    }
  }

  /** The partitions this member owns now. */
  assignment(): TopicPartition[] {
    return this.#state.assigned();
  }

  /** The topics subscribed to (for a pattern: those matching at the last metadata refresh). */
  subscription(): string[] {
    return [...this.#topics];
  }

  /** The offset of the next record to hand out for an owned partition (undefined: not known yet). */
  position(topic: string, partition: number): number | undefined {
    this.#assertOwned(topic, partition);
    return this.#state.position(topic, partition);
  }

  /** The next record handed out for this owned partition is at `offset`. */
  seek(topic: string, partition: number, offset: number): void {
    this.#assertOwned(topic, partition);
    this.#state.seek(topic, partition, offset);
  }

  /** Stops handing out (and fetching) records of these owned partitions until resume(). */
  pause(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      this.#assertOwned(topic, partition);
      this.#state.setPaused(topic, partition, true);
    }
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) {
      this.#assertOwned(topic, partition);
      this.#state.setPaused(topic, partition, false);
    }
    this.#wakeUp();
  }

  paused(): TopicPartition[] {
    return this.#state.paused();
  }

  /** The group's committed offsets of these partitions (any partitions, owned or not). */
  async committed(partitions: readonly TopicPartition[]): Promise<CommittedOffset[]> {
    this.#assertOpen();
    const found = await this.#committer.fetch(partitions, {
      deadlineMs: Date.now() + this.#options.defaultApiTimeoutMs,
    });
    return partitions.map(({ topic, partition }) => {
      const entry = found.get(`${topic}:${partition}`);
      return { topic, partition, offset: entry?.offset, metadata: entry?.metadata ?? '' };
    });
  }

  /**
   * Commits `offsets` (the offset of the next record to read, per partition), or the position of every
   * owned partition: everything handed out so far. Rejects with CommitFailedError when this member
   * no longer owns its partitions in the group's current generation.
   */
  async commitSync(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    this.#assertOpen();
    await this.#commit(offsets ?? this.#state.positions(), Date.now() + this.#options.defaultApiTimeoutMs);
  }

  /** As commitSync() without waiting; the outcome goes to `callback` (errors are logged without one). */
  commitAsync(offsets?: readonly TopicPartitionOffset[], callback?: CommitCallback): void {
    this.#assertOpen();
    this.#commitInBackground(offsets ?? this.#state.positions(), callback);
  }

  /**
   * Stops fetching, commits what was handed out (with enable.auto.commit), calls onPartitionsRevoked,
   * leaves the group (so it rebalances at once rather than after session.timeout.ms), and resolves.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    // Ends the iteration: a fetch, a JoinGroup or a wait in flight is cancelled.
    this.#abort.abort(new ClientClosedError('consumer group'));
    this.#wakeUp();
    const deadlineMs = Date.now() + this.#options.defaultApiTimeoutMs;
    await Promise.allSettled(this.#pendingCommits);
    const owned = this.#state.assigned();
    if (this.#membership.commitGeneration && !this.#lost) {
      if (this.#options.enableAutoCommit) {
        await this.#commit(this.#state.uncommitted(), deadlineMs).catch((err: unknown) => {
          log.warn({ err }, 'commit on close failed');
        });
      }
      if (owned.length > 0) {
        await Promise.resolve(this.#options.rebalanceListener.onPartitionsRevoked?.(owned)).catch(
          (err: unknown) => log.warn({ err }, 'onPartitionsRevoked failed on close'),
        );
      }
    }
    await this.#membership.close(deadlineMs);
    this.#state.assign([]);
    this.#fetcher.clear();
  }

  #startIteration(): void {
    this.#assertOpen();
    if (this.#iterating) throw new IllegalStateError('The consumer group is iterated already');
    this.#iterating = true;
  }

  #endIteration(): void {
    this.#iterating = false;
    // An application that stopped iterating no longer polls: max.poll.interval.ms counts from here.
    this.#membership.notePoll(true);
  }

  /** The next chunk of records to hand out; undefined once closed. Rejoins, finds positions, fetches. */
  async #poll(): Promise<FetchedChunk | undefined> {
    const signal = this.#abort.signal;
    try {
      for (;;) {
        if (this.#closed) return undefined;
        this.#membership.notePoll(false);
        this.#maybeAutoCommit();
        await this.#maybeScanMetadata();
        if (this.#membership.rejoinNeeded) {
          await this.#rebalance(signal);
          continue;
        }
        try {
          await this.#positions.resolveMissing(signal);
        } catch (err) {
          if (!isRetriable(err) || this.#closed) throw err;
          log.debug({ err }, 'finding positions failed; retrying');
          await this.#waitForWake(this.#options.retryBackoffMs);
          continue;
        }
        // No await from here to the wait below: an event between the checks and the wait would be lost.
        if (this.#closed || this.#membership.rejoinNeeded) continue;
        const wake = this.#wake.promise;
        const chunk = this.#fetcher.drain(signal);
        if (chunk) {
          if (chunk.records.length > 0) return chunk;
          if (this.#stillValid(chunk, chunk.fromOffset)) {
            this.#state.seek(chunk.topic, chunk.partition, chunk.nextOffset);
          }
          continue;
        }
        const waited = await Promise.race([this.#fetcher.fetchSome(signal), wake.then(() => true)]);
        if (!waited) await this.#waitForWake(Math.max(this.#options.retryBackoffMs, 10), wake);
      }
    } catch (err) {
      if (this.#closed) return undefined;
      throw err;
    }
  }

  /** Gives up the owned partitions and joins the group again (eager rebalancing, as Kafka 2.x). */
  async #rebalance(signal: AbortSignal): Promise<void> {
    const owned = this.#state.assigned();
    const listener = this.#options.rebalanceListener;
    if (this.#lost) {
      if (owned.length > 0) {
        const onLost = listener.onPartitionsLost ?? listener.onPartitionsRevoked;
        await onLost?.call(listener, owned);
      }
    } else if (this.#membership.commitGeneration) {
      if (this.#options.enableAutoCommit) {
        await this.#commit(this.#state.uncommitted(), Date.now() + this.#options.defaultApiTimeoutMs).catch(
          (err: unknown) => {
            log.warn({ err }, 'commit before rebalance failed');
          },
        );
      }
      if (owned.length > 0) await listener.onPartitionsRevoked?.(owned);
    }
    this.#state.assign([]);
    this.#fetcher.clear();
    this.#lost = false;
    if (this.#options.topics instanceof RegExp) {
      // Unreachable metadata keeps the last match; the next scan looks again.
      this.#topics = await this.#matchingTopics(this.#options.topics).catch((err: unknown) => {
        if (!isRetriable(err)) throw err;
        return this.#topics;
      });
    }
    const assigned = await this.#membership.joinAndSync(this.#topics, signal);
    if (this.#closed) return;
    this.#state.assign(assigned);
    this.#fetcher.clear();
    this.#lastMetadataScanMs = Date.now();
    this.#nextAutoCommitMs = Date.now() + this.#options.autoCommitIntervalMs;
    await listener.onPartitionsAssigned?.(this.#state.assigned());
  }

  /**
   * On metadata.max.age.ms: a pattern may match new or fewer topics, and the leader must see topics
   * that grew partitions; either way the group rebalances.
   */
  async #maybeScanMetadata(): Promise<void> {
    if (Date.now() - this.#lastMetadataScanMs < this.#options.metadataMaxAgeMs) return;
    this.#lastMetadataScanMs = Date.now();
    try {
      const pattern = this.#options.topics;
      if (pattern instanceof RegExp) {
        const matching = await this.#matchingTopics(pattern);
        if (matching.join('\n') !== this.#topics.join('\n')) {
          log.debug({ before: this.#topics, after: matching }, 'subscribed pattern matches other topics');
          this.#topics = matching;
          this.#membership.requestRejoin();
          return;
        }
      }
      const counts = this.#membership.assignedPartitionCounts;
      if (counts && counts.size > 0) {
        await this.#metadata.refresh([...counts.keys()]);
        for (const [topic, count] of counts) {
          const now = this.#metadata.cachedTopic(topic)?.partitions.length ?? 0;
          if (now !== count) this.#membership.requestRejoin();
        }
      }
    } catch (err) {
      log.debug({ err }, 'metadata refresh failed; trying again later');
    }
  }

  async #matchingTopics(pattern: RegExp): Promise<string[]> {
    const topics = await this.#metadata.allTopics();
    return topics
      .filter((t) => !t.isInternal && !t.markedForDeletion && matches(pattern, t.name))
      .map((t) => t.name)
      .sort();
  }

  #maybeAutoCommit(nowMs = Date.now()): void {
    if (!this.#options.enableAutoCommit || nowMs < this.#nextAutoCommitMs) return;
    if (!this.#membership.generation || this.#lost) return;
    this.#nextAutoCommitMs = nowMs + this.#options.autoCommitIntervalMs;
    const offsets = this.#state.uncommitted();
    // A commit still in flight carries older positions; the next interval sends newer ones.
    if (offsets.length > 0 && this.#pendingCommits.size < MAX_PENDING_COMMITS) {
      this.#commitInBackground(offsets, undefined);
    }
  }

  #commitInBackground(offsets: readonly TopicPartitionOffset[], callback: CommitCallback | undefined): void {
    if (this.#pendingCommits.size >= MAX_PENDING_COMMITS) {
      const err = new IllegalStateError(`${MAX_PENDING_COMMITS} asynchronous commits are in flight already`);
      if (callback) queueMicrotask(() => callback(err, offsets));
      else log.warn({ err }, 'asynchronous commit refused');
      return;
    }
    const commit = this.#commit(offsets, Date.now() + this.#options.defaultApiTimeoutMs).then(
      () => callback?.(null, offsets),
      (err: Error) => {
        if (callback) callback(err, offsets);
        else log.warn({ err }, 'asynchronous commit failed');
      },
    );
    this.#pendingCommits.add(commit);
    void commit.finally(() => this.#pendingCommits.delete(commit));
  }

  async #commit(offsets: readonly TopicPartitionOffset[], deadlineMs: number): Promise<void> {
    if (offsets.length === 0) return;
    const generation = this.#lost ? undefined : this.#membership.commitGeneration;
    if (!generation) {
      throw new CommitFailedError(
        'Commit failed: this consumer is not part of an active generation of the group (it was ' +
          'removed, or left after taking longer than max.poll.interval.ms between two records)',
      );
    }
    await this.#committer.commit(offsets, generation, {
      deadlineMs,
      onFenced: (code) => this.#membership.fenced(code),
    });
    this.#state.markCommitted(offsets);
  }

  /** Whether the rest of a chunk may still be handed out: same assignment, position, not paused or lost. */
  #stillValid(chunk: FetchedChunk, cursor: number): boolean {
    return (
      !this.#lost &&
      chunk.epoch === this.#state.epoch &&
      this.#state.position(chunk.topic, chunk.partition) === cursor &&
      !this.#state.isPaused(chunk.topic, chunk.partition)
    );
  }

  #onMembershipEvent(event: MembershipEvent): void {
    if (event === 'lost') this.#lost = true;
    this.#wakeUp();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = Promise.withResolvers<void>();
    wake.resolve();
  }

  async #waitForWake(ms: number, wake = this.#wake.promise): Promise<void> {
    await Promise.race([delay(ms, this.#abort.signal), wake]);
  }

  #assertOwned(topic: string, partition: number): void {
    if (!this.#state.isAssigned(topic, partition)) {
      throw new IllegalStateError(`${topic}-${partition} is not assigned to this consumer`);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClientClosedError('consumer group');
  }
}

/** A pattern matches a whole topic name, as Java's Pattern.matcher(topic).matches(). */
function matches(pattern: RegExp, topic: string): boolean {
  const whole = new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, ''));
  return whole.test(topic);
}
