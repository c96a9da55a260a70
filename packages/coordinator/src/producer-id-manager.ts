// Producer ids for idempotent producers, as Kafka 2.7's ProducerIdManager: a broker takes a block of
// 1000 ids at a time from /latest_producer_id_block by a setData conditional on the znode's version
// (another broker that raced it makes it read and try again), then hands them out one by one.
import { ProducerIdBlockZNode } from './znodes.ts';
import { type ZooKeeperClient, ZooKeeperCode, ZooKeeperError } from './zookeeper-client.ts';

/** Bound on the compare-and-set loop: contention between brokers resolves in a few tries. */
const MAX_BLOCK_ATTEMPTS = 50;

export class ProducerIdManager {
  readonly #zk: () => ZooKeeperClient;
  readonly #brokerId: number;
  #next = 0;
  #end = -1;
  #allocating: Promise<void> | undefined;

  constructor(zk: () => ZooKeeperClient, brokerId: number) {
    this.#zk = zk;
    this.#brokerId = brokerId;
  }

  /** The next unused producer id. */
  async nextProducerId(): Promise<number> {
    while (this.#next > this.#end) {
      this.#allocating ??= this.#allocateBlock().finally(() => {
        this.#allocating = undefined;
      });
      await this.#allocating;
    }
    return this.#next++;
  }

  async #allocateBlock(): Promise<void> {
    const zk = this.#zk();
    const path = ProducerIdBlockZNode.path;
    for (let attempt = 0; attempt < MAX_BLOCK_ATTEMPTS; attempt++) {
      const current = await zk.getData(path);
      if (current === null) {
        await zk.create(path, null).catch((err: unknown) => {
          if (!ZooKeeperError.is(err, ZooKeeperCode.NODE_EXISTS)) throw err;
        });
        continue;
      }
      const start = current.data.length === 0 ? 0 : ProducerIdBlockZNode.decode(current.data).blockEnd + 1;
      const block = {
        brokerId: this.#brokerId,
        blockStart: start,
        blockEnd: start + ProducerIdBlockZNode.blockSize - 1,
      };
      try {
        await zk.setData(path, ProducerIdBlockZNode.encode(block), current.stat.version);
      } catch (err) {
        if (ZooKeeperError.is(err, ZooKeeperCode.BAD_VERSION)) continue;
        throw err;
      }
      this.#next = block.blockStart;
      this.#end = block.blockEnd;
      return;
    }
    throw new Error(`could not take a producer id block after ${MAX_BLOCK_ATTEMPTS} attempts`);
  }
}
