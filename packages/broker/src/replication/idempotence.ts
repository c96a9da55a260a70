// The leader's side of the idempotent producer: every append of a batch from a producer id goes through
// the partition's ProducerStateManager (log/producer-state.ts), which drops duplicates of its last 5
// batches (answering with their original offsets) and refuses sequence gaps. The state of a partition
// is built on its first idempotent append by scanning its log for batches with producerId >= 0, so it
// survives restarts without a snapshot file (bounded by the log's size; Kafka keeps snapshots to avoid
// the scan, a later step here). Batches without a producer id append as before, untouched.
import {
  batchesIn,
  NO_PRODUCER_ID,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_HEADER_BYTES,
  readBatchHeader,
  readInt64BE,
} from '@sluice/protocol';
import type { LeaderAppendResult, PartitionLog } from '../log/partition-log.ts';
import { ProducerStateManager } from '../log/producer-state.ts';

/** Bytes read per step while rebuilding producer state from a log. */
const REBUILD_READ_BYTES = 4 * 1024 * 1024;

const states = new WeakMap<PartitionLog, Promise<ProducerStateManager>>();

async function rebuild(log: PartitionLog): Promise<ProducerStateManager> {
  const state = new ProducerStateManager();
  let offset = log.logStartOffset;
  const end = log.logEndOffset;
  while (offset < end) {
    const { records } = await log.read(offset, REBUILD_READ_BYTES);
    let next = offset;
    for (const { header } of batchesIn(records)) {
      if (header.producerId >= 0) state.update(header, header.baseOffset);
      next = header.baseOffset + header.lastOffsetDelta + 1;
    }
    if (next <= offset) break; // nothing whole came back: a batch larger than the read, or the end
    offset = next;
  }
  return state;
}

function stateOf(log: PartitionLog): Promise<ProducerStateManager> {
  let state = states.get(log);
  if (!state) {
    state = rebuild(log);
    states.set(log, state);
    state.catch(() => states.delete(log));
  }
  return state;
}

/**
 * Appends `batch` with `append` (the leader append), checking producer id, epoch and sequence first
 * when the batch carries a producer id. A duplicate resolves with the offsets it was first given.
 */
export async function appendIdempotent(
  log: PartitionLog,
  batch: Buffer,
  append: () => Promise<LeaderAppendResult>,
): Promise<LeaderAppendResult> {
  if (batch.length < RECORD_BATCH_HEADER_BYTES || readInt64BE(batch, PRODUCER_ID_OFFSET) === NO_PRODUCER_ID) {
    return append();
  }
  const header = readBatchHeader(batch);
  const state = await stateOf(log);
  return state.serialize(async () => {
    const check = state.check(header);
    if (check.kind === 'duplicate') {
      return {
        baseOffset: check.batch.firstOffset,
        lastOffset: check.batch.lastOffset,
        logAppendTimeMs: -1,
        maxTimestamp: header.maxTimestamp,
      };
    }
    const appended = await append();
    state.update(header, appended.baseOffset);
    return appended;
  });
}
