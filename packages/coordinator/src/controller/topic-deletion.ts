// Topic deletion (Kafka's TopicDeletionManager): a topic queued through /admin/delete_topics/<t> first
// loses its leaders (leader -1, a new leader epoch, so every broker stops serving it), then each replica's
// broker is asked to stop it and delete its log. Only when every replica is gone are the topic's znodes
// removed: /brokers/topics/<t> with its partitions, /config/topics/<t>, and the request itself, in one
// fenced multi. Replicas on dead brokers make the topic wait (ineligible) until those brokers return,
// so a topic name is never free again while some broker may still hold its old data.
import type { Logger } from 'pino';
import { DeleteTopicZNode, TopicConfigZNode, TopicZNode } from '../znodes.ts';
import type { ZooKeeperClient } from '../zookeeper-client.ts';
import type { ControllerChannel, StopReplicaPartitionResult } from './broker-channel.ts';
import type { ControllerContext, TopicPartition } from './controller-context.ts';
import { removeFenced } from './fencing.ts';
import { NO_LEADER } from './leader-election.ts';
import type { PartitionStateMachine } from './partition-state-machine.ts';

/** Failed StopReplica rounds per topic before its replicas wait for their brokers to restart. */
const MAX_STOP_REPLICA_FAILURES = 5;
const STOP_REPLICA_RETRY_BACKOFF_MS = 1_000;

export interface StopReplicaOutcome {
  /** The deletion round the request belonged to: answers to an older round are ignored. */
  round: object;
  topic: string;
  brokerId: number;
  partitions: number[];
  results?: StopReplicaPartitionResult[];
  error?: unknown;
}

interface DeletionProgress {
  /** The leaders have been taken away. */
  started: boolean;
  /** `partition:broker` of replicas whose log is gone. */
  deleted: Set<string>;
  inFlight: Set<string>;
  /** Replicas that wait for their broker to come back. */
  ineligible: Set<string>;
  failures: number;
}

export interface TopicDeletionOptions {
  context: ControllerContext;
  zk: () => ZooKeeperClient;
  stateMachine: PartitionStateMachine;
  channel: ControllerChannel;
  brokerId: number;
  logger: Logger;
  /** Hands a StopReplica answer (or failure) back to the controller's event loop. */
  onOutcome: (outcome: StopReplicaOutcome) => void;
  /** Asks the event loop to call resume() again after a delay. */
  scheduleResume: (delayMs: number) => void;
}

function replicaKey(partition: number, brokerId: number): string {
  return `${partition}:${brokerId}`;
}

export class TopicDeletionManager {
  readonly #options: TopicDeletionOptions;
  readonly #topics = new Map<string, DeletionProgress>();

  constructor(options: TopicDeletionOptions) {
    this.#options = options;
  }

  isQueued(topic: string): boolean {
    return this.#topics.has(topic);
  }

  get queuedTopics(): string[] {
    return [...this.#topics.keys()];
  }

  enqueue(topics: Iterable<string>): void {
    for (const topic of topics) {
      if (this.#topics.has(topic)) continue;
      this.#options.logger.info({ topic }, 'topic queued for deletion');
      this.#topics.set(topic, {
        started: false,
        deleted: new Set(),
        inFlight: new Set(),
        ineligible: new Set(),
        failures: 0,
      });
    }
  }

  /** Replicas on brokers that just died wait for them. */
  onBrokersDead(brokerIds: ReadonlySet<number>): void {
    for (const [topic, progress] of this.#topics) {
      for (const { partition } of this.#options.context.partitionsOf(topic)) {
        for (const replica of this.#options.context.replicas(topic, partition)) {
          const key = replicaKey(partition, replica);
          if (brokerIds.has(replica) && !progress.deleted.has(key)) progress.ineligible.add(key);
        }
      }
    }
  }

  /** Replicas on brokers that just (re)started may be deleted now. */
  onBrokersStarted(brokerIds: ReadonlySet<number>): void {
    for (const progress of this.#topics.values()) {
      for (const key of [...progress.ineligible]) {
        if (brokerIds.has(Number(key.split(':')[1]))) progress.ineligible.delete(key);
      }
      progress.failures = 0;
    }
  }

  /** Records a broker's answer; call resume() afterwards. */
  onOutcome(outcome: StopReplicaOutcome): void {
    const progress = this.#topics.get(outcome.topic);
    if (!progress || progress !== outcome.round) return;
    for (const partition of outcome.partitions)
      progress.inFlight.delete(replicaKey(partition, outcome.brokerId));
    const failed = new Set<number>(outcome.error !== undefined ? outcome.partitions : []);
    for (const result of outcome.results ?? []) {
      if (result.topic !== outcome.topic) continue;
      if (result.errorCode === 0) progress.deleted.add(replicaKey(result.partition, outcome.brokerId));
      else failed.add(result.partition);
    }
    if (failed.size === 0) return;
    progress.failures += 1;
    const logger = this.#options.logger;
    if (progress.failures <= MAX_STOP_REPLICA_FAILURES) {
      logger.warn(
        { topic: outcome.topic, brokerId: outcome.brokerId, err: outcome.error, failures: progress.failures },
        'replica deletion failed; retrying',
      );
      this.#options.scheduleResume(STOP_REPLICA_RETRY_BACKOFF_MS * progress.failures);
    } else {
      logger.error(
        { topic: outcome.topic, brokerId: outcome.brokerId, err: outcome.error },
        'replica deletion keeps failing; the topic waits until that broker restarts',
      );
      for (const partition of failed) progress.ineligible.add(replicaKey(partition, outcome.brokerId));
    }
  }

  /** Moves every queued topic as far as it can go now. */
  async resume(): Promise<void> {
    const { context } = this.#options;
    for (const [topic, progress] of [...this.#topics]) {
      if (!context.assignments.has(topic)) {
        // Its znodes went away by other means: only the request is left to remove.
        await this.#removeZNodes(topic, [DeleteTopicZNode.path(topic)]);
        this.#topics.delete(topic);
        continue;
      }
      const replicas = context
        .partitionsOf(topic)
        .flatMap(({ partition }) =>
          context.replicas(topic, partition).map((brokerId) => ({ partition, brokerId })),
        );
      if (replicas.every((r) => progress.deleted.has(replicaKey(r.partition, r.brokerId)))) {
        await this.#complete(topic);
        continue;
      }
      if (!progress.started) {
        await this.#takeLeadersAway(topic);
        progress.started = true;
      }
      const live = context.liveBrokerIds();
      const byBroker = new Map<number, number[]>();
      for (const { partition, brokerId } of replicas) {
        const key = replicaKey(partition, brokerId);
        if (progress.deleted.has(key) || progress.inFlight.has(key)) continue;
        if (!live.has(brokerId)) {
          progress.ineligible.add(key);
          continue;
        }
        if (progress.ineligible.has(key)) continue;
        byBroker.set(brokerId, [...(byBroker.get(brokerId) ?? []), partition]);
      }
      for (const [brokerId, partitions] of byBroker) {
        for (const partition of partitions) progress.inFlight.add(replicaKey(partition, brokerId));
        this.#sendStopReplica(progress, topic, brokerId, partitions);
      }
    }
  }

  clear(): void {
    this.#topics.clear();
  }

  #sendStopReplica(round: DeletionProgress, topic: string, brokerId: number, partitions: number[]): void {
    const { context, channel, onOutcome } = this.#options;
    const broker = context.liveBrokers.get(brokerId);
    if (!broker) {
      onOutcome({ round, topic, brokerId, partitions, error: new Error(`broker ${brokerId} is not alive`) });
      return;
    }
    channel
      .stopReplicas(broker.registration, {
        controllerId: this.#options.brokerId,
        controllerEpoch: context.epoch,
        deletePartitions: true,
        partitions: partitions.map((partition): TopicPartition => ({ topic, partition })),
      })
      .then(
        (results) => onOutcome({ round, topic, brokerId, partitions, results }),
        (error: unknown) => onOutcome({ round, topic, brokerId, partitions, error }),
      );
  }

  /** leader -1 with a new leader epoch on every partition: brokers stop serving the topic at once. */
  async #takeLeadersAway(topic: string): Promise<void> {
    const { context, stateMachine } = this.#options;
    await stateMachine.update(
      context.partitionsOf(topic).map(({ partition }) => ({
        topic,
        partition,
        reason: 'partition offline for topic deletion',
        decide: (current) =>
          current.leader === NO_LEADER
            ? null
            : {
                ...current,
                leader: NO_LEADER,
                leaderEpoch: current.leaderEpoch + 1,
                controllerEpoch: context.epoch,
              },
      })),
    );
  }

  async #complete(topic: string): Promise<void> {
    const zk = this.#options.zk();
    const paths: string[] = [];
    await collectPostOrder(zk, TopicZNode.path(topic), paths);
    if (await zk.exists(TopicConfigZNode.path(topic))) paths.push(TopicConfigZNode.path(topic));
    paths.push(DeleteTopicZNode.path(topic));
    await this.#removeZNodes(topic, paths);
    this.#options.context.removeTopic(topic);
    this.#topics.delete(topic);
    this.#options.logger.info({ topic }, 'deletion of topic successfully completed');
  }

  async #removeZNodes(topic: string, paths: readonly string[]): Promise<void> {
    await removeFenced(this.#options.zk(), this.#options.context.epochZkVersion, paths);
    this.#options.logger.debug({ topic, znodes: paths.length }, 'removed topic znodes');
  }
}

/** Appends `path` and everything below it, children before their parent. */
async function collectPostOrder(zk: ZooKeeperClient, path: string, out: string[]): Promise<void> {
  const children = await zk.getChildren(path);
  if (children === null) return;
  for (const child of children.sort()) await collectPostOrder(zk, `${path}/${child}`, out);
  out.push(path);
}
