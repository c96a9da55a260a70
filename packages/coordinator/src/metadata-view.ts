// A read-only view of the cluster's metadata in ZooKeeper (live brokers, topics, partition leaders and
// ISRs, topic configs, deletion requests, the controller), kept current by watches. Watch callbacks only enqueue a re-read
// of the znode that changed; one event loop applies them in order and then emits 'change'. Brokers use
// it to learn which partitions they lead; clients in ZooKeeper mode use it to find leaders.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { EventQueue } from './event-queue.ts';
import {
  BrokerIdsZNode,
  BrokerIdZNode,
  type BrokerRegistration,
  ControllerZNode,
  DeleteTopicsZNode,
  TopicConfigZNode,
  TopicPartitionStateZNode,
  TopicsZNode,
  TopicZNode,
} from './znodes.ts';
import type { ZooKeeperClient } from './zookeeper-client.ts';

export interface PartitionView {
  topic: string;
  partition: number;
  /** Assignment order: the first is the preferred leader. */
  replicas: number[];
  /** -1: no leader (offline) or state not yet written. */
  leader: number;
  leaderEpoch: number;
  isr: number[];
}

export interface TopicView {
  name: string;
  partitions: Map<number, PartitionView>;
  config: Record<string, string>;
  /** /admin/delete_topics/<name> exists: the controller is deleting the topic. */
  markedForDeletion: boolean;
  /** Creation zxid of /brokers/topics/<name>: a topic deleted and created again gets a new one. */
  createdZxid: string;
}

export class MetadataView extends EventEmitter {
  #zk: ZooKeeperClient;
  /** Bumped on rebind: watches set through an older session are ignored. */
  #generation = 0;
  readonly #logger: Logger;
  readonly #queue: EventQueue;
  readonly #brokers = new Map<number, BrokerRegistration>();
  readonly #topics = new Map<string, TopicView>();
  #markedForDeletion = new Set<string>();
  /** The last full read of /brokers/topics succeeded: a topic missing from the view does not exist. */
  #topicsComplete = false;
  #controllerId = -1;
  #closed = false;

  constructor(zk: ZooKeeperClient, logger: Logger) {
    super();
    this.#zk = zk;
    this.#logger = logger;
    this.#queue = new EventQueue((err, event) => {
      if (this.#closed) return;
      this.#logger.warn({ err, event: event.key }, 'metadata refresh failed; retrying');
      // A failed re-read (connection loss) is retried so the view never silently stops following.
      setTimeout(() => this.#enqueue(event.key, event.run), 500).unref();
    });
  }

  get brokers(): ReadonlyMap<number, BrokerRegistration> {
    return this.#brokers;
  }

  get topics(): ReadonlyMap<string, TopicView> {
    return this.#topics;
  }

  get controllerId(): number {
    return this.#controllerId;
  }

  /**
   * True when the topic list is known to be whole (its last full load succeeded). Only then may a topic's
   * absence be taken as its deletion.
   */
  get topicsComplete(): boolean {
    return this.#topicsComplete;
  }

  partition(topic: string, partition: number): PartitionView | undefined {
    return this.#topics.get(topic)?.partitions.get(partition);
  }

  /** Loads everything once and sets the watches; resolves when the view is complete. */
  async start(): Promise<void> {
    this.#enqueue('brokers', () => this.#loadBrokers());
    this.#enqueue('topics', () => this.#loadTopics());
    this.#enqueue('deletions', () => this.#loadDeletions());
    this.#enqueue('controller', () => this.#loadController());
    await this.#queue.idle();
  }

  /** Resolves after every change seen so far has been applied. */
  async settled(): Promise<void> {
    await this.#queue.idle();
  }

  /**
   * Follows a new ZooKeeper session (after expiry): re-reads everything and sets every watch again.
   * The current view keeps answering meanwhile, as Kafka brokers keep serving while ZooKeeper is away.
   */
  async rebind(zk: ZooKeeperClient): Promise<void> {
    this.#zk = zk;
    this.#generation += 1;
    this.#topicsComplete = false;
    this.#enqueue('brokers', () => this.#loadBrokers());
    this.#enqueue('topics', () => this.#loadTopics(true));
    this.#enqueue('deletions', () => this.#loadDeletions());
    this.#enqueue('controller', () => this.#loadController());
    await this.#queue.idle();
  }

  close(): void {
    this.#closed = true;
    this.#queue.close();
    this.removeAllListeners();
  }

  /** A watch callback that re-runs `run` through the queue, unless the session has changed since. */
  #watch(key: string, run: () => Promise<void>): () => void {
    const generation = this.#generation;
    return () => {
      if (generation === this.#generation) this.#enqueue(key, run);
    };
  }

  #enqueue(key: string, run: () => Promise<void>): void {
    if (this.#closed) return;
    this.#queue.enqueue({
      key,
      run: async () => {
        if (this.#closed) return;
        await run();
        this.emit('change', key);
      },
    });
  }

  async #loadBrokers(): Promise<void> {
    const ids = await this.#zk.getChildren(
      BrokerIdsZNode.path,
      this.#watch('brokers', () => this.#loadBrokers()),
    );
    const live = new Set((ids ?? []).map(Number));
    for (const id of this.#brokers.keys()) if (!live.has(id)) this.#brokers.delete(id);
    for (const id of live) {
      // Re-read every time: a broker that re-registered after a session expiry may have new endpoints.
      const node = await this.#zk.getData(BrokerIdZNode.path(id));
      if (node) this.#brokers.set(id, BrokerIdZNode.decode(id, node.data));
      else this.#brokers.delete(id);
    }
  }

  async #loadTopics(reloadAll = false): Promise<void> {
    this.#topicsComplete = false;
    const names = await this.#zk.getChildren(
      TopicsZNode.path,
      this.#watch('topics', () => this.#loadTopics()),
    );
    const present = new Set(names ?? []);
    for (const name of this.#topics.keys()) if (!present.has(name)) this.#topics.delete(name);
    for (const name of present) {
      if (reloadAll || !this.#topics.has(name)) await this.#loadTopic(name, reloadAll);
    }
    this.#topicsComplete = true;
  }

  async #loadTopic(name: string, reloadAll = false): Promise<void> {
    const node = await this.#zk.getData(
      TopicZNode.path(name),
      this.#watch(`topic:${name}`, () => this.#loadTopic(name)),
    );
    if (node === null) {
      this.#topics.delete(name);
      return;
    }
    const assignment = TopicZNode.decode(name, node.data);
    let existing = this.#topics.get(name);
    if (existing && existing.createdZxid !== node.stat.czxid) {
      // Deleted and created again between two reads: nothing of the old topic carries over.
      this.#topics.delete(name);
      existing = undefined;
    }
    const topic: TopicView = existing ?? {
      name,
      partitions: new Map(),
      config: {},
      markedForDeletion: this.#markedForDeletion.has(name),
      createdZxid: node.stat.czxid,
    };
    this.#topics.set(name, topic);
    for (const partition of topic.partitions.keys()) {
      if (!assignment.has(partition)) topic.partitions.delete(partition);
    }
    // Every partition enters the view at once (leaderless until its state is read): a reader between
    // two awaits must never see a topic with only some of its partitions.
    const toLoad: number[] = [];
    for (const [partition, replicas] of assignment) {
      const known = topic.partitions.get(partition);
      if (known) {
        known.replicas = replicas;
        if (reloadAll) toLoad.push(partition);
      } else {
        topic.partitions.set(partition, {
          topic: name,
          partition,
          replicas,
          leader: -1,
          leaderEpoch: -1,
          isr: [],
        });
        toLoad.push(partition);
      }
    }
    for (const partition of toLoad) await this.#loadPartitionState(name, partition);
    if (!existing || reloadAll) await this.#loadTopicConfig(name);
  }

  async #loadDeletions(): Promise<void> {
    const names = await this.#zk.getChildren(
      DeleteTopicsZNode.path,
      this.#watch('deletions', () => this.#loadDeletions()),
    );
    this.#markedForDeletion = new Set(names ?? []);
    for (const topic of this.#topics.values())
      topic.markedForDeletion = this.#markedForDeletion.has(topic.name);
  }

  async #loadPartitionState(topic: string, partition: number): Promise<void> {
    const key = `state:${topic}/${partition}`;
    const path = TopicPartitionStateZNode.path(topic, partition);
    const rewatch = this.#watch(key, () => this.#loadPartitionState(topic, partition));
    const node = await this.#zk.getData(path, rewatch);
    const view = this.#topics.get(topic)?.partitions.get(partition);
    if (!view) return;
    if (node === null) {
      // Not written yet (the controller creates it), or removed: no leader until it appears.
      view.leader = -1;
      if ((await this.#zk.exists(path, rewatch)) !== null) rewatch();
      return;
    }
    const state = TopicPartitionStateZNode.decode(topic, partition, node.data);
    view.leader = state.leader;
    view.leaderEpoch = state.leaderEpoch;
    view.isr = state.isr;
  }

  async #loadTopicConfig(topic: string): Promise<void> {
    const path = TopicConfigZNode.path(topic);
    const rewatch = this.#watch(`config:${topic}`, () => this.#loadTopicConfig(topic));
    const node = await this.#zk.getData(path, rewatch);
    const view = this.#topics.get(topic);
    if (!view) return;
    if (node === null) {
      if ((await this.#zk.exists(path, rewatch)) !== null) rewatch();
      view.config = {};
      return;
    }
    view.config = TopicConfigZNode.decode(topic, node.data);
  }

  async #loadController(): Promise<void> {
    const rewatch = this.#watch('controller', () => this.#loadController());
    const node = await this.#zk.getData(ControllerZNode.path, rewatch);
    if (node === null) {
      this.#controllerId = -1;
      if ((await this.#zk.exists(ControllerZNode.path, rewatch)) !== null) rewatch();
      return;
    }
    this.#controllerId = ControllerZNode.decode(node.data);
  }
}
