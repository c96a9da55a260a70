// What this member owns and how far it has got, without any I/O: the assigned partitions, each one's
// position (the offset of the next record to hand to the application), paused flags, and the offsets
// last committed. Every assignment bumps an epoch, so fetches and batches of an older assignment are
// recognised and dropped: no record of a revoked partition reaches the application.
import type { TopicPartition, TopicPartitionOffset } from './consumer-group-options.ts';

interface PartitionState {
  topic: string;
  partition: number;
  /** undefined: to be found (committed offset, else auto.offset.reset). */
  position: number | undefined;
  paused: boolean;
  /** The position fell outside the log: auto.offset.reset decides, not the committed offset. */
  outOfRange: boolean;
  /** The offset this member last committed or fetched as committed; undefined: none known. */
  committed: number | undefined;
}

/** See SubscriptionState.cursor. */
export interface PartitionCursor {
  at(offset: number): boolean;
  moveTo(offset: number): void;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

export class SubscriptionState {
  readonly #partitions = new Map<string, PartitionState>();
  #epoch = 0;

  /** Bumped by every assign(); results tagged with an older epoch belong to a revoked assignment. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Replaces the assignment (eager rebalancing: positions are found again from committed offsets). */
  assign(partitions: readonly TopicPartition[]): void {
    this.#partitions.clear();
    for (const { topic, partition } of partitions) {
      this.#partitions.set(partitionKey(topic, partition), {
        topic,
        partition,
        position: undefined,
        paused: false,
        outOfRange: false,
        committed: undefined,
      });
    }
    this.#epoch++;
  }

  assigned(): TopicPartition[] {
    return [...this.#partitions.values()]
      .map(({ topic, partition }) => ({ topic, partition }))
      .sort(byTopicPartition);
  }

  isAssigned(topic: string, partition: number): boolean {
    return this.#partitions.has(partitionKey(topic, partition));
  }

  position(topic: string, partition: number): number | undefined {
    return this.#partitions.get(partitionKey(topic, partition))?.position;
  }

  /**
   * A handle on one assigned partition for handing a chunk out record by record: `at(offset)` says the
   * position is still `offset` (same assignment, not paused, not sought elsewhere) and `moveTo` moves
   * it, each without a lookup. Undefined when the partition is not assigned.
   */
  cursor(topic: string, partition: number): PartitionCursor | undefined {
    const state = this.#partitions.get(partitionKey(topic, partition));
    if (!state) return undefined;
    const epoch = this.#epoch;
    return {
      at: (offset) => this.#epoch === epoch && state.position === offset && !state.paused,
      moveTo: (offset) => {
        state.position = offset;
        state.outOfRange = false;
      },
    };
  }

  /** Moves the position; returns false when the partition is not assigned. */
  seek(topic: string, partition: number, offset: number): boolean {
    const state = this.#partitions.get(partitionKey(topic, partition));
    if (!state) return false;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`Bad offset ${offset}`);
    state.position = offset;
    state.outOfRange = false;
    return true;
  }

  /** Forgets a position outside the log (OFFSET_OUT_OF_RANGE): auto.offset.reset finds the next. */
  outOfRange(topic: string, partition: number): void {
    const state = this.#partitions.get(partitionKey(topic, partition));
    if (!state) return;
    state.position = undefined;
    state.outOfRange = true;
  }

  /** Assigned partitions whose position is still to be found; `outOfRange`: by auto.offset.reset only. */
  missingPositions(): Array<TopicPartition & { outOfRange: boolean }> {
    return [...this.#partitions.values()]
      .filter((p) => p.position === undefined)
      .map(({ topic, partition, outOfRange }) => ({ topic, partition, outOfRange }));
  }

  setPaused(topic: string, partition: number, paused: boolean): boolean {
    const state = this.#partitions.get(partitionKey(topic, partition));
    if (!state) return false;
    state.paused = paused;
    return true;
  }

  isPaused(topic: string, partition: number): boolean {
    return this.#partitions.get(partitionKey(topic, partition))?.paused ?? false;
  }

  paused(): TopicPartition[] {
    return [...this.#partitions.values()]
      .filter((p) => p.paused)
      .map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Partitions to fetch from: assigned, not paused, position known; with the position to fetch at. */
  fetchable(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const p of this.#partitions.values()) {
      if (!p.paused && p.position !== undefined) {
        out.push({ topic: p.topic, partition: p.partition, offset: p.position });
      }
    }
    return out;
  }

  /**
   * Positions to commit: every assigned partition whose position moved past its last commit (Kafka
   * commits the position after the last record handed out, so a restart goes on with the next one).
   */
  uncommitted(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const p of this.#partitions.values()) {
      if (p.position !== undefined && p.position !== p.committed) {
        out.push({ topic: p.topic, partition: p.partition, offset: p.position });
      }
    }
    return out.sort(byTopicPartition);
  }

  /** Every known position of the assignment (what commitSync() with no argument commits). */
  positions(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const p of this.#partitions.values()) {
      if (p.position !== undefined) out.push({ topic: p.topic, partition: p.partition, offset: p.position });
    }
    return out.sort(byTopicPartition);
  }

  /** Records a commit that the coordinator accepted (ignored for partitions no longer owned). */
  markCommitted(offsets: readonly TopicPartitionOffset[]): void {
    for (const { topic, partition, offset } of offsets) {
      const state = this.#partitions.get(partitionKey(topic, partition));
      if (state) state.committed = offset;
    }
  }

  committed(topic: string, partition: number): number | undefined {
    return this.#partitions.get(partitionKey(topic, partition))?.committed;
  }
}

export function byTopicPartition(a: TopicPartition, b: TopicPartition): number {
  return a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1;
}
