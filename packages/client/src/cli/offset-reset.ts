// Where `sluice consumer-groups --reset-offsets` moves a group: one strategy (--to-earliest, --to-latest,
// --to-current, --to-offset, --shift-by, --by-duration, --to-datetime) applied to each partition in scope,
// as Kafka 2.7's tool computes it. Explicit offsets and shifts are kept within the partition's
// [earliest, latest] range (with Kafka's warning); a timestamp past a partition's last record falls back
// to its latest offset.
// The offset lookups are passed in, so the arithmetic is tested without a cluster.
import { UsageError } from './args.ts';

export type ResetStrategy =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'current' }
  | { kind: 'offset'; offset: number }
  | { kind: 'shift'; by: number }
  | { kind: 'timestamp'; timestampMs: number };

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export interface OffsetLookups {
  earliest(partitions: readonly TopicPartitionRef[]): Promise<Map<string, number>>;
  latest(partitions: readonly TopicPartitionRef[]): Promise<Map<string, number>>;
  /** The first offset at or after the timestamp; -1 (or absent) when no record is that recent. */
  forTimestamp(partitions: readonly TopicPartitionRef[], timestampMs: number): Promise<Map<string, number>>;
  /** The group's committed offsets. */
  committed: ReadonlyMap<string, number>;
}

export function partitionKey(tp: TopicPartitionRef): string {
  return `${tp.topic}-${tp.partition}`;
}

export interface PlannedOffset extends TopicPartitionRef {
  offset: number;
}

/** New offsets for `partitions`, plus Kafka's warnings (clamped values, empty partitions). */
export async function planReset(
  partitions: readonly TopicPartitionRef[],
  strategy: ResetStrategy,
  lookups: OffsetLookups,
): Promise<{ offsets: PlannedOffset[]; warnings: string[] }> {
  const warnings: string[] = [];
  const found = (map: Map<string, number>, tp: TopicPartitionRef): number => {
    const offset = map.get(partitionKey(tp));
    if (offset === undefined) throw new Error(`No offset found for partition ${partitionKey(tp)}`);
    return offset;
  };
  const plan = (offsetOf: (tp: TopicPartitionRef) => number) => ({
    offsets: partitions.map((tp) => ({ ...tp, offset: offsetOf(tp) })),
    warnings,
  });
  switch (strategy.kind) {
    case 'earliest': {
      const earliest = await lookups.earliest(partitions);
      return plan((tp) => found(earliest, tp));
    }
    case 'latest': {
      const latest = await lookups.latest(partitions);
      return plan((tp) => found(latest, tp));
    }
    case 'current': {
      // Partitions without a committed offset go to the log end, as Kafka's --to-current does.
      const missing = partitions.filter((tp) => !lookups.committed.has(partitionKey(tp)));
      const latest = missing.length > 0 ? await lookups.latest(missing) : new Map<string, number>();
      return plan((tp) => lookups.committed.get(partitionKey(tp)) ?? found(latest, tp));
    }
    case 'offset':
    case 'shift': {
      if (strategy.kind === 'shift') {
        for (const tp of partitions) {
          if (!lookups.committed.has(partitionKey(tp))) {
            throw new Error(
              `Cannot shift offset for partition ${partitionKey(tp)} since there is no current committed offset`,
            );
          }
        }
      }
      const [earliest, latest] = await Promise.all([
        lookups.earliest(partitions),
        lookups.latest(partitions),
      ]);
      return plan((tp) => {
        const requested =
          strategy.kind === 'offset'
            ? strategy.offset
            : (lookups.committed.get(partitionKey(tp)) as number) + strategy.by;
        const low = found(earliest, tp);
        const high = found(latest, tp);
        if (requested < low) {
          warnings.push(
            `New offset (${requested}) is lower than earliest offset for topic partition ${partitionKey(tp)}. Value will be set to ${low}`,
          );
          return low;
        }
        if (requested > high) {
          warnings.push(
            `New offset (${requested}) is higher than latest offset for topic partition ${partitionKey(tp)}. Value will be set to ${high}`,
          );
          return high;
        }
        return requested;
      });
    }
    case 'timestamp': {
      // Kafka 2.7 falls back to the latest offset without a word (later versions print a warning).
      const byTime = await lookups.forTimestamp(partitions, strategy.timestampMs);
      const empty = partitions.filter((tp) => (byTime.get(partitionKey(tp)) ?? -1) < 0);
      const latest = empty.length > 0 ? await lookups.latest(empty) : new Map<string, number>();
      return plan((tp) => {
        const offset = byTime.get(partitionKey(tp)) ?? -1;
        return offset >= 0 ? offset : found(latest, tp);
      });
    }
  }
}

/** `--topic t` (every partition) or `--topic t:0,2` (those partitions), as Kafka's reset scope. */
export function parseTopicScope(text: string): { topic: string; partitions?: number[] } {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { topic: text };
  const topic = text.slice(0, colon);
  const partitions = text
    .slice(colon + 1)
    .split(',')
    .map((p) => p.trim());
  if (topic === '' || partitions.some((p) => !/^\d+$/.test(p))) {
    throw new UsageError(`Invalid --topic '${text}': expected topic or topic:partition,partition`);
  }
  return { topic, partitions: partitions.map(Number) };
}
