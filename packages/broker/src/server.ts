// The broker process's lifecycle (Kafka's KafkaServer): start-up in dependency order, the ZooKeeper
// session and its expiry, and an orderly shutdown. It owns the components; they do the work.
import { mkdir } from 'node:fs/promises';
import type * as grpc from '@grpc/grpc-js';
import {
  type BrokerEndpoint,
  BrokerIdInUseError,
  createTopLevelPaths,
  generateBrokerId,
  getOrCreateClusterId,
  MetadataView,
  registerBroker,
  ZooKeeperClient,
} from '@sluice/coordinator';
import type { Logger } from 'pino';
import { TopicCreator } from './admin/topic-creator.ts';
import { startGrpcServer } from './api/grpc/grpc-server.ts';
import { type BrokerConfig, effectiveTopicConfig } from './config/index.ts';
import { LogManager } from './log/index.ts';
import { readMetaProperties, storedBrokerId, writeMetaProperties } from './meta-properties.ts';
import { ReplicaManager } from './replication/replica-manager.ts';

/** A start-up failure an operator can fix: printed as one line, without a stack trace. */
export class BrokerStartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerStartupError';
  }
}

const GRPC_SHUTDOWN_GRACE_MS = 5_000;

export class Broker {
  readonly config: BrokerConfig;
  readonly #rootLogger: Logger;
  #logger: Logger;
  #zk: ZooKeeperClient | undefined;
  #metadata: MetadataView | undefined;
  #logManager: LogManager | undefined;
  #replicaManager: ReplicaManager | undefined;
  #grpcServer: grpc.Server | undefined;
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
    });
    const metadata = new MetadataView(
      this.#zk,
      this.#rootLogger.child({ brokerId: this.#brokerId, component: 'metadata' }),
    );
    this.#metadata = metadata;
    await metadata.start();
    const replicaManager = new ReplicaManager({
      brokerId: this.#brokerId,
      config,
      logManager: this.#logManager,
      metadata,
      logger: this.#rootLogger.child({ brokerId: this.#brokerId, component: 'replica-manager' }),
    });
    this.#replicaManager = replicaManager;
    metadata.on('change', () => void replicaManager.reconcile());
    await replicaManager.reconcile();

    const topicCreator = new TopicCreator({
      zk: () => this.#requireZk(),
      metadata,
      config,
      logger: this.#rootLogger.child({ brokerId: this.#brokerId, component: 'admin' }),
    });
    const grpcListener = config.listeners.find((l) => l.protocol === 'GRPC');
    if (!grpcListener)
      throw new BrokerStartupError('listeners must include a listener of protocol GRPC, e.g. GRPC://:9092');
    const { server, port } = await startGrpcServer(
      {
        brokerId: this.#brokerId,
        clusterId: this.#clusterId,
        listenerName: grpcListener.name,
        config,
        metadata,
        replicaManager,
        topicCreator,
        logger: this.#rootLogger.child({ brokerId: this.#brokerId, component: 'grpc' }),
      },
      grpcListener.host === '' ? '0.0.0.0' : grpcListener.host,
      grpcListener.port,
    ).catch((err: Error) => {
      throw new BrokerStartupError(err.message);
    });
    this.#grpcServer = server;
    this.#endpoints = config.advertisedListeners.map((l) => ({
      listenerName: l.name,
      host: l.host === '' ? '127.0.0.1' : l.host,
      // Port 0 asks for any free port: advertise the one bound.
      port: l.name === grpcListener.name && l.port === 0 ? port : l.port,
    }));
    await this.#register(this.#zk);
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
   * The session is gone, and with it our registration and watches. As Kafka does, start a new session,
   * register again and re-read the metadata; partitions keep being served meanwhile.
   */
  async #onSessionExpired(): Promise<void> {
    if (this.#stopping) return;
    this.#logger.warn('ZooKeeper session expired; re-registering');
    for (let attempt = 1; !this.#stopping; attempt++) {
      try {
        this.#zk?.close();
        const zk = await this.#connectZooKeeper();
        this.#zk = zk;
        await this.#register(zk);
        await this.#metadata?.rebind(zk);
        await this.#replicaManager?.reconcile();
        this.#logger.info('re-registered after session expiry');
        return;
      } catch (err) {
        this.#logger.error({ err, attempt }, 're-registration failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 200 * attempt)));
      }
    }
  }

  /** Deregisters (by closing the session), stops serving, then closes the logs cleanly. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#logger.info('shutting down');
    this.#metadata?.close();
    this.#zk?.close();
    this.#replicaManager?.close();
    const server = this.#grpcServer;
    if (server) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, GRPC_SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await this.#logManager?.close();
    this.#logger.info('shut down');
  }
}
