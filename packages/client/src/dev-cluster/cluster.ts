// A local cluster: a real ZooKeeper and N real broker processes on 127.0.0.1. `sluice dev-cluster`
// runs it for people; the tests run it for themselves, with the same code.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ZooKeeperClient, ZooKeeperServer } from '@sluice/coordinator';
import { BrokerProcess } from './broker-process.ts';

export interface DevClusterOptions {
  brokers: number;
  dataDir: string;
  /** 0 (default): any free port. */
  zookeeperPort?: number;
  /** Broker i listens on basePort + i - 1; 0 (default): any free ports. */
  basePort?: number;
  /** Give every broker a Kafka wire-protocol listener on a free port too. */
  kafkaListener?: boolean;
  /** Extra server.properties entries for every broker. */
  brokerProperties?: Record<string, string>;
  /** Start from empty data (default true). */
  clean?: boolean;
  onProgress?: (message: string) => void;
}

export interface ReadyInfo {
  zookeeper: string;
  brokers: Array<{ id: number; grpc: string; kafka?: string }>;
}

export class DevCluster {
  #zookeeper: ZooKeeperServer;
  readonly brokers: BrokerProcess[];
  readonly #zk: ZooKeeperClient;
  readonly dataDir: string;

  private constructor(
    dataDir: string,
    zookeeper: ZooKeeperServer,
    zk: ZooKeeperClient,
    brokers: BrokerProcess[],
  ) {
    this.dataDir = dataDir;
    this.#zookeeper = zookeeper;
    this.#zk = zk;
    this.brokers = brokers;
  }

  static async start(options: DevClusterOptions): Promise<DevCluster> {
    const progress = options.onProgress ?? (() => undefined);
    if (options.clean !== false) await rm(options.dataDir, { recursive: true, force: true });
    progress('starting ZooKeeper');
    const zookeeper = await ZooKeeperServer.start({
      dataDir: join(options.dataDir, 'zookeeper'),
      port: options.zookeeperPort ?? 0,
    });
    let zk: ZooKeeperClient | undefined;
    const brokers: BrokerProcess[] = [];
    try {
      zk = await ZooKeeperClient.connect({
        connectString: zookeeper.connectString,
        sessionTimeoutMs: 10_000,
        connectionTimeoutMs: 10_000,
      });
      for (let id = 1; id <= options.brokers; id++) {
        brokers.push(
          new BrokerProcess({
            brokerId: id,
            dataDir: join(options.dataDir, `broker-${id}`),
            zookeeperConnect: zookeeper.connectString,
            grpcPort: options.basePort ? options.basePort + id - 1 : 0,
            ...(options.kafkaListener ? { kafkaListener: true } : {}),
            ...(options.brokerProperties ? { properties: options.brokerProperties } : {}),
          }),
        );
      }
      progress(`starting ${options.brokers} broker(s)`);
      const started = zk;
      await Promise.all(brokers.map((b) => b.start(started)));
      return new DevCluster(options.dataDir, zookeeper, zk, brokers);
    } catch (err) {
      await Promise.allSettled(brokers.map((b) => b.kill()));
      zk?.close();
      await zookeeper.stop();
      throw err;
    }
  }

  get zookeeper(): ZooKeeperServer {
    return this.#zookeeper;
  }

  /** Stops ZooKeeper, leaving the brokers running (a ZooKeeper outage). */
  async stopZooKeeper(): Promise<void> {
    await this.#zookeeper.stop();
  }

  /**
   * Starts ZooKeeper again on the same port with the same data: sessions that have not expired survive,
   * as they do when a real ensemble comes back.
   */
  async startZooKeeper(): Promise<void> {
    this.#zookeeper = await ZooKeeperServer.start({
      dataDir: this.#zookeeper.dataDir,
      port: this.#zookeeper.port,
    });
  }

  /** A ZooKeeper session of the harness's own, for tests that read znodes. */
  get zk(): ZooKeeperClient {
    return this.#zk;
  }

  broker(id: number): BrokerProcess {
    const broker = this.brokers.find((b) => b.id === id);
    if (!broker) throw new Error(`no broker ${id} in this cluster`);
    return broker;
  }

  get bootstrap(): string[] {
    return this.brokers.filter((b) => b.running).map((b) => b.grpcAddress);
  }

  readyInfo(): ReadyInfo {
    return {
      zookeeper: this.zookeeper.connectString,
      brokers: this.brokers.map((b) => {
        const kafka = b.kafkaAddress;
        return kafka === undefined
          ? { id: b.id, grpc: b.grpcAddress }
          : { id: b.id, grpc: b.grpcAddress, kafka };
      }),
    };
  }

  /** Stops brokers with SIGTERM (SIGKILL if they hang), then ZooKeeper. Leaves no process behind. */
  async stop(): Promise<void> {
    await Promise.allSettled(this.brokers.map((b) => b.stop()));
    this.#zk.close();
    await this.#zookeeper.stop();
  }
}
