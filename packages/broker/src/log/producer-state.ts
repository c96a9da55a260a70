// The idempotent producer's state for one partition (Kafka's ProducerStateManager, without
// transactions): per producer id, its epoch and the metadata of its last 5 appended batches (first and
// last sequence, first and last offset). A batch from an idempotent producer (producerId >= 0) is
// checked before it is appended:
//   - an epoch below the one known: INVALID_PRODUCER_EPOCH (a fenced, older producer);
//   - a batch equal to one of the last 5: a duplicate (a retry whose answer was lost). It is not
//     appended again; the caller answers with the original offsets, as Kafka does;
//   - otherwise its first sequence must follow the last one (or be 0 for a new producer or epoch):
//     a gap is OUT_OF_ORDER_SEQUENCE_NUMBER.
// The partition log owns the state: it builds it from its latest snapshot and the batches after it,
// updates it on every append (leader and follower), snapshots it (producer-snapshots.ts) and drops it
// on truncation. Checks and appends of one partition must not interleave: `serialize` runs them in turn.
import { ErrorCode, KafkaError, type RecordBatchHeader } from '@sluice/protocol';
import type { ProducerSnapshotEntry } from './producer-snapshots.ts';

/** Kafka keeps the metadata of this many batches per producer to recognise retries. */
export const PRODUCER_BATCHES_KEPT = 5;
const MAX_SEQUENCE = 0x7fffffff;

export interface BatchMetadata {
  firstSequence: number;
  lastSequence: number;
  firstOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMetadata[];
}

export type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; batch: BatchMetadata };

function lastSequenceOf(header: RecordBatchHeader): number {
  // Sequences wrap at int32 max, as Kafka's DefaultRecordBatch.incrementSequence does.
  const last = header.baseSequence + header.lastOffsetDelta;
  return last > MAX_SEQUENCE ? last - MAX_SEQUENCE - 1 : last;
}

function nextSequence(sequence: number): number {
  return sequence === MAX_SEQUENCE ? 0 : sequence + 1;
}

export class ProducerStateManager {
  readonly #producers = new Map<number, ProducerEntry>();
  #tail: Promise<unknown> = Promise.resolve();

  get producerCount(): number {
    return this.#producers.size;
  }

  /** Runs `fn` after every earlier call has settled: check and append as one step per partition. */
  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Checks an incoming batch of an idempotent producer; throws KafkaError when it must be refused. */
  check(header: RecordBatchHeader): SequenceCheck {
    if (header.producerId < 0) return { kind: 'append' };
    if (header.baseSequence < 0) {
      throw new KafkaError(
        ErrorCode.INVALID_RECORD,
        `batch of producer ${header.producerId} has no sequence number`,
      );
    }
    const entry = this.#producers.get(header.producerId);
    if (!entry) {
      if (header.baseSequence !== 0) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `producer ${header.producerId} is new to this partition; its first sequence is ${header.baseSequence}, expected 0`,
        );
      }
      return { kind: 'append' };
    }
    if (header.producerEpoch < entry.epoch) {
      throw new KafkaError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `producer ${header.producerId} epoch ${header.producerEpoch} is older than ${entry.epoch}`,
      );
    }
    if (header.producerEpoch > entry.epoch) {
      if (header.baseSequence !== 0) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `producer ${header.producerId} epoch ${header.producerEpoch} starts at sequence ${header.baseSequence}, expected 0`,
        );
      }
      return { kind: 'append' };
    }
    const lastSequence = lastSequenceOf(header);
    const duplicate = entry.batches.find(
      (b) => b.firstSequence === header.baseSequence && b.lastSequence === lastSequence,
    );
    if (duplicate) return { kind: 'duplicate', batch: duplicate };
    const last = entry.batches[entry.batches.length - 1];
    const expected = last === undefined ? 0 : nextSequence(last.lastSequence);
    if (header.baseSequence !== expected) {
      throw new KafkaError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `producer ${header.producerId}: sequence ${header.baseSequence}, expected ${expected}`,
      );
    }
    return { kind: 'append' };
  }

  /** Records a batch that is now in the log (appended, or found while rebuilding from the log). */
  update(header: RecordBatchHeader, baseOffset: number): void {
    if (header.producerId < 0 || header.baseSequence < 0) return;
    let entry = this.#producers.get(header.producerId);
    if (!entry || header.producerEpoch > entry.epoch) {
      entry = { epoch: header.producerEpoch, batches: [] };
      this.#producers.set(header.producerId, entry);
    }
    entry.batches.push({
      firstSequence: header.baseSequence,
      lastSequence: lastSequenceOf(header),
      firstOffset: baseOffset,
      lastOffset: baseOffset + header.lastOffsetDelta,
      maxTimestamp: header.maxTimestamp,
    });
    if (entry.batches.length > PRODUCER_BATCHES_KEPT) entry.batches.shift();
  }

  /** Every producer with its last batch, as a snapshot keeps them (Kafka keeps the last batch only). */
  snapshotEntries(): ProducerSnapshotEntry[] {
    const entries: ProducerSnapshotEntry[] = [];
    for (const [producerId, entry] of this.#producers) {
      const last = entry.batches[entry.batches.length - 1];
      if (last === undefined) continue;
      entries.push({
        producerId,
        epoch: entry.epoch,
        lastSequence: last.lastSequence,
        lastOffset: last.lastOffset,
        offsetDelta: last.lastOffset - last.firstOffset,
        timestamp: last.maxTimestamp,
      });
    }
    return entries;
  }

  /** Takes a producer from a snapshot: its epoch and its last batch (the state is built from these first). */
  loadSnapshotEntry(entry: ProducerSnapshotEntry): void {
    const firstSequence = entry.lastSequence - entry.offsetDelta;
    this.#producers.set(entry.producerId, {
      epoch: entry.epoch,
      batches: [
        {
          firstSequence: firstSequence < 0 ? firstSequence + MAX_SEQUENCE + 1 : firstSequence,
          lastSequence: entry.lastSequence,
          firstOffset: entry.lastOffset - entry.offsetDelta,
          lastOffset: entry.lastOffset,
          maxTimestamp: entry.timestamp,
        },
      ],
    });
  }
}
