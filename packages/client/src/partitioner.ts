// Choosing a partition for a record, as Kafka's Java client does: an explicit partition wins; a key
// goes to toPositive(murmur2(key)) % partitions (the same partition Kafka would pick, so Sluice and
// Kafka producers agree); a null key goes to a sticky partition that changes once a batch for it
// completes (KIP-480). Round-robin and random are options for null keys, and a custom function may
// replace all of it.
import { partitionForKey } from '@sluice/protocol';
import { InvalidClientConfigError } from './errors.ts';

/** A custom partitioner: return a partition in [0, partitionCount). */
export type Partitioner = (args: { topic: string; key: Buffer | null; partitionCount: number }) => number;

/**
 * The partitioner option: 'default' (murmur2 for keys, sticky for null keys, Kafka's
 * DefaultPartitioner), 'round-robin' (RoundRobinPartitioner: every record to the next partition,
 * keys ignored), 'random' (keys hashed, null keys to a random partition), or a function.
 */
export type PartitionerOption = 'default' | 'round-robin' | 'random' | Partitioner;

/** What the producer asks of any partitioner: a partition, and word that a batch completed. */
export interface PartitionChooser {
  partition(topic: string, key: Buffer | null, partitionCount: number): number;
  batchCompleted(topic: string, partition: number, partitionCount: number): void;
}

export class DefaultPartitioner implements PartitionChooser {
  readonly #sticky = new Map<string, number>();

  partition(topic: string, key: Buffer | null, partitionCount: number): number {
    if (key !== null) return partitionForKey(key, partitionCount);
    let sticky = this.#sticky.get(topic);
    if (sticky === undefined || sticky >= partitionCount) {
      sticky = Math.floor(Math.random() * partitionCount);
      this.#sticky.set(topic, sticky);
    }
    return sticky;
  }

  /** A batch for the sticky partition completed: move null-key records to another partition. */
  batchCompleted(topic: string, partition: number, partitionCount: number): void {
    const current = this.#sticky.get(topic);
    if (partitionCount <= 1 || current === undefined || current !== partition) return;
    let next = Math.floor(Math.random() * (partitionCount - 1));
    if (next >= current) next += 1;
    this.#sticky.set(topic, next);
  }
}

export class RoundRobinPartitioner implements PartitionChooser {
  readonly #next = new Map<string, number>();

  partition(topic: string, _key: Buffer | null, partitionCount: number): number {
    const next = this.#next.get(topic) ?? 0;
    this.#next.set(topic, (next + 1) % 0x7fffffff);
    return next % partitionCount;
  }

  batchCompleted(): void {}
}

export class RandomPartitioner implements PartitionChooser {
  partition(_topic: string, key: Buffer | null, partitionCount: number): number {
    if (key !== null) return partitionForKey(key, partitionCount);
    return Math.floor(Math.random() * partitionCount);
  }

  batchCompleted(): void {}
}

class CustomPartitioner implements PartitionChooser {
  readonly #fn: Partitioner;
  constructor(fn: Partitioner) {
    this.#fn = fn;
  }

  partition(topic: string, key: Buffer | null, partitionCount: number): number {
    const partition = this.#fn({ topic, key, partitionCount });
    if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
      throw new InvalidClientConfigError(
        `the custom partitioner returned ${partition} for topic ${topic}, not a partition in [0, ${partitionCount})`,
      );
    }
    return partition;
  }

  batchCompleted(): void {}
}

export function createPartitioner(option: PartitionerOption | undefined): PartitionChooser {
  if (option === undefined || option === 'default') return new DefaultPartitioner();
  if (option === 'round-robin') return new RoundRobinPartitioner();
  if (option === 'random') return new RandomPartitioner();
  if (typeof option === 'function') return new CustomPartitioner(option);
  throw new InvalidClientConfigError(`unknown partitioner ${String(option)}`);
}
