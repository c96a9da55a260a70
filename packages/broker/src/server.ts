// The broker process's lifecycle (Kafka's KafkaServer): start-up in dependency order, the ZooKeeper
// session and its expiry, and an orderly shutdown. It owns the components (the controller every broker
// runs among them); they do the work.
import { mkdir } from 'node:fs/promises';
import type * as grpc from '@grpc/grpc-js';
import {
  type BrokerEndpoint,
  BrokerIdInUseError,
  ClusterIdZNode,
  Controller,
  createTopLevelPaths,
  generateBrokerId,
  getOrCreateClusterId,
  MetadataView,
  ProducerIdManager,
  registerBroker,
  ZooKeeperClient,
} from '@sluice/coordinator';
import { ErrorCode } from '@sluice/protocol';
import type { Logger } from 'pino';
import { PartitionCreator } from './admin/partition-creator.ts';
import { TopicConfigAdmin } from './admin/topic-config-admin.ts';
import { TopicCreator } from './admin/topic-creator.ts';
import { TopicDeleter } from './admin/topic-deleter.ts';
import { GrpcControllerChannel } from './api/grpc/controller-channel.ts';
import { startGrpcServer } from './api/grpc/grpc-server.ts';
import { GrpcLeaderEndpoints } from './api/grpc/leader-endpoint.ts';
import { type KafkaServer, startKafkaServer } from './api/kafka/kafka-server.ts';
import { type BrokerConfig, effectiveTopicConfig } from './config/index.ts';
import { GroupCoordinator } from './group/group-coordinator.ts';
import { LogManager } from './log/index.ts';
import { readMetaProperties, storedBrokerId, writeMetaProperties } from './meta-properties.ts';
import { ReplicaFetcherManager } from './replication/replica-fetcher-manager.ts';
import { ReplicaManager } from './replication/replica-manager.ts';

/** A start-up failure an operator can fix: printed as one line, without a stack trace. */
export class BrokerStartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerStartupError';
  }
}

const GRPC_SHUTDOWN_GRACE_MS = 5_000;
/** Deadline of one ControlledShutdown request (at most controller.socket.timeout.ms). */
const CONTROLLED_SHUTDOWN_REQUEST_TIMEOUT_MS = 10_000;
/** Longest pause between attempts to rejoin after a session expiry. */
const REJOIN_MAX_BACKOFF_MS = 5_000;

export class Broker {
  readonly config: BrokerConfig;
  readonly #rootLogger: Logger;
  #logger: Logger;
  #zk: ZooKeeperClient | undefined;
  #metadata: MetadataView | undefined;
  #logManager: LogManager | undefined;
  #replicaManager: ReplicaManager | undefined;
  #controller: Controller | undefined;
  #controllerChannel: GrpcControllerChannel | undefined;
  #leaderEndpoints: GrpcLeaderEndpoints | undefined;
  #fetchers: ReplicaFetcherManager | undefined;
  #groupCoordinator: GroupCoordinator | undefined;
  readonly #grpcServers: grpc.Server[] = [];
  #kafkaServers: KafkaServer[] = [];
  #brokerId = -1;
  #clusterId = '';
  #endpoints: BrokerEndpoint[] = [];
  #stopping = false;

  constructor(config: BrokerConfig, logger: Logger) {
    this.config = config;
    this.#rootLogger = logger;
    this.#logger = logger.child({ component: 'server' });
  }

  get brokerId(): number {
    return this.#brokerId;
  }

  get endpoints(): readonly BrokerEndpoint[] {
    return this.#endpoints;
  }

  /** This broker's controller (active or not). */
  get controller(): Controller | undefined {
    return this.#controller;
  }

  async start(): Promise<void> {
    const config = this.config;
    for (const dir of config.logDirs) await mkdir(dir, { recursive: true });
    this.#zk = await this.#connectZooKeeper();
    await createTopLevelPaths(this.#zk);
    this.#clusterId = await getOrCreateClusterId(this.#zk);
    this.#brokerId = await this.#resolveBrokerId(this.#zk);
    this.#rootLoggerWithId();
    this.#logger.info({ clusterId: this.#clusterId }, 'starting broker');

    this.#logManager = await LogManager.open({
      logDirs: config.logDirs,
      defaultConfig: effectiveTopicConfig(config, {}),
      logger: this.#rootLogger.child({ brokerId: this.#brokerId, component: 'log-manager' }),
      retentionCheckIntervalMs: config.logRetentionCheckIntervalMs,
      flushCheckpointIntervalMs: config.logFlushOffsetCheckpointIntervalMs,
      cleanerEnable: config.logCleanerEnable,
      cleanerBackoffMs: config.logCleanerBackoffMs,
    });
    const metadata = new MetadataView(
      this.#zk,
      this.#rootLogger.child({ brokerId: this.#brokerId, component: 'metadata' }),
    );
    this.#metadata = metadata;
    await metadata.start();
    const leaderEndpoints = new GrpcLeaderEndpoints({
      listenerName: config.interBrokerListenerName,
      timeoutMs: config.replicaSocketTimeoutMs,
      maxMessageBytes: config.socketRequestMaxBytes,
    });
    this.#leaderEndpoints = leaderEndpoints;
    const fetchers = new ReplicaFetcherManager({
      config: {
        brokerId: this.#brokerId,
        numReplicaFetchers: config.numReplicaFetchers,
        replicaFetchWaitMaxMs: config.replicaFetchWaitMaxMs,
        replicaFetchMinBytes: config.replicaFetchMinBytes,
        replicaFetchMaxBytes: config.replicaFetchMaxBytes,
        replicaFetchResponseMaxBytes: config.replicaFetchResponseMaxBytes,
        replicaFetchBackoffMs: config.replicaFetchBackoffMs,
      },
      connect: (leaderId) => {
        const broker = metadata.brokers.get(leaderId);
        return broker ? leaderEndpoints.endpoint(broker) : null;
      },
      logger: this.#rootLogger.child({ brokerId: this.#brokerId, component: 'replica-fetcher' }),
    });
    const replicaManager = new ReplicaManager({
      brokerId: this.#brokerId,
      config,
      logManager: this.#logManager,
      metadata,
      logger: this.#rootLogger.child({ brokerId: this.#brokerId, component: 'replica-manager' }),
      fetchers,
      zk: () => this.#requireZk(),
    });
    this.#replicaManager = replicaManager;
    this.#fetchers = fetchers;
    const adminLogger = this.#rootLogger.child({ brokerId: this.#brokerId, component: 'admin' });
    const zk = () => this.#requireZk();
    const topicCreator = new TopicCreator({ zk, metadata, config, logger: adminLogger });
    // Before the first reconciliation: it must hear of every __consumer_offsets partition this broker leads.
    const groupCoordinator = new GroupCoordinator({
      brokerId: this.#brokerId,
      config,
      metadata,
      replicaManager,
      topicCreator,
      logger: this.#rootLogger.child({ brokerId: this.#brokerId, component: 'group-coordinator' }),
    });
    this.#groupCoordinator = groupCoordinator;
    metadata.on('change', () => void replicaManager.reconcile());
    await replicaManager.reconcile();

    const partitionCreator = new PartitionCreator({ zk, metadata, logger: adminLogger });
    const topicDeleter = new TopicDeleter({ zk, metadata, config, logger: adminLogger });
    const topicConfigAdmin = new TopicConfigAdmin({ zk, metadata, config, logger: adminLogger });
    // One block of producer ids per broker, shared by its listeners.
    const producerIds = new ProducerIdManager(zk, this.#brokerId);
    // Every GRPC listener gets its own server, and each answers Metadata with the brokers' endpoints on
    // its own listener name (Kafka's rule): INTERNAL clients see INTERNAL addresses, EXTERNAL ones
    // EXTERNAL addresses. This is what makes one compose file serve containers and the host alike.
    const grpcListeners = config.listeners.filter((l) => l.protocol === 'GRPC');
    if (grpcListeners.length === 0) {
      throw new BrokerStartupError('listeners must include a listener of protocol GRPC, e.g. GRPC://:9092');
    }
    // The core both front doors serve: each listener adds only its name and its logger.
    const core = {
      brokerId: this.#brokerId,
      clusterId: this.#clusterId,
      config,
      metadata,
      replicaManager,
      producerIds,
      topicCreator,
      partitionCreator,
      topicDeleter,
      topicConfigAdmin,
      groupCoordinator,
    };
    const listenerLogger = (component: string, listenerName: string) =>
      this.#rootLogger.child({ brokerId: this.#brokerId, component, listener: listenerName });
    const boundPorts = new Map<string, number>();
    for (const listener of grpcListeners) {
      const { server, port } = await startGrpcServer(
        {
          ...core,
          listenerName: listener.name,
          controlledShutdown: async (brokerId) =>
            this.#controller
              ? this.#controller.controlledShutdown(brokerId)
              : { errorCode: ErrorCode.NOT_CONTROLLER, remaining: [] },
          logger: listenerLogger('grpc', listener.name),
        },
        listener.host === '' ? '0.0.0.0' : listener.host,
        listener.port,
      ).catch((err: Error) => {
        throw new BrokerStartupError(err.message);
      });
      this.#grpcServers.push(server);
      boundPorts.set(listener.name, port);
    }
    // Every KAFKA listener serves Kafka's wire protocol over the same core.
    for (const listener of config.listeners.filter((l) => l.protocol === 'KAFKA')) {
      const kafkaServer = await startKafkaServer(
        { ...core, listenerName: listener.name, logger: listenerLogger('kafka', listener.name) },
        listener.host === '' ? '0.0.0.0' : listener.host,
        listener.port,
      ).catch((err: Error) => {
        throw new BrokerStartupError(err.message);
      });
      this.#kafkaServers.push(kafkaServer);
      boundPorts.set(listener.name, kafkaServer.port);
    }
    this.#endpoints = config.advertisedListeners.map((l) => ({
      listenerName: l.name,
      host: l.host === '' ? '127.0.0.1' : l.host,
      // Port 0 asks for any free port: advertise the one bound.
      port: l.port === 0 ? (boundPorts.get(l.name) ?? 0) : l.port,
    }));
    await this.#register(this.#zk);
    // As Kafka's KafkaServer: the controller campaigns once the broker is registered.
    this.#controllerChannel = new GrpcControllerChannel({
      brokerId: this.#brokerId,
      listenerName: config.interBrokerListenerName,
      timeoutMs: config.controllerSocketTimeoutMs,
      local: (request) => replicaManager.stopReplicas(request),
    });
    this.#controller = new Controller({
      brokerId: this.#brokerId,
      zk: this.#zk,
      config: {
        deleteTopicEnable: config.deleteTopicEnable,
        uncleanLeaderElectionEnable: config.uncleanLeaderElectionEnable,
        autoLeaderRebalanceEnable: config.autoLeaderRebalanceEnable,
        leaderImbalancePerBrokerPercentage: config.leaderImbalancePerBrokerPercentage,
        leaderImbalanceCheckIntervalMs: config.leaderImbalanceCheckIntervalSeconds * 1000,
      },
      channel: this.#controllerChannel,
      logger: this.#rootLogger.child({ brokerId: this.#brokerId, component: 'controller' }),
    });
    this.#controller.startup();
    this.#logger.info({ endpoints: this.#endpoints }, 'broker started');
  }

  async #connectZooKeeper(): Promise<ZooKeeperClient> {
    const zk = await ZooKeeperClient.connect({
      connectString: this.config.zookeeperConnect,
      sessionTimeoutMs: this.config.zookeeperSessionTimeoutMs,
      connectionTimeoutMs: this.config.zookeeperConnectionTimeoutMs,
    }).catch((err: Error) => {
      throw new BrokerStartupError(err.message);
    });
    zk.on('disconnected', () =>
      this.#logger.warn('ZooKeeper connection lost; serving current leaders meanwhile'),
    );
    zk.on('connected', () => this.#logger.info('ZooKeeper connected'));
    zk.on('expired', () => void this.#onSessionExpired());
    return zk;
  }

  #requireZk(): ZooKeeperClient {
    if (!this.#zk) throw new Error('ZooKeeper is not connected');
    return this.#zk;
  }

  #rootLoggerWithId(): void {
    this.#logger = this.#rootLogger.child({ brokerId: this.#brokerId, component: 'server' });
  }

  /**
   * broker.id from the config, else the one kept in meta.properties, else a generated one (kept in
   * meta.properties for the next start). A configured id that contradicts meta.properties is refused.
   */
  async #resolveBrokerId(zk: ZooKeeperClient): Promise<number> {
    const config = this.config;
    let stored: number | null;
    try {
      stored = await storedBrokerId(config.logDirs);
    } catch (err) {
      throw new BrokerStartupError((err as Error).message);
    }
    for (const dir of config.logDirs) {
      const meta = await readMetaProperties(dir);
      if (meta?.clusterId && meta.clusterId !== this.#clusterId) {
        throw new BrokerStartupError(
          `The cluster id ${this.#clusterId} in ZooKeeper does not match the cluster id ${meta.clusterId} in ${dir}/meta.properties: ` +
            'this log dir belongs to another cluster',
        );
      }
    }
    let brokerId: number;
    if (config.brokerId >= 0) {
      if (stored !== null && stored !== config.brokerId) {
        throw new BrokerStartupError(
          `Configured broker.id ${config.brokerId} doesn't match stored broker.id ${stored} in meta.properties`,
        );
      }
      brokerId = config.brokerId;
    } else if (stored !== null) {
      brokerId = stored;
    } else if (config.brokerIdGenerationEnable) {
      brokerId = await generateBrokerId(zk, config.reservedBrokerMaxId);
    } else {
      throw new BrokerStartupError('broker.id is not set and broker.id.generation.enable is false');
    }
    for (const dir of config.logDirs)
      await writeMetaProperties(dir, { brokerId, clusterId: this.#clusterId });
    return brokerId;
  }

  async #register(zk: ZooKeeperClient): Promise<void> {
    try {
      await registerBroker(zk, {
        id: this.#brokerId,
        endpoints: this.#endpoints,
        rack: this.config.brokerRack,
        timestampMs: Date.now(),
      });
    } catch (err) {
      if (err instanceof BrokerIdInUseError) throw new BrokerStartupError(err.message);
      throw err;
    }
  }

  /**
   * The session is gone, and with it our registration, watches and (if we had it) the controller role.
   * As Kafka does: resign, start a new session, register again, re-read the metadata and campaign again.
   * Partitions keep being served from the current view meanwhile; retries back off, without end, since a
   * broker cut off from ZooKeeper has nothing better to do.
   */
  async #onSessionExpired(): Promise<void> {
    if (this.#stopping) return;
    this.#logger.warn('ZooKeeper session expired; re-registering');
    this.#controller?.onSessionExpired();
    for (let attempt = 1; !this.#stopping; attempt++) {
      try {
        this.#zk?.close();
        const zk = await this.#connectZooKeeper();
        this.#zk = zk;
        await this.#checkClusterId(zk);
        await createTopLevelPaths(zk);
        await this.#register(zk);
        await this.#metadata?.rebind(zk);
        await this.#replicaManager?.reconcile();
        this.#controller?.rebind(zk);
        this.#logger.info('re-registered after session expiry');
        return;
      } catch (err) {
        this.#logger.error({ err, attempt }, 're-registration failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(REJOIN_MAX_BACKOFF_MS, 200 * attempt)));
      }
    }
  }

  /**
   * A ZooKeeper that no longer holds our cluster id (wiped, or another ensemble) must not be joined: its
   * empty topic list would read as "every topic was deleted".
   */
  async #checkClusterId(zk: ZooKeeperClient): Promise<void> {
    const node = await zk.getData(ClusterIdZNode.path);
    const clusterId = node ? ClusterIdZNode.decode(node.data) : null;
    if (clusterId !== this.#clusterId) {
      throw new Error(
        `ZooKeeper holds cluster id ${clusterId ?? '(none)'}, not this broker's ${this.#clusterId}: not rejoining`,
      );
    }
  }

  /**
   * Kafka's controlled shutdown: stop following (so that no leader takes this broker back into an ISR),
   * then ask the controller to move the leadership of the partitions it leads to other ISR members and to
   * take it out of the ISRs, so that producers move on before the broker goes. Bounded by
   * controlled.shutdown.max.retries attempts, controlled.shutdown.retry.backoff.ms apart; failing that,
   * the broker stops anyway (the controller then reacts to its session ending).
   */
  async #controlledShutdown(): Promise<void> {
    await this.#fetchers?.close();
    const attempts = Math.max(1, this.config.controlledShutdownMaxRetries);
    const timeoutMs = Math.min(this.config.controllerSocketTimeoutMs, CONTROLLED_SHUTDOWN_REQUEST_TIMEOUT_MS);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const controllerId = this.#metadata?.controllerId ?? -1;
        let answer: { errorCode: number; remaining: number };
        if (controllerId === this.#brokerId && this.#controller) {
          const local = await this.#controller.controlledShutdown(this.#brokerId);
          answer = { errorCode: local.errorCode, remaining: local.remaining.length };
        } else {
          const controller = this.#metadata?.brokers.get(controllerId);
          if (!controller || !this.#leaderEndpoints) throw new Error('no controller is known');
          answer = await this.#leaderEndpoints.controlledShutdown(controller, this.#brokerId, timeoutMs);
        }
        if (answer.errorCode === ErrorCode.NONE && answer.remaining === 0) {
          this.#logger.info({ attempt }, 'controlled shutdown succeeded');
          return;
        }
        this.#logger.warn({ attempt, ...answer }, 'controlled shutdown incomplete; retrying');
      } catch (err) {
        this.#logger.warn({ err, attempt }, 'controlled shutdown attempt failed');
      }
      if (attempt < attempts)
        await new Promise((resolve) => setTimeout(resolve, this.config.controlledShutdownRetryBackoffMs));
    }
    this.#logger.warn('controlled shutdown did not complete; shutting down anyway');
  }

  /** Deregisters (by closing the session), stops serving, then closes the logs cleanly. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#logger.info('shutting down');
    if (this.config.controlledShutdownEnable && this.#controller) await this.#controlledShutdown();
    // Closing the session removes /controller and our registration at once: the others react now,
    // not a session timeout later.
    this.#controller?.close();
    this.#metadata?.close();
    this.#zk?.close();
    this.#controllerChannel?.close();
    this.#groupCoordinator?.close();
    this.#replicaManager?.close();
    this.#leaderEndpoints?.close();
    await Promise.all(this.#kafkaServers.map((s) => s.close()));
    await Promise.all(
      this.#grpcServers.map(
        (server) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              server.forceShutdown();
              resolve();
            }, GRPC_SHUTDOWN_GRACE_MS);
            server.tryShutdown(() => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
    await this.#logManager?.close();
    this.#logger.info('shut down');
  }
}
