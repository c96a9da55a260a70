// The controller (Kafka's KafkaController): every broker runs one; the one elected through /controller
// assigns leaders and carries out topic deletion for the whole cluster. ZooKeeper watch callbacks only
// enqueue events; one loop (an EventQueue, Kafka's ControllerEventManager) applies them in order, so
// the context is never touched from a callback and two handlers never interleave.
//
// Events: the /controller znode changed (elect or resign), brokers joined or left, topics appeared or
// vanished, partitions were added, deletions were requested, leaders reported ISR changes, the periodic
// preferred-leader check, a broker answered a StopReplica, and the session expired. A failed event is
// retried a few times; if it keeps failing, the controller gives up the role so that a fresh election
// reloads everything from ZooKeeper.
import { EventEmitter } from 'node:events';
import { ErrorCode } from '@sluice/protocol';
import type { Logger } from 'pino';
import { EventQueue, type QueuedEvent } from '../event-queue.ts';
import {
  BrokerIdsZNode,
  BrokerIdZNode,
  ConfigChangeNotificationSequenceZNode,
  ConfigChangeNotificationZNode,
  ControllerZNode,
  DeleteTopicsZNode,
  DeleteTopicZNode,
  IsrChangeNotificationSequenceZNode,
  IsrChangeNotificationZNode,
  type ReplicaAssignment,
  TopicConfigZNode,
  TopicsZNode,
  TopicZNode,
  ZnodeFormatError,
} from '../znodes.ts';
import { type ZooKeeperClient, ZooKeeperCode, ZooKeeperError } from '../zookeeper-client.ts';
import type { ControllerChannel } from './broker-channel.ts';
import { ControllerContext, type LiveBroker, type TopicPartition } from './controller-context.ts';
import {
  type ControllerEpoch,
  readControllerId,
  registerControllerAndIncrementEpoch,
} from './controller-election.ts';
import { ControllerMovedError, fencedMulti, removeFenced } from './fencing.ts';
import {
  electedState,
  NO_LEADER,
  offlinePartitionLeader,
  preferredReplicaLeader,
  withoutReplicas,
} from './leader-election.ts';
import { PartitionStateMachine } from './partition-state-machine.ts';
import { partitionsToRebalance } from './preferred-leader-balancer.ts';
import { TopicDeletionManager } from './topic-deletion.ts';

export interface ControllerConfig {
  /** delete.topic.enable */
  deleteTopicEnable: boolean;
  /** unclean.leader.election.enable (a topic's own setting overrides it) */
  uncleanLeaderElectionEnable: boolean;
  /** auto.leader.rebalance.enable */
  autoLeaderRebalanceEnable: boolean;
  /** leader.imbalance.per.broker.percentage */
  leaderImbalancePerBrokerPercentage: number;
  /** leader.imbalance.check.interval.seconds, in ms */
  leaderImbalanceCheckIntervalMs: number;
}

export interface ControllerOptions {
  brokerId: number;
  zk: ZooKeeperClient;
  config: ControllerConfig;
  channel: ControllerChannel;
  logger: Logger;
  /** Delay of the first imbalance check after an election (Kafka: 5 s). */
  firstRebalanceCheckDelayMs?: number;
}

/** Attempts of one event before the controller gives up its role and starts afresh. */
const MAX_EVENT_ATTEMPTS = 5;
const EVENT_RETRY_BACKOFF_MS = 200;
/** When not even an election can run (ZooKeeper trouble), try again after this long. */
const ELECTION_RETRY_DELAY_MS = 2_000;
const FIRST_REBALANCE_CHECK_DELAY_MS = 5_000;
const CONFIG_CHANGE_PURGE_INTERVAL_MS = 60_000;

export class Controller extends EventEmitter {
  readonly #brokerId: number;
  readonly #config: ControllerConfig;
  readonly #logger: Logger;
  readonly #firstRebalanceCheckDelayMs: number;
  readonly #context = new ControllerContext();
  readonly #stateMachine: PartitionStateMachine;
  readonly #deletion: TopicDeletionManager;
  readonly #queue: EventQueue;
  readonly #attempts = new Map<string, number>();
  /** Retries of failed events; cleared only on close. */
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  /** Timers of the active controller (rebalance, purge, deletion retries); cleared on resignation. */
  readonly #activeTimers = new Set<NodeJS.Timeout>();
  #zk: ZooKeeperClient;
  /** Bumped on rebind: watches of an older session are ignored. */
  #session = 0;
  /** Bumped on election and resignation: watches of an older tenure are ignored. */
  #tenure = 0;
  #active = false;
  #activeControllerId = -1;
  #sessionLost = false;
  #closed = false;
  #outcomeSequence = 0;
  readonly #pendingShutdowns = new Set<{
    resolve: (answer: { errorCode: number; remaining: TopicPartition[] }) => void;
    reject: (err: unknown) => void;
  }>();

  constructor(options: ControllerOptions) {
    super();
    this.#brokerId = options.brokerId;
    this.#zk = options.zk;
    this.#config = options.config;
    this.#logger = options.logger;
    this.#firstRebalanceCheckDelayMs = options.firstRebalanceCheckDelayMs ?? FIRST_REBALANCE_CHECK_DELAY_MS;
    this.#stateMachine = new PartitionStateMachine(this.#context, () => this.#zk, this.#logger);
    this.#deletion = new TopicDeletionManager({
      context: this.#context,
      zk: () => this.#zk,
      stateMachine: this.#stateMachine,
      channel: options.channel,
      brokerId: this.#brokerId,
      logger: this.#logger,
      onOutcome: (outcome) =>
        this.#enqueue(`stop-replica-outcome:${++this.#outcomeSequence}`, async () => {
          if (!this.#active) return;
          this.#deletion.onOutcome(outcome);
          await this.#deletion.resume();
        }),
      scheduleResume: (delayMs) =>
        this.#scheduleActive(delayMs, () =>
          this.#enqueue('resume-deletion', async () => {
            if (this.#active) await this.#deletion.resume();
          }),
        ),
    });
    this.#queue = new EventQueue((err, event) => this.#onEventError(err, event));
  }

  /** True while this broker is the elected controller. */
  get isActive(): boolean {
    return this.#active;
  }

  /** The controller epoch of this broker's tenure, or -1 when it is not the controller. */
  get epoch(): number {
    return this.#active ? this.#context.epoch : -1;
  }

  /** The id in /controller as last read, -1 when none. */
  get activeControllerId(): number {
    return this.#activeControllerId;
  }

  /** Watches /controller and campaigns. */
  startup(): void {
    this.#enqueue('controller-change', () => this.#onControllerChange());
  }

  /** The ZooKeeper session expired: resign at once; rebind() starts over with the new session. */
  onSessionExpired(): void {
    this.#sessionLost = true;
    this.#enqueue('expire', async () => this.#resign('ZooKeeper session expired'));
  }

  /** Follows a new ZooKeeper session after an expiry: watches /controller again and campaigns. */
  rebind(zk: ZooKeeperClient): void {
    this.#zk = zk;
    this.#session += 1;
    this.#sessionLost = false;
    this.#enqueue('controller-change', () => this.#onControllerChange());
  }

  /** Resolves once every event queued so far has been handled (for tests and orderly shutdown). */
  async settled(): Promise<void> {
    await this.#queue.idle();
  }

  /**
   * Kafka's ControlledShutdown at the controller: partitions `brokerId` leads move to the first other live
   * ISR member in assignment order (a new leader epoch), and it leaves the ISRs it is in (never the last
   * member). Answers NOT_CONTROLLER (41) when this broker is not the active controller; `remaining` lists
   * what it still leads for want of another live ISR member with more than one replica.
   */
  controlledShutdown(brokerId: number): Promise<{ errorCode: number; remaining: TopicPartition[] }> {
    return new Promise((resolve, reject) => {
      if (this.#closed || !this.#active) {
        resolve({ errorCode: ErrorCode.NOT_CONTROLLER, remaining: [] });
        return;
      }
      const pending = { resolve, reject };
      this.#pendingShutdowns.add(pending);
      this.#enqueue(`controlled-shutdown:${brokerId}:${++this.#outcomeSequence}`, async () => {
        try {
          if (!this.#active) {
            resolve({ errorCode: ErrorCode.NOT_CONTROLLER, remaining: [] });
            return;
          }
          resolve({ errorCode: ErrorCode.NONE, remaining: await this.#onControlledShutdown(brokerId) });
        } catch (err) {
          reject(err);
          throw err;
        } finally {
          this.#pendingShutdowns.delete(pending);
        }
      });
    });
  }

  async #onControlledShutdown(brokerId: number): Promise<TopicPartition[]> {
    const context = this.#context;
    const live = new Set([...context.liveBrokerIds()].filter((id) => id !== brokerId));
    const affected = context.allPartitions().filter(({ topic, partition }) => {
      if (this.#deletion.isQueued(topic)) return false;
      const state = context.state(topic, partition)?.state;
      return state !== undefined && (state.leader === brokerId || state.isr.includes(brokerId));
    });
    await this.#stateMachine.update(
      affected.map(({ topic, partition }) => ({
        topic,
        partition,
        reason: `controlled shutdown of broker ${brokerId}`,
        decide: async (current) => {
          const isr = current.isr.filter((id) => id !== brokerId);
          if (current.leader === brokerId) {
            const replicas = context.replicas(topic, partition);
            const leader = replicas.find((id) => live.has(id) && isr.includes(id));
            if (leader === undefined) return null;
            return { leader, leaderEpoch: current.leaderEpoch + 1, isr, controllerEpoch: context.epoch };
          }
          if (!current.isr.includes(brokerId) || isr.length === 0) return null;
          return { ...current, leaderEpoch: current.leaderEpoch + 1, isr, controllerEpoch: context.epoch };
        },
      })),
    );
    return affected.filter(({ topic, partition }) => {
      const state = context.state(topic, partition)?.state;
      if (state?.leader !== brokerId) return false;
      return context.replicas(topic, partition).some((id) => id !== brokerId && live.has(id));
    });
  }

  /** Stops handling events. The role itself ends when the broker closes its ZooKeeper session. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pendingShutdowns)
      pending.resolve({ errorCode: ErrorCode.NOT_CONTROLLER, remaining: [] });
    this.#pendingShutdowns.clear();
    this.#resign('shutting down');
    this.#queue.close();
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
  }

  // -------------------------------------------------------------------------------------------------
  // The loop

  #enqueue(key: string, run: () => Promise<void>): void {
    if (this.#closed) return;
    this.#queue.enqueue({
      key,
      run: async () => {
        if (this.#closed) return;
        await run();
        this.#attempts.delete(key);
      },
    });
  }

  #onEventError(err: unknown, event: QueuedEvent): void {
    if (this.#closed) return;
    if (err instanceof ControllerMovedError) {
      this.#logger.warn({ event: event.key, reason: err.message }, 'controller moved; resigning');
      this.#attempts.delete(event.key);
      this.#resign('another broker was elected');
      this.#enqueue('controller-change', () => this.#onControllerChange());
      return;
    }
    if (this.#sessionLost || ZooKeeperError.is(err, ZooKeeperCode.SESSION_EXPIRED)) {
      // The new session (rebind) starts everything over.
      this.#logger.debug({ event: event.key, err }, 'event dropped: the ZooKeeper session expired');
      return;
    }
    const attempts = (this.#attempts.get(event.key) ?? 0) + 1;
    if (attempts < MAX_EVENT_ATTEMPTS) {
      this.#attempts.set(event.key, attempts);
      this.#logger.warn({ event: event.key, err, attempts }, 'controller event failed; retrying');
      this.#scheduleRetry(EVENT_RETRY_BACKOFF_MS * attempts, () => this.#queue.enqueue(event));
      return;
    }
    this.#attempts.delete(event.key);
    if (this.#active) {
      this.#logger.error(
        { event: event.key, err },
        'controller event keeps failing; giving up the controller role so that a fresh election reloads the state',
      );
      this.#enqueue('controller-move', () => this.#triggerControllerMove());
    } else {
      this.#logger.error({ event: event.key, err }, 'controller election keeps failing; trying again later');
      this.#scheduleRetry(ELECTION_RETRY_DELAY_MS, () =>
        this.#enqueue('controller-change', () => this.#onControllerChange()),
      );
    }
  }

  #scheduleRetry(delayMs: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer);
      action();
    }, delayMs);
    timer.unref();
    this.#retryTimers.add(timer);
  }

  #scheduleActive(delayMs: number, action: () => void): void {
    const tenure = this.#tenure;
    const timer = setTimeout(() => {
      this.#activeTimers.delete(timer);
      if (this.#active && tenure === this.#tenure) action();
    }, delayMs);
    timer.unref();
    this.#activeTimers.add(timer);
  }

  /** A watch for any broker: fires while the session it was set in is current. */
  #sessionWatch(key: string, run: () => Promise<void>): () => void {
    const session = this.#session;
    return () => {
      if (session === this.#session) this.#enqueue(key, run);
    };
  }

  /** A watch of the active controller: fires while the tenure it was set in lasts. */
  #activeWatch(key: string, run: () => Promise<void>): () => void {
    const tenure = this.#tenure;
    return () => {
      if (this.#active && tenure === this.#tenure) this.#enqueue(key, run);
    };
  }

  // -------------------------------------------------------------------------------------------------
  // Election and resignation

  async #onControllerChange(): Promise<void> {
    const zk = this.#zk;
    const watch = this.#sessionWatch('controller-change', () => this.#onControllerChange());
    const node = await zk.getData(ControllerZNode.path, watch);
    if (node === null) {
      // Watch for its creation too; if it appeared in between, read it again.
      if ((await zk.exists(ControllerZNode.path, watch)) !== null) {
        watch();
        return;
      }
      this.#activeControllerId = -1;
      if (this.#active) this.#resign('the controller znode is gone');
      await this.#elect();
      return;
    }
    const id = ControllerZNode.decode(node.data);
    const ours = id === this.#brokerId && node.stat.ephemeralOwner === zk.sessionId;
    this.#activeControllerId = id;
    if (this.#active && !ours) this.#resign(`broker ${id} is the controller now`);
    else if (!this.#active && ours) {
      // Ours but not acted on (a failover that failed half-way): free it for a fresh election.
      await this.#triggerControllerMove();
    }
  }

  async #elect(): Promise<void> {
    const won = await registerControllerAndIncrementEpoch(this.#zk, this.#brokerId);
    if (won === null) {
      this.#activeControllerId = await readControllerId(this.#zk);
      this.#logger.info({ controllerId: this.#activeControllerId }, 'another broker is the controller');
      return;
    }
    this.#activeControllerId = this.#brokerId;
    this.#logger.info({ epoch: won.epoch }, 'elected controller');
    try {
      await this.#onControllerFailover(won);
    } catch (err) {
      if (err instanceof ControllerMovedError || this.#sessionLost) throw err;
      this.#logger.error({ err }, 'controller failover failed; giving up the role for a fresh election');
      await this.#triggerControllerMove();
    }
  }

  /** Gives up the role and deletes /controller (fenced), so that every broker campaigns again. */
  async #triggerControllerMove(): Promise<void> {
    const wasActive = this.#active;
    const epochZkVersion = this.#context.epochZkVersion;
    this.#resign('moving the controller');
    const zk = this.#zk;
    try {
      if (wasActive) {
        await fencedMulti(zk, epochZkVersion, [{ op: 'remove', path: ControllerZNode.path, version: -1 }]);
      } else {
        const node = await zk.getData(ControllerZNode.path);
        if (node && node.stat.ephemeralOwner === zk.sessionId)
          await zk.remove(ControllerZNode.path, node.stat.version);
      }
    } catch (err) {
      if (!(err instanceof ControllerMovedError) && !ZooKeeperError.is(err, ZooKeeperCode.NO_NODE)) throw err;
    }
  }

  #resign(reason: string): void {
    if (!this.#active) return;
    this.#active = false;
    this.#tenure += 1;
    for (const timer of this.#activeTimers) clearTimeout(timer);
    this.#activeTimers.clear();
    const epoch = this.#context.epoch;
    this.#context.clear();
    this.#deletion.clear();
    this.#logger.info({ epoch, reason }, 'resigned as controller');
    this.emit('resigned', epoch);
  }

  /** Kafka's onControllerFailover: watch everything, load the context, then bring partitions online. */
  async #onControllerFailover(won: ControllerEpoch): Promise<void> {
    this.#tenure += 1;
    this.#active = true;
    const context = this.#context;
    context.clear();
    context.epoch = won.epoch;
    context.epochZkVersion = won.epochZkVersion;

    const brokers = await this.#readLiveBrokers();
    for (const [id, broker] of brokers) context.liveBrokers.set(id, broker);
    const topics = await this.#zk.getChildren(
      TopicsZNode.path,
      this.#activeWatch('topic-change', () => this.#onTopicChange()),
    );
    for (const topic of (topics ?? []).sort()) {
      const assignment = await this.#readAssignment(topic);
      if (assignment) context.assignments.set(topic, assignment);
    }
    await this.#stateMachine.loadStates(context.allPartitions());
    const deletions = await this.#zk.getChildren(
      DeleteTopicsZNode.path,
      this.#activeWatch('topic-deletion', () => this.#onTopicDeletion()),
    );
    this.#logger.info(
      {
        epoch: context.epoch,
        liveBrokers: [...context.liveBrokers.keys()],
        topics: context.assignments.size,
        partitions: context.allPartitions().length,
      },
      'controller context loaded',
    );
    await this.#handleDeletionRequests(deletions ?? []);
    await this.#triggerOnlinePartitionStateChange();
    await this.#onIsrChange();
    await this.#deletion.resume();
    if (this.#config.autoLeaderRebalanceEnable) {
      this.#scheduleActive(this.#firstRebalanceCheckDelayMs, () =>
        this.#enqueue('auto-rebalance', () => this.#onAutoRebalance()),
      );
    }
    this.#scheduleActive(0, () => this.#enqueue('purge-config-changes', () => this.#onPurgeConfigChanges()));
    this.emit('elected', context.epoch);
  }

  // -------------------------------------------------------------------------------------------------
  // Brokers

  async #readLiveBrokers(): Promise<Map<number, LiveBroker>> {
    const ids = await this.#zk.getChildren(
      BrokerIdsZNode.path,
      this.#activeWatch('broker-change', () => this.#onBrokerChange()),
    );
    const brokers = new Map<number, LiveBroker>();
    for (const id of (ids ?? []).map(Number).filter(Number.isInteger)) {
      const node = await this.#zk.getData(BrokerIdZNode.path(id));
      if (node) {
        brokers.set(id, { registration: BrokerIdZNode.decode(id, node.data), brokerEpoch: node.stat.czxid });
      }
    }
    return brokers;
  }

  async #onBrokerChange(): Promise<void> {
    if (!this.#active) return;
    const context = this.#context;
    const current = await this.#readLiveBrokers();
    const previous = new Map(context.liveBrokers);
    const added = new Set([...current.keys()].filter((id) => !previous.has(id)));
    const dead = new Set([...previous.keys()].filter((id) => !current.has(id)));
    const bounced = new Set(
      [...current.keys()].filter(
        (id) => previous.has(id) && previous.get(id)?.brokerEpoch !== current.get(id)?.brokerEpoch,
      ),
    );
    if (added.size === 0 && dead.size === 0 && bounced.size === 0) return;
    this.#logger.info(
      { newBrokers: [...added], deadBrokers: [...dead], bouncedBrokers: [...bounced] },
      'live brokers changed',
    );
    // As Kafka: a bounced broker (registered anew under the same id) first fails, then starts.
    context.liveBrokers.clear();
    for (const [id, broker] of current) if (!bounced.has(id)) context.liveBrokers.set(id, broker);
    if (dead.size > 0 || bounced.size > 0) await this.#onBrokerFailure(new Set([...dead, ...bounced]));
    for (const id of bounced) context.liveBrokers.set(id, current.get(id) as LiveBroker);
    if (added.size > 0 || bounced.size > 0) await this.#onBrokerStartup(new Set([...added, ...bounced]));
  }

  /** Partitions the dead brokers led get new leaders; the dead leave every ISR (never emptying one). */
  async #onBrokerFailure(dead: ReadonlySet<number>): Promise<void> {
    const context = this.#context;
    this.#deletion.onBrokersDead(dead);
    const live = context.liveBrokerIds();
    const unclean = this.#uncleanLookup();
    const affected = context.allPartitions().filter(({ topic, partition }) => {
      if (this.#deletion.isQueued(topic)) return false;
      const state = context.state(topic, partition);
      if (state === undefined) return false;
      return dead.has(state.state.leader) || state.state.isr.some((id) => dead.has(id));
    });
    await this.#stateMachine.update(
      affected.map(({ topic, partition }) => ({
        topic,
        partition,
        reason: 'broker failure',
        decide: async (current) => {
          if (current.leader === NO_LEADER || !live.has(current.leader)) {
            const replicas = context.replicas(topic, partition);
            const elected = offlinePartitionLeader(replicas, current.isr, live, await unclean(topic));
            if (elected) {
              if (elected.unclean) this.#warnUnclean(topic, partition, elected.leader);
              return electedState(current, elected.leader, live, context.epoch);
            }
          }
          return withoutReplicas(current, dead, context.epoch);
        },
      })),
    );
    await this.#deletion.resume();
  }

  async #onBrokerStartup(started: ReadonlySet<number>): Promise<void> {
    this.#deletion.onBrokersStarted(started);
    await this.#triggerOnlinePartitionStateChange();
    await this.#deletion.resume();
  }

  /** New partitions get their first state; leaderless ones an offline election (Kafka's OnlinePartition). */
  async #triggerOnlinePartitionStateChange(): Promise<void> {
    const context = this.#context;
    const live = context.liveBrokerIds();
    const unclean = this.#uncleanLookup();
    const partitions = context.allPartitions().filter((tp) => !this.#deletion.isQueued(tp.topic));
    await this.#stateMachine.initialize(
      partitions.filter((tp) => context.state(tp.topic, tp.partition) === undefined),
    );
    const offline = partitions.filter((tp) => {
      const state = context.state(tp.topic, tp.partition);
      return state !== undefined && (state.state.leader === NO_LEADER || !live.has(state.state.leader));
    });
    const stillOffline: string[] = [];
    await this.#stateMachine.update(
      offline.map(({ topic, partition }) => ({
        topic,
        partition,
        reason: 'offline partition leader election',
        decide: async (current) => {
          if (current.leader !== NO_LEADER && live.has(current.leader)) return null;
          const replicas = context.replicas(topic, partition);
          const elected = offlinePartitionLeader(replicas, current.isr, live, await unclean(topic));
          if (!elected) {
            stillOffline.push(`${topic}-${partition}`);
            return null;
          }
          if (elected.unclean) this.#warnUnclean(topic, partition, elected.leader);
          return electedState(current, elected.leader, live, context.epoch);
        },
      })),
    );
    if (stillOffline.length > 0) {
      this.#logger.warn(
        { partitions: stillOffline.slice(0, 20), count: stillOffline.length },
        'partitions stay offline: no live replica in the ISR (unclean.leader.election.enable=false)',
      );
    }
  }

  /** unclean.leader.election.enable per topic, each topic's config read once per event. */
  #uncleanLookup(): (topic: string) => Promise<boolean> {
    const known = new Map<string, Promise<boolean>>();
    return (topic) => {
      let value = known.get(topic);
      if (value === undefined) {
        value = this.#unclean(topic);
        known.set(topic, value);
      }
      return value;
    };
  }

  /** unclean.leader.election.enable for a topic: its own config, else the broker's. */
  async #unclean(topic: string): Promise<boolean> {
    const node = await this.#zk.getData(TopicConfigZNode.path(topic));
    const value = node
      ? TopicConfigZNode.decode(topic, node.data)['unclean.leader.election.enable']
      : undefined;
    if (value?.toLowerCase() === 'true') return true;
    if (value?.toLowerCase() === 'false') return false;
    return this.#config.uncleanLeaderElectionEnable;
  }

  #warnUnclean(topic: string, partition: number, leader: number): void {
    this.#logger.warn(
      { topic, partition, leader },
      'unclean leader election: a replica outside the ISR leads; records it lacks are lost',
    );
  }

  // -------------------------------------------------------------------------------------------------
  // Topics

  async #readAssignment(topic: string): Promise<ReplicaAssignment | null> {
    const node = await this.#zk.getData(
      TopicZNode.path(topic),
      this.#activeWatch(`partition-modifications:${topic}`, () => this.#onPartitionModifications(topic)),
    );
    return node ? TopicZNode.decode(topic, node.data) : null;
  }

  async #onTopicChange(): Promise<void> {
    if (!this.#active) return;
    const context = this.#context;
    const names = new Set(
      (await this.#zk.getChildren(
        TopicsZNode.path,
        this.#activeWatch('topic-change', () => this.#onTopicChange()),
      )) ?? [],
    );
    for (const topic of [...context.assignments.keys()]) {
      if (!names.has(topic)) {
        this.#logger.info({ topic }, 'topic removed');
        context.removeTopic(topic);
      }
    }
    const created: TopicPartition[] = [];
    for (const topic of [...names].filter((t) => !context.assignments.has(t)).sort()) {
      const assignment = await this.#readAssignment(topic);
      if (!assignment) continue;
      context.assignments.set(topic, assignment);
      created.push(...context.partitionsOf(topic));
      this.#logger.info({ topic, partitions: assignment.size }, 'new topic');
    }
    await this.#stateMachine.initialize(created.filter((tp) => !this.#deletion.isQueued(tp.topic)));
  }

  /** /brokers/topics/<t> changed: partitions were added (Kafka's --alter --partitions). */
  async #onPartitionModifications(topic: string): Promise<void> {
    if (!this.#active) return;
    const context = this.#context;
    const assignment = await this.#readAssignment(topic);
    const known = context.assignments.get(topic);
    if (assignment === null || known === undefined) return;
    if (this.#deletion.isQueued(topic)) {
      this.#logger.info({ topic }, 'ignoring a partition change of a topic being deleted');
      return;
    }
    const added = [...assignment.keys()].filter((p) => !known.has(p)).sort((a, b) => a - b);
    context.assignments.set(topic, assignment);
    if (added.length === 0) return;
    this.#logger.info({ topic, partitions: added }, 'new partitions');
    await this.#stateMachine.initialize(added.map((partition) => ({ topic, partition })));
  }

  async #onTopicDeletion(): Promise<void> {
    if (!this.#active) return;
    const requested = await this.#zk.getChildren(
      DeleteTopicsZNode.path,
      this.#activeWatch('topic-deletion', () => this.#onTopicDeletion()),
    );
    await this.#handleDeletionRequests(requested ?? []);
    await this.#deletion.resume();
  }

  async #handleDeletionRequests(requested: readonly string[]): Promise<void> {
    if (requested.length === 0) return;
    if (!this.#config.deleteTopicEnable) {
      this.#logger.info(
        { topics: requested },
        'delete.topic.enable is false: removing the deletion requests, the topics stay',
      );
      await this.#removeFenced(requested.map((t) => DeleteTopicZNode.path(t)));
      return;
    }
    const unknown = requested.filter((t) => !this.#context.assignments.has(t));
    if (unknown.length > 0) {
      this.#logger.info({ topics: unknown }, 'removing deletion requests of topics that do not exist');
      await this.#removeFenced(unknown.map((t) => DeleteTopicZNode.path(t)));
    }
    this.#deletion.enqueue(requested.filter((t) => this.#context.assignments.has(t)));
  }

  // -------------------------------------------------------------------------------------------------
  // ISR changes, preferred leaders, housekeeping

  /** Leaders wrote new ISRs and left a notification: read those partitions' states again. */
  async #onIsrChange(): Promise<void> {
    if (!this.#active) return;
    const names = await this.#zk.getChildren(
      IsrChangeNotificationZNode.path,
      this.#activeWatch('isr-change', () => this.#onIsrChange()),
    );
    if (!names || names.length === 0) return;
    const partitions = new Map<string, TopicPartition>();
    for (const name of names.sort()) {
      const node = await this.#zk.getData(IsrChangeNotificationSequenceZNode.path(name));
      if (!node) continue;
      try {
        for (const tp of IsrChangeNotificationSequenceZNode.decode(name, node.data)) {
          partitions.set(`${tp.topic}-${tp.partition}`, tp);
        }
      } catch (err) {
        if (!(err instanceof ZnodeFormatError)) throw err;
        this.#logger.warn({ err: err.message }, 'ignoring a malformed ISR change notification');
      }
    }
    const known = [...partitions.values()].filter(
      (tp) => this.#context.assignments.get(tp.topic)?.has(tp.partition) === true,
    );
    await this.#stateMachine.loadStates(known);
    await this.#removeFenced(names.map((name) => IsrChangeNotificationSequenceZNode.path(name)));
    this.#logger.info({ partitions: known.length }, 'ISR changes applied');
  }

  async #onAutoRebalance(): Promise<void> {
    if (!this.#active) return;
    const context = this.#context;
    const candidates = partitionsToRebalance(
      context,
      this.#config.leaderImbalancePerBrokerPercentage,
      new Set(this.#deletion.queuedTopics),
    );
    if (candidates.length > 0) {
      await this.#stateMachine.update(
        candidates.map(({ topic, partition }) => ({
          topic,
          partition,
          reason: 'preferred replica leader election',
          decide: (current) => {
            const preferred = preferredReplicaLeader(
              context.replicas(topic, partition),
              current.isr,
              context.liveBrokerIds(),
            );
            if (preferred === null || preferred === current.leader) return null;
            return {
              ...current,
              leader: preferred,
              leaderEpoch: current.leaderEpoch + 1,
              controllerEpoch: context.epoch,
            };
          },
        })),
      );
    }
    this.#scheduleActive(this.#config.leaderImbalanceCheckIntervalMs, () =>
      this.#enqueue('auto-rebalance', () => this.#onAutoRebalance()),
    );
  }

  /** Removes /config/changes notifications older than Kafka's 15 minutes, so they do not pile up. */
  async #onPurgeConfigChanges(): Promise<void> {
    if (!this.#active) return;
    const names = (await this.#zk.getChildren(ConfigChangeNotificationZNode.path)) ?? [];
    const expired: string[] = [];
    const now = Date.now();
    for (const name of names) {
      const path = ConfigChangeNotificationSequenceZNode.path(name);
      const stat = await this.#zk.exists(path);
      if (stat && now - stat.ctimeMs > ConfigChangeNotificationZNode.expirationMs) expired.push(path);
    }
    await this.#removeFenced(expired);
    this.#scheduleActive(CONFIG_CHANGE_PURGE_INTERVAL_MS, () =>
      this.#enqueue('purge-config-changes', () => this.#onPurgeConfigChanges()),
    );
  }

  async #removeFenced(paths: readonly string[]): Promise<void> {
    await removeFenced(this.#zk, this.#context.epochZkVersion, paths);
  }
}
