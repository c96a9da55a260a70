// Apache Kafka 2.7.2 itself, as a reference for the parity tests and the reference benchmark: runs
// Kafka's own command-line tools (scripts/kafka-tool.sh) and starts a real Kafka 2.7.2 cluster, one
// broker or several sharing one ZooKeeper, on 127.0.0.1. The jars come from scripts/kafka-reference.sh
// (Maven Central, cached); nothing here is Kafka code, it only runs Kafka's published jars.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, ZooKeeperClient, ZooKeeperServer } from '@sluice/coordinator';
import { type RunResult, removeDir, tempDir } from './helpers.ts';

export const KAFKA_REFERENCE_VERSION = '2.7.2';
const REPO = fileURLToPath(new URL('..', import.meta.url));
const KAFKA_TOOL = join(REPO, 'scripts', 'kafka-tool.sh');
const BROKER_LOG4J = join(REPO, 'test', 'kafka-reference', 'broker-log4j.properties');
const KAFKA_HOME = process.env.SLUICE_KAFKA_HOME ?? join(homedir(), '.cache', 'sluice', 'kafka-2.7.2');

const DEFAULT_TOOL_TIMEOUT_MS = 60_000;
const BROKER_START_TIMEOUT_MS = 60_000;
const BROKER_STOP_TIMEOUT_MS = 20_000;
const READINESS_POLL_MS = 100;
const METADATA_TIMEOUT_MS = 1_000;
/** Each broker JVM's heap: three brokers and a client JVM fit a small machine. */
const BROKER_HEAP_OPTS = '-Xmx512m -Xms128m';

/** Why the reference jars cannot be used, or null when they can. */
export function kafkaReferenceMissing(): string | null {
  return existsSync(join(KAFKA_HOME, 'libs', `kafka_2.12-${KAFKA_REFERENCE_VERSION}.jar`))
    ? null
    : `Kafka ${KAFKA_REFERENCE_VERSION} jars are not in ${KAFKA_HOME}/libs: run bash scripts/kafka-reference.sh`;
}

/**
 * Runs one of Kafka's tools to completion, e.g. runKafkaTool('kafka-topics', ['--list', ...]): `input`
 * goes to its standard input (closed after), `env` adds to the environment; a run longer than
 * timeoutMs, or one whose `signal` aborts, is killed and rejects.
 */
export function runKafkaTool(
  tool: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number; signal?: AbortSignal; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const startedMs = Date.now();
    const child = spawn(KAFKA_TOOL, [tool, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
      ...(options.signal ? { signal: options.signal, killSignal: 'SIGKILL' } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${tool} ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${Buffer.concat(err).toString()}`,
        ),
      );
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        elapsedMs: Date.now() - startedMs,
      });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * How many brokers the broker on `port` names in its answer to a Metadata v0 request, or null when it
 * does not answer. A listening port is not enough: the answer proves the broker is processing requests,
 * and the count shows whether it has learnt of its peers yet.
 */
async function brokersInMetadata(port: number): Promise<number | null> {
  // Request header v1 and a v0 body: size, api key 3, version 0, correlation id, null client id, and
  // an empty topic array (all topics; only the broker array at the start of the answer is read).
  const request = Buffer.alloc(18);
  request.writeInt32BE(14, 0);
  request.writeInt16BE(3, 4);
  request.writeInt16BE(0, 6);
  request.writeInt32BE(7, 8);
  request.writeInt16BE(-1, 12);
  request.writeInt32BE(0, 14);
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), METADATA_TIMEOUT_MS);
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      // size (4), correlation id (4), broker count (4): enough to judge.
      if (answer.length >= 12) socket.destroy();
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(answer.length >= 12 && answer.readInt32BE(4) === 7 ? answer.readInt32BE(8) : null);
    });
    socket.once('error', () => undefined);
  });
}

export interface KafkaReferenceOptions {
  /** Extra server.properties entries (for every broker). */
  properties?: Record<string, string>;
}

export interface KafkaReferenceClusterOptions extends KafkaReferenceOptions {
  /** Brokers sharing the one ZooKeeper, ids 0 to brokers - 1 (default 1). */
  brokers?: number;
}

/** One broker JVM of a reference cluster, with its own directory under the cluster's. */
export class KafkaReferenceNode {
  readonly id: number;
  readonly port: number;
  readonly logFile: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #hasExited = false;

  private constructor(id: number, port: number, logFile: string, child: ChildProcess) {
    this.id = id;
    this.port = port;
    this.logFile = logFile;
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      const exited = () => {
        this.#hasExited = true;
        resolve();
      };
      child.once('exit', exited);
      // A process that could not be spawned emits no 'exit'.
      child.once('error', exited);
    });
  }

  /** Writes the broker's server.properties into `dir` and starts it; does not wait for it to serve. */
  static async spawn(
    id: number,
    dir: string,
    zookeeperConnect: string,
    extraProperties: Record<string, string> | undefined,
  ): Promise<KafkaReferenceNode> {
    const port = await freePort();
    await mkdir(dir, { recursive: true });
    const properties: Record<string, string> = {
      'broker.id': String(id),
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      'log.dirs': join(dir, 'logs'),
      'zookeeper.connect': zookeeperConnect,
      'zookeeper.connection.timeout.ms': '10000',
      'offsets.topic.replication.factor': '1',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'group.initial.rebalance.delay.ms': '0',
      'num.partitions': '1',
      'default.replication.factor': '1',
      ...extraProperties,
    };
    const propertiesFile = join(dir, 'server.properties');
    await writeFile(
      propertiesFile,
      `${Object.entries(properties)
        .map(([key, value]) => `${key}=${value}`)
        .join('\n')}\n`,
    );
    const logFile = join(dir, 'server.out');
    const out = openSync(logFile, 'a');
    // kafka-tool.sh execs java, so the child's pid is the JVM's and signals reach it directly.
    const child = spawn(KAFKA_TOOL, ['kafka.Kafka', propertiesFile], {
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        KAFKA_HEAP_OPTS: BROKER_HEAP_OPTS,
        KAFKA_LOG4J_OPTS: `-Dlog4j.configuration=file:${BROKER_LOG4J} -Dkafka.logs.dir=${dir}`,
      },
    });
    return new KafkaReferenceNode(id, port, logFile, child);
  }

  /** host:port of its listener. */
  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get hasExited(): boolean {
    return this.#hasExited;
  }

  async logTail(): Promise<string> {
    const text = await readFile(this.logFile, 'utf8').catch(() => '');
    return `the last lines of ${this.logFile}:\n${text.split('\n').slice(-20).join('\n')}`;
  }

  /** SIGTERM (a controlled shutdown), SIGKILL if it lingers; resolves once the JVM is gone. */
  async stop(): Promise<void> {
    if (this.#hasExited) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), BROKER_STOP_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** A real Kafka 2.7.2 cluster: N brokers (ids 0 to N - 1) sharing one ZooKeeper, all on 127.0.0.1. */
export class KafkaReferenceCluster {
  readonly dataDir: string;
  readonly brokers: readonly KafkaReferenceNode[];
  readonly #zookeeper: ZooKeeperServer;

  private constructor(dataDir: string, zookeeper: ZooKeeperServer, brokers: readonly KafkaReferenceNode[]) {
    this.dataDir = dataDir;
    this.#zookeeper = zookeeper;
    this.brokers = brokers;
  }

  /** Every broker's host:port, comma-separated: for --bootstrap-server and bootstrap.servers. */
  get bootstrap(): string {
    return this.brokers.map((b) => b.bootstrap).join(',');
  }

  /** host:port of the ZooKeeper, for reading the cluster's znodes. */
  get zookeeperConnect(): string {
    return this.#zookeeper.connectString;
  }

  /**
   * Starts ZooKeeper, then the brokers; resolves once every broker serves requests and knows every
   * other, and a controller is elected, so that a topic created next spreads over all the brokers.
   */
  static async start(options: KafkaReferenceClusterOptions = {}): Promise<KafkaReferenceCluster> {
    const count = options.brokers ?? 1;
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`brokers must be a positive integer: ${count}`);
    const missing = kafkaReferenceMissing();
    if (missing !== null) throw new Error(missing);
    const dataDir = await tempDir('kafka-reference');
    const zookeeper = await ZooKeeperServer.start({ dataDir: join(dataDir, 'zookeeper') }).catch(
      async (err: unknown) => {
        await removeDir(dataDir);
        throw err;
      },
    );
    const brokers: KafkaReferenceNode[] = [];
    const cluster = new KafkaReferenceCluster(dataDir, zookeeper, brokers);
    try {
      for (let id = 0; id < count; id++) {
        brokers.push(
          await KafkaReferenceNode.spawn(
            id,
            join(dataDir, `kafka-${id}`),
            zookeeper.connectString,
            options.properties,
          ),
        );
      }
      await cluster.#waitUntilReady(Date.now() + BROKER_START_TIMEOUT_MS);
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  async #waitUntilReady(deadline: number): Promise<void> {
    const zk = await ZooKeeperClient.connect({
      connectString: this.zookeeperConnect,
      sessionTimeoutMs: 10_000,
      connectionTimeoutMs: 10_000,
    });
    try {
      const everyBroker = this.brokers.length;
      while (Date.now() < deadline) {
        const exited = this.brokers.find((b) => b.hasExited);
        if (exited)
          throw new Error(`Kafka broker ${exited.id} exited during start-up: ${await exited.logTail()}`);
        const known = await Promise.all(this.brokers.map((b) => brokersInMetadata(b.port)));
        if (known.every((n) => n === everyBroker) && (await zk.exists('/controller')) !== null) return;
        await new Promise((resolve) => setTimeout(resolve, READINESS_POLL_MS));
      }
      const tails = await Promise.all(this.brokers.map((b) => b.logTail()));
      throw new Error(`Kafka did not serve on ${this.bootstrap} in time:\n${tails.join('\n')}`);
    } finally {
      zk.close();
    }
  }

  /**
   * Stops the brokers (SIGTERM: a controlled shutdown; SIGKILL if one lingers), then ZooKeeper, and
   * removes the data. Resolves once every process is gone.
   */
  async stop(): Promise<void> {
    await Promise.allSettled(this.brokers.map((b) => b.stop()));
    await this.#zookeeper.stop();
    await removeDir(this.dataDir);
  }
}

/** A real Kafka 2.7.2 broker (id 0) and its own ZooKeeper, both on 127.0.0.1: a cluster of one. */
export class KafkaReferenceBroker {
  readonly #cluster: KafkaReferenceCluster;
  readonly #broker: KafkaReferenceNode;

  private constructor(cluster: KafkaReferenceCluster, broker: KafkaReferenceNode) {
    this.#cluster = cluster;
    this.#broker = broker;
  }

  /** Starts ZooKeeper, then the broker; resolves once the broker serves requests and is controller. */
  static async start(options: KafkaReferenceOptions = {}): Promise<KafkaReferenceBroker> {
    const cluster = await KafkaReferenceCluster.start({ ...options, brokers: 1 });
    return new KafkaReferenceBroker(cluster, cluster.brokers[0]!);
  }

  get dataDir(): string {
    return this.#cluster.dataDir;
  }

  get port(): number {
    return this.#broker.port;
  }

  get logFile(): string {
    return this.#broker.logFile;
  }

  /** host:port for --bootstrap-server. */
  get bootstrap(): string {
    return this.#broker.bootstrap;
  }

  get pid(): number | undefined {
    return this.#broker.pid;
  }

  /** Stops the broker, then ZooKeeper, and removes the data. Resolves once both processes are gone. */
  async stop(): Promise<void> {
    await this.#cluster.stop();
  }
}
