// The leader's side of the idempotent producer: every append of a batch from a producer id is first
// checked against the partition's ProducerStateManager (log/producer-state.ts; the log owns it, keeps it
// through every append and snapshots it), which drops duplicates of its last 5 batches (answering with
// their original offsets) and refuses sequence gaps. Batches without a producer id append as before,
// untouched.
import {
  NO_PRODUCER_ID,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_HEADER_BYTES,
  readBatchHeader,
  readInt64BE,
} from '@sluice/protocol';
import type { LeaderAppendResult, PartitionLog } from '../log/partition-log.ts';

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
  const state = await log.producerState();
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
    // The log records the batch in the state as it appends it.
    return append();
  });
}
