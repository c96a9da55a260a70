// One broker as a real child process (`sluice server-start`), as operators run it: its own
// server.properties, its own log file, started and stopped by signals. Readiness is its registration
// in ZooKeeper, which is also where its bound ports are read from.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMetaProperties } from '@sluice/broker';
import { type BrokerRegistration, readBroker, type ZooKeeperClient } from '@sluice/coordinator';

/** The `sluice` command, run with this same Node. */
export const SLUICE_BIN = fileURLToPath(new URL('../../bin/sluice.ts', import.meta.url));

export interface BrokerProcessOptions {
  /** -1: let the broker generate one (broker.id.generation.enable). */
  brokerId: number;
  dataDir: string;
  zookeeperConnect: string;
  /** 0: any free port, read back from the registration. */
  grpcPort: number;
  /** Also listen for Kafka clients: KAFKA://127.0.0.1:<free port>. */
  kafkaListener?: boolean;
  /** Extra server.properties entries. */
  properties?: Record<string, string>;
}

const DEFAULT_START_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_TIMEOUT_MS = 30_000;

export class BrokerProcess {
  readonly options: BrokerProcessOptions;
  readonly propertiesFile: string;
  readonly logFile: string;
  #child: ChildProcess | undefined;
  #exit: Promise<number | null> | undefined;
  #registration: BrokerRegistration | undefined;
  #startedAtMs = 0;

  constructor(options: BrokerProcessOptions) {
    this.options = options;
    this.propertiesFile = join(options.dataDir, 'server.properties');
    this.logFile = join(options.dataDir, 'broker.log');
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The id it registered with (the generated one when brokerId was -1). */
  get id(): number {
    return this.#registration?.id ?? this.options.brokerId;
  }

  /** host:port of its gRPC listener, once started. */
  get grpcAddress(): string {
    const endpoint = this.#registration?.endpoints.find((e) => e.listenerName === 'GRPC');
    if (!endpoint) throw new Error(`broker ${this.id} has not registered a GRPC endpoint`);
    return `${endpoint.host}:${endpoint.port}`;
  }

  /** host:port of its Kafka listener, or undefined when it has none. */
  get kafkaAddress(): string | undefined {
    const endpoint = this.#registration?.endpoints.find((e) => e.listenerName === 'KAFKA');
    return endpoint ? `${endpoint.host}:${endpoint.port}` : undefined;
  }

  async writeProperties(): Promise<void> {
    await mkdir(this.options.dataDir, { recursive: true });
    const props: Record<string, string> = {
      ...(this.options.brokerId >= 0 ? { 'broker.id': String(this.options.brokerId) } : {}),
      listeners: `GRPC://127.0.0.1:${this.options.grpcPort}${this.options.kafkaListener ? ',KAFKA://127.0.0.1:0' : ''}`,
      'log.dirs': join(this.options.dataDir, 'logs'),
      'zookeeper.connect': this.options.zookeeperConnect,
      'zookeeper.session.timeout.ms': '6000',
      'num.partitions': '1',
      'default.replication.factor': '1',
      ...this.options.properties,
    };
    const text = Object.entries(props)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n');
    await writeFile(this.propertiesFile, `${text}\n`);
  }

  /** Spawns the process without waiting for it to register. */
  async spawn(): Promise<void> {
    if (this.running) throw new Error(`broker ${this.id} is already running`);
    await this.writeProperties();
    const out = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [SLUICE_BIN, 'server-start', this.propertiesFile], {
      stdio: ['ignore', out, out],
      env: { ...process.env },
    });
    this.#child = child;
    this.#registration = undefined;
    this.#startedAtMs = Date.now();
    this.#exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts it and waits until it is registered under its id. */
  async start(zk: ZooKeeperClient, timeoutMs = DEFAULT_START_TIMEOUT_MS): Promise<void> {
    await this.spawn();
    await this.waitForRegistration(zk, timeoutMs);
  }

  async waitForRegistration(zk: ZooKeeperClient, timeoutMs = DEFAULT_START_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new Error(
          `broker ${this.options.brokerId} exited during start-up (code ${this.#child?.exitCode}); see ${this.logFile}`,
        );
      }
      const registration = await this.#findRegistration(zk);
      if (registration) {
        this.#registration = registration;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(
      `broker ${this.options.brokerId} did not register within ${timeoutMs} ms; see ${this.logFile}`,
    );
  }

  async #findRegistration(zk: ZooKeeperClient): Promise<BrokerRegistration | null> {
    // With a generated id, the broker records it in meta.properties before registering.
    const id =
      this.options.brokerId >= 0
        ? this.options.brokerId
        : ((await readMetaProperties(join(this.options.dataDir, 'logs')).catch(() => null))?.brokerId ??
          null);
    if (id === null) return null;
    const registration = await readBroker(zk, id);
    // A registration from an earlier run of this broker may linger until its session expires.
    return registration !== null && registration.timestampMs >= this.#startedAtMs ? registration : null;
  }

  /** SIGTERM and wait for a clean exit (SIGKILL after timeoutMs). Resolves with the exit code. */
  async stop(timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<number | null> {
    const child = this.#child;
    if (!child || !this.running) return child?.exitCode ?? null;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await this.#exit;
    clearTimeout(timer);
    return code ?? null;
  }

  /** SIGKILL: a crash, no clean shutdown. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    child.kill('SIGKILL');
    await this.#exit;
  }

  signal(signal: NodeJS.Signals): void {
    this.#child?.kill(signal);
  }

  /** Resolves with the exit code once the process has exited. */
  get exited(): Promise<number | null> {
    return this.#exit ?? Promise.resolve(null);
  }
}
