// The client's view of the cluster: brokers and their gRPC addresses, topics, partition leaders. It
// comes from one of two sources, as the Kafka tutorials offer both: ZooKeeper (`zookeeper:` option;
// a watch-fed view of Kafka's znodes) or any broker's Metadata call (`bootstrap:` option). Cached, and
// refreshed when a caller reports a stale leader or on metadata.max.age.ms.
import { brokersOnListener, MetadataView, partitionAnswers, ZooKeeperClient } from '@sluice/coordinator';
import { ErrorCode, type KafkaError } from '@sluice/protocol';
import pino from 'pino';
import type { ConnectionPool } from './connection-pool.ts';
import { ConnectionError, InvalidClientConfigError, kafkaError } from './errors.ts';

export interface BrokerInfo {
  id: number;
  host: string;
  port: number;
  /** host:port of its gRPC listener. */
  address: string;
}

export interface PartitionInfo {
  partition: number;
  /** -1: no leader available right now. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  isInternal: boolean;
  partitions: PartitionInfo[];
  /** Being deleted; known only through ZooKeeper (brokers' Metadata answers do not say, as in Kafka). */
  markedForDeletion: boolean;
}

export interface ClusterInfo {
  clusterId: string;
  controllerId: number;
  brokers: BrokerInfo[];
}

export interface MetadataOptions {
  bootstrap?: readonly string[];
  zookeeper?: string;
  requestTimeoutMs: number;
  metadataMaxAgeMs: number;
  zookeeperSessionTimeoutMs?: number;
}

interface Snapshot {
  cluster: ClusterInfo;
  /** Topics known at the time; a topic missing here did not exist. */
  topics: Map<string, TopicInfo>;
  /** Per-topic errors for requested topics that do not exist (or are being created). */
  topicErrors: Map<string, KafkaError>;
}

interface MetadataSource {
  load(topics: readonly string[] | 'all', allowAutoCreate: boolean): Promise<Snapshot>;
  close(): void;
}

const GRPC_LISTENER = 'GRPC';

function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

class BrokerSource implements MetadataSource {
  readonly #pool: ConnectionPool;
  readonly #bootstrap: readonly string[];
  readonly #timeoutMs: number;
  #known: string[] = [];

  constructor(pool: ConnectionPool, bootstrap: readonly string[], timeoutMs: number) {
    this.#pool = pool;
    this.#bootstrap = bootstrap;
    this.#timeoutMs = timeoutMs;
  }

  async load(topics: readonly string[] | 'all', allowAutoCreate: boolean): Promise<Snapshot> {
    // Brokers learned from earlier answers first, then the bootstrap list: any live one will do.
    const candidates = [...new Set([...this.#known, ...this.#bootstrap])];
    let lastError: unknown;
    for (const address of candidates) {
      try {
        const response = await this.#pool.call(
          address,
          'Metadata',
          {
            topics: topics === 'all' ? [] : [...topics],
            all_topics: topics === 'all',
            allow_auto_topic_creation: allowAutoCreate,
          },
          this.#timeoutMs,
        );
        const brokers = response.brokers.map((b) => ({
          id: b.node_id,
          host: b.host,
          port: b.port,
          address: formatAddress(b.host, b.port),
        }));
        this.#known = brokers.map((b) => b.address);
        const snapshot: Snapshot = {
          cluster: { clusterId: response.cluster_id, controllerId: response.controller_id, brokers },
          topics: new Map(),
          topicErrors: new Map(),
        };
        for (const t of response.topics) {
          if (t.error_code !== ErrorCode.NONE) {
            snapshot.topicErrors.set(t.name, kafkaError(t.error_code, t.error_message || undefined));
            continue;
          }
          snapshot.topics.set(t.name, {
            name: t.name,
            isInternal: t.is_internal,
            markedForDeletion: false,
            partitions: t.partitions.map((p) => ({
              partition: p.partition_index,
              leader: p.leader_id,
              leaderEpoch: p.leader_epoch,
              replicas: p.replica_nodes,
              isr: p.isr_nodes,
              offlineReplicas: p.offline_replicas,
              errorCode: p.error_code,
            })),
          });
        }
        return snapshot;
      } catch (err) {
        lastError = err;
      }
    }
    if (lastError instanceof ConnectionError) {
      throw new ConnectionError(candidates.join(','), `no broker reachable (${lastError.message})`);
    }
    throw lastError ?? new ConnectionError(candidates.join(','), 'no broker reachable');
  }

  close(): void {}
}

class ZooKeeperSource implements MetadataSource {
  readonly #pool: ConnectionPool;
  readonly #timeoutMs: number;
  readonly #view: MetadataView;
  readonly #zk: ZooKeeperClient;

  private constructor(pool: ConnectionPool, timeoutMs: number, zk: ZooKeeperClient, view: MetadataView) {
    this.#pool = pool;
    this.#timeoutMs = timeoutMs;
    this.#zk = zk;
    this.#view = view;
  }

  static async connect(
    pool: ConnectionPool,
    connectString: string,
    timeoutMs: number,
    sessionTimeoutMs: number,
  ): Promise<ZooKeeperSource> {
    const zk = await ZooKeeperClient.connect({
      connectString,
      sessionTimeoutMs,
      connectionTimeoutMs: timeoutMs,
    }).catch((err: Error) => {
      throw new ConnectionError(connectString, err.message);
    });
    const view = new MetadataView(zk, pino({ level: process.env.SLUICE_CLIENT_LOG_LEVEL ?? 'silent' }));
    await view.start();
    return new ZooKeeperSource(pool, timeoutMs, zk, view);
  }

  async load(topics: readonly string[] | 'all', allowAutoCreate: boolean): Promise<Snapshot> {
    await this.#view.settled();
    const view = this.#view;
    const brokers = brokersOnListener(view, GRPC_LISTENER).map((b) => ({
      id: b.id,
      host: b.host,
      port: b.port,
      address: formatAddress(b.host, b.port),
    }));
    const snapshot: Snapshot = {
      cluster: { clusterId: '', controllerId: view.controllerId, brokers },
      topics: new Map(),
      topicErrors: new Map(),
    };
    const names = topics === 'all' ? [...view.topics.keys()] : topics;
    const missing: string[] = [];
    for (const name of names) {
      const topic = view.topics.get(name);
      if (!topic) {
        missing.push(name);
        continue;
      }
      snapshot.topics.set(name, {
        name,
        isInternal: name.startsWith('__'),
        markedForDeletion: topic.markedForDeletion,
        partitions: partitionAnswers(view, topic),
      });
    }
    for (const name of missing) {
      snapshot.topicErrors.set(
        name,
        kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unknown topic ${name}`),
      );
    }
    // ZooKeeper cannot create topics by itself: auto-creation is a broker's decision
    // (auto.create.topics.enable), so ask a live broker.
    if (allowAutoCreate && missing.length > 0 && brokers.length > 0) {
      const broker = brokers[Math.floor(Math.random() * brokers.length)] as BrokerInfo;
      const response = await this.#pool.call(
        broker.address,
        'Metadata',
        { topics: missing, all_topics: false, allow_auto_topic_creation: true },
        this.#timeoutMs,
      );
      for (const t of response.topics) {
        if (t.error_code !== ErrorCode.NONE) {
          snapshot.topicErrors.set(t.name, kafkaError(t.error_code, t.error_message || undefined));
        }
      }
    }
    return snapshot;
  }

  close(): void {
    this.#view.close();
    this.#zk.close();
  }
}

export class ClusterMetadata {
  readonly #pool: ConnectionPool;
  readonly #options: MetadataOptions;
  #source: Promise<MetadataSource> | undefined;
  #cluster: ClusterInfo | undefined;
  readonly #topics = new Map<string, { info: TopicInfo; loadedAtMs: number }>();

  constructor(pool: ConnectionPool, options: MetadataOptions) {
    const hasBootstrap = (options.bootstrap?.length ?? 0) > 0;
    if (hasBootstrap === (options.zookeeper !== undefined)) {
      throw new InvalidClientConfigError('Give exactly one of `bootstrap` (broker addresses) or `zookeeper`');
    }
    this.#pool = pool;
    this.#options = options;
  }

  #sourceOnce(): Promise<MetadataSource> {
    if (!this.#source) {
      const options = this.#options;
      this.#source =
        options.zookeeper !== undefined
          ? ZooKeeperSource.connect(
              this.#pool,
              options.zookeeper,
              options.requestTimeoutMs,
              options.zookeeperSessionTimeoutMs ?? 18_000,
            )
          : Promise.resolve(new BrokerSource(this.#pool, options.bootstrap ?? [], options.requestTimeoutMs));
      // A failed connection is not cached: the next call tries again.
      this.#source.catch(() => {
        this.#source = undefined;
      });
    }
    return this.#source;
  }

  /** Loads the given topics (or all), replacing what was cached for them. */
  async refresh(
    topics: readonly string[] | 'all',
    allowAutoCreate = false,
  ): Promise<Map<string, KafkaError>> {
    const source = await this.#sourceOnce();
    const snapshot = await source.load(topics, allowAutoCreate);
    this.#cluster = snapshot.cluster;
    const now = Date.now();
    if (topics === 'all') this.#topics.clear();
    for (const name of snapshot.topicErrors.keys()) this.#topics.delete(name);
    for (const [name, info] of snapshot.topics) this.#topics.set(name, { info, loadedAtMs: now });
    return snapshot.topicErrors;
  }

  async cluster(): Promise<ClusterInfo> {
    if (!this.#cluster) await this.refresh([]);
    return this.#cluster as ClusterInfo;
  }

  /** The topic's metadata, from cache while fresh; throws the broker's error for a missing topic. */
  async topic(name: string, options: { allowAutoCreate?: boolean } = {}): Promise<TopicInfo> {
    const cached = this.#topics.get(name);
    if (cached && Date.now() - cached.loadedAtMs < this.#options.metadataMaxAgeMs) return cached.info;
    const errors = await this.refresh([name], options.allowAutoCreate ?? false);
    const error = errors.get(name);
    if (error) throw error;
    const loaded = this.#topics.get(name);
    if (!loaded) throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unknown topic ${name}`);
    return loaded.info;
  }

  /**
   * The topic's metadata if cached and fresh, without waiting; undefined otherwise. `nowMs` spares a
   * clock read to a caller that has one (the producer asks once per record).
   */
  cachedTopic(name: string, nowMs = Date.now()): TopicInfo | undefined {
    const cached = this.#topics.get(name);
    if (cached && nowMs - cached.loadedAtMs < this.#options.metadataMaxAgeMs) return cached.info;
    return undefined;
  }

  async allTopics(): Promise<TopicInfo[]> {
    await this.refresh('all');
    return [...this.#topics.values()].map((t) => t.info).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Forgets a topic so the next lookup asks again (after NOT_LEADER_OR_FOLLOWER and friends). */
  invalidate(topic: string): void {
    this.#topics.delete(topic);
  }

  brokerAddress(id: number): string | undefined {
    return this.#cluster?.brokers.find((b) => b.id === id)?.address;
  }

  /** The gRPC address of the partition's leader, or a retriable error when it has none. */
  async leaderAddress(
    topic: string,
    partition: number,
    allowAutoCreate = false,
  ): Promise<{ address: string; leaderEpoch: number }> {
    const info = await this.topic(topic, { allowAutoCreate });
    const p = info.partitions.find((x) => x.partition === partition);
    if (!p) {
      throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${topic} has no partition ${partition}`);
    }
    const address = p.leader >= 0 ? this.brokerAddress(p.leader) : undefined;
    if (address === undefined) {
      this.invalidate(topic);
      throw kafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `No leader for ${topic}-${partition} right now`);
    }
    return { address, leaderEpoch: p.leaderEpoch };
  }

  /** Any broker's address (for requests any broker can serve). */
  async anyBrokerAddress(): Promise<string> {
    const cluster = await this.cluster();
    const broker = cluster.brokers[Math.floor(Math.random() * cluster.brokers.length)];
    if (!broker) throw new ConnectionError(this.#options.zookeeper ?? '', 'no live broker is registered');
    return broker.address;
  }

  async close(): Promise<void> {
    const source = this.#source;
    this.#source = undefined;
    if (source) (await source.catch(() => undefined))?.close();
  }
}
