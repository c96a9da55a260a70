// The SDK's entry point: one Sluice client per application holds the connections and the metadata
// cache, and hands out producers, consumers and an admin that share them.
import { Admin, type AdminOptions } from './admin.ts';
import { ConnectionPool } from './connection-pool.ts';
import { ConsumerGroup } from './group/consumer-group.ts';
import type { ConsumerGroupOptions } from './group/consumer-group-options.ts';
import { ClusterMetadata } from './metadata.ts';
import { PartitionConsumer, type PartitionConsumerOptions } from './partition-consumer.ts';
import { Producer, type ProducerOptions } from './producer.ts';

export interface SluiceOptions {
  /** Broker addresses (host:port of GRPC listeners) to learn the cluster from; any live one will do. */
  bootstrap?: readonly string[];
  /** Or a ZooKeeper connect string (host:port[,host:port][/chroot]), as the Kafka tutorials use. */
  zookeeper?: string;
  /** request.timeout.ms for metadata requests. */
  requestTimeoutMs?: number;
  /** metadata.max.age.ms */
  metadataMaxAgeMs?: number;
}

export class Sluice {
  readonly #pool = new ConnectionPool();
  readonly #metadata: ClusterMetadata;
  readonly #closables: Array<{ close(): unknown }> = [];

  constructor(options: SluiceOptions) {
    this.#metadata = new ClusterMetadata(this.#pool, {
      ...(options.bootstrap !== undefined ? { bootstrap: options.bootstrap } : {}),
      ...(options.zookeeper !== undefined ? { zookeeper: options.zookeeper } : {}),
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      metadataMaxAgeMs: options.metadataMaxAgeMs ?? 300_000,
    });
  }

  producer(options: ProducerOptions = {}): Producer {
    const producer = new Producer(this.#pool, this.#metadata, options);
    this.#closables.push(producer);
    return producer;
  }

  consumer(options: PartitionConsumerOptions): PartitionConsumer {
    const consumer = new PartitionConsumer(this.#pool, this.#metadata, options);
    this.#closables.push(consumer);
    return consumer;
  }

  /** A member of a consumer group (Kafka's KafkaConsumer with subscribe()). */
  consumerGroup(options: ConsumerGroupOptions): ConsumerGroup {
    const group = new ConsumerGroup(this.#pool, this.#metadata, options);
    this.#closables.push(group);
    return group;
  }

  admin(options: AdminOptions = {}): Admin {
    return new Admin(this.#pool, this.#metadata, options);
  }

  /** Closes producers (after their sends settle), consumers and consumer groups, then the connections. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#closables.map((c) => c.close()));
    await this.#metadata.close();
    this.#pool.close();
  }
}
