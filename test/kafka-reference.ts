// Apache Kafka 2.7.2 itself, as a reference for the parity tests: runs Kafka's own command-line tools
// (scripts/kafka-tool.sh) and starts a real single-broker Kafka 2.7.2 cluster with its own ZooKeeper on
// 127.0.0.1. The jars come from scripts/kafka-reference.sh (Maven Central, cached); nothing here is
// Kafka code, it only runs Kafka's published jars.
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
const API_VERSIONS_TIMEOUT_MS = 1_000;

/** Why the reference jars cannot be used, or null when they can. */
export function kafkaReferenceMissing(): string | null {
  return existsSync(join(KAFKA_HOME, 'libs', `kafka_2.12-${KAFKA_REFERENCE_VERSION}.jar`))
    ? null
    : `Kafka ${KAFKA_REFERENCE_VERSION} jars are not in ${KAFKA_HOME}/libs: run bash scripts/kafka-reference.sh`;
}

/**
 * Runs one of Kafka's tools to completion, e.g. runKafkaTool('kafka-topics', ['--list', ...]): `input`
 * goes to its standard input (closed after); a run longer than timeoutMs is killed and rejects.
 */
export function runKafkaTool(
  tool: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const startedMs = Date.now();
    const child = spawn(KAFKA_TOOL, [tool, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
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
 * True when the broker answers an ApiVersions v0 request without error. A listening port is not
 * enough: the answer proves the broker is processing requests.
 */
async function answersApiVersions(port: number): Promise<boolean> {
  // Request header v1 and an empty v0 body: size, api key 18, version 0, correlation id, null client id.
  const request = Buffer.alloc(14);
  request.writeInt32BE(10, 0);
  request.writeInt16BE(18, 4);
  request.writeInt16BE(0, 6);
  request.writeInt32BE(7, 8);
  request.writeInt16BE(-1, 12);
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), API_VERSIONS_TIMEOUT_MS);
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      // size (4), correlation id (4), error code (2): enough to judge.
      if (answer.length >= 10) socket.destroy();
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(answer.length >= 10 && answer.readInt32BE(4) === 7 && answer.readInt16BE(8) === 0);
    });
    socket.once('error', () => undefined);
  });
}

export interface KafkaReferenceOptions {
  /** Extra server.properties entries. */
  properties?: Record<string, string>;
}

/** A real Kafka 2.7.2 broker (id 0) and its own ZooKeeper, both on 127.0.0.1. */
export class KafkaReferenceBroker {
  readonly dataDir: string;
  readonly port: number;
  readonly logFile: string;
  readonly #zookeeper: ZooKeeperServer;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #hasExited = false;

  private constructor(
    dataDir: string,
    port: number,
    logFile: string,
    zookeeper: ZooKeeperServer,
    child: ChildProcess,
  ) {
    this.dataDir = dataDir;
    this.port = port;
    this.logFile = logFile;
    this.#zookeeper = zookeeper;
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

  /** host:port for --bootstrap-server. */
  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Starts ZooKeeper, then the broker; resolves once the broker serves requests and is controller. */
  static async start(options: KafkaReferenceOptions = {}): Promise<KafkaReferenceBroker> {
    const missing = kafkaReferenceMissing();
    if (missing !== null) throw new Error(missing);
    const dataDir = await tempDir('kafka-reference');
    const zookeeper = await ZooKeeperServer.start({ dataDir: join(dataDir, 'zookeeper') }).catch(
      async (err: unknown) => {
        await removeDir(dataDir);
        throw err;
      },
    );
    let broker: KafkaReferenceBroker | undefined;
    try {
      const port = await freePort();
      const brokerDir = join(dataDir, 'kafka');
      await mkdir(brokerDir, { recursive: true });
      const properties: Record<string, string> = {
        'broker.id': '0',
        listeners: `PLAINTEXT://127.0.0.1:${port}`,
        'log.dirs': join(brokerDir, 'logs'),
        'zookeeper.connect': zookeeper.connectString,
        'zookeeper.connection.timeout.ms': '10000',
        'offsets.topic.replication.factor': '1',
        'transaction.state.log.replication.factor': '1',
        'transaction.state.log.min.isr': '1',
        'group.initial.rebalance.delay.ms': '0',
        'num.partitions': '1',
        'default.replication.factor': '1',
        ...options.properties,
      };
      const propertiesFile = join(brokerDir, 'server.properties');
      await writeFile(
        propertiesFile,
        `${Object.entries(properties)
          .map(([key, value]) => `${key}=${value}`)
          .join('\n')}\n`,
      );
      const logFile = join(brokerDir, 'server.out');
      const out = openSync(logFile, 'a');
      // kafka-tool.sh execs java, so the child's pid is the JVM's and signals reach it directly.
      const child = spawn(KAFKA_TOOL, ['kafka.Kafka', propertiesFile], {
        stdio: ['ignore', out, out],
        env: {
          ...process.env,
          KAFKA_HEAP_OPTS: '-Xmx512m -Xms128m',
          KAFKA_LOG4J_OPTS: `-Dlog4j.configuration=file:${BROKER_LOG4J} -Dkafka.logs.dir=${brokerDir}`,
        },
      });
      broker = new KafkaReferenceBroker(dataDir, port, logFile, zookeeper, child);
      await broker.#waitUntilReady(zookeeper.connectString, Date.now() + BROKER_START_TIMEOUT_MS);
      return broker;
    } catch (err) {
      if (broker) await broker.stop();
      else {
        await zookeeper.stop();
        await removeDir(dataDir);
      }
      throw err;
    }
  }

  async #waitUntilReady(connectString: string, deadline: number): Promise<void> {
    const zk = await ZooKeeperClient.connect({
      connectString,
      sessionTimeoutMs: 10_000,
      connectionTimeoutMs: 10_000,
    });
    try {
      while (Date.now() < deadline) {
        if (this.#hasExited) throw new Error(`Kafka exited during start-up: ${await this.#logTail()}`);
        // Serving requests, and the controller is elected, so topic creation does not race it.
        if ((await answersApiVersions(this.port)) && (await zk.exists('/controller')) !== null) return;
        await new Promise((resolve) => setTimeout(resolve, READINESS_POLL_MS));
      }
      throw new Error(`Kafka did not serve on ${this.bootstrap} in time: ${await this.#logTail()}`);
    } finally {
      zk.close();
    }
  }

  async #logTail(): Promise<string> {
    const text = await readFile(this.logFile, 'utf8').catch(() => '');
    return `the last lines of ${this.logFile}:\n${text.split('\n').slice(-20).join('\n')}`;
  }

  /**
   * Stops the broker (SIGTERM: a controlled shutdown; SIGKILL if it lingers), then ZooKeeper, and
   * removes the data. Resolves once both processes are gone.
   */
  async stop(): Promise<void> {
    if (!this.#hasExited) {
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), BROKER_STOP_TIMEOUT_MS);
      await this.#exited;
      clearTimeout(timer);
    }
    await this.#zookeeper.stop();
    await removeDir(this.dataDir);
  }
}
