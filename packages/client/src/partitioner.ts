// Choosing a partition for a record, as Kafka's Java client does: an explicit partition wins; a key
// goes to toPositive(murmur2(key)) % partitions (the same partition Kafka would pick, so Sluice and
// Kafka producers agree); a null key goes to a sticky partition that changes once per batch.
import { partitionForKey } from '@sluice/protocol';

export type Partitioner = (args: { topic: string; key: Buffer | null; partitionCount: number }) => number;

export class DefaultPartitioner {
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
  batchCompleted(topic: string, partitionCount: number): void {
    const current = this.#sticky.get(topic);
    if (partitionCount <= 1 || current === undefined) return;
    let next = Math.floor(Math.random() * (partitionCount - 1));
    if (next >= current) next += 1;
    this.#sticky.set(topic, next);
  }
}
