// Starts and stops a real, standalone ZooKeeper server process (Debian's zookeeper package) on
// 127.0.0.1, for `sluice dev-cluster` and for the tests. Sluice never mocks ZooKeeper.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';

export interface ZooKeeperServerOptions {
  dataDir: string;
  /** 0: pick a free port. */
  port?: number;
  /** Where the server's own output goes; default: <dataDir>/zookeeper.out. */
  logFile?: string;
  startTimeoutMs?: number;
  /** ZooKeeper's tickTime; sessions time out between 2 and 20 ticks. */
  tickTimeMs?: number;
}

const JAR_DIRS = ['/usr/share/java', '/usr/share/zookeeper/lib'];
const DEFAULT_START_TIMEOUT_MS = 30_000;

/** The classpath of Debian's zookeeper package, or an error that says how to install it. */
export function zookeeperClasspath(): string {
  for (const dir of JAR_DIRS) {
    const jar = join(dir, 'zookeeper.jar');
    const slf4j = join(dir, 'slf4j-api.jar');
    if (existsSync(jar) && existsSync(slf4j)) {
      const jute = join(dir, 'zookeeper-jute.jar');
      return [jar, slf4j, ...(existsSync(jute) ? [jute] : [])].join(':');
    }
  }
  throw new Error('ZooKeeper is not installed: apt-get install zookeeper (needs Java 11+)');
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * True once the server answers the `srvr` four-letter word with its mode. A listening port is not
 * enough: ZooKeeper accepts connections before it serves sessions, and a session request sent in that
 * window can go unanswered, leaving the client waiting.
 */
async function isServing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), 1_000);
    socket.once('connect', () => socket.write('srvr'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(answer.includes('Mode:'));
    });
    socket.once('error', () => undefined);
  });
}

export class ZooKeeperServer {
  readonly port: number;
  readonly dataDir: string;
  #process: ChildProcess;
  #exited: Promise<void>;
  #hasExited = false;

  private constructor(port: number, dataDir: string, child: ChildProcess) {
    this.port = port;
    this.dataDir = dataDir;
    this.#process = child;
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => {
        this.#hasExited = true;
        resolve();
      });
    });
  }

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  static async start(options: ZooKeeperServerOptions): Promise<ZooKeeperServer> {
    const classpath = zookeeperClasspath();
    await mkdir(options.dataDir, { recursive: true });
    const port = options.port !== undefined && options.port !== 0 ? options.port : await freePort();
    const tickTimeMs = options.tickTimeMs ?? 500;
    const config = join(options.dataDir, 'zoo.cfg');
    await writeFile(
      config,
      [
        `dataDir=${join(options.dataDir, 'data')}`,
        `clientPort=${port}`,
        'clientPortAddress=127.0.0.1',
        `tickTime=${tickTimeMs}`,
        'maxClientCnxns=0',
        'admin.enableServer=false',
        '4lw.commands.whitelist=ruok,srvr,stat,cons',
        '',
      ].join('\n'),
    );
    const out = openSync(options.logFile ?? join(options.dataDir, 'zookeeper.out'), 'a');
    const child = spawn(
      'java',
      ['-Xms64m', '-Xmx256m', '-cp', classpath, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', config],
      { stdio: ['ignore', out, out] },
    );
    const server = new ZooKeeperServer(port, options.dataDir, child);
    const spawnError = new Promise<never>((_, reject) => {
      child.once('error', (err) => reject(new Error(`Cannot start ZooKeeper (java): ${err.message}`)));
    });
    const deadline = Date.now() + (options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    try {
      await Promise.race([server.#waitUntilListening(deadline), spawnError]);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  async #waitUntilListening(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      if (this.#hasExited)
        throw new Error(`ZooKeeper exited during start-up; see ${this.dataDir}/zookeeper.out`);
      if (await isServing(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`ZooKeeper did not listen on 127.0.0.1:${this.port} in time`);
  }

  /** SIGTERM, then SIGKILL if it lingers. Resolves once the process is gone. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.#hasExited) return;
    this.#process.kill('SIGTERM');
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Sends a signal (SIGSTOP, SIGCONT, SIGKILL) for fault tests. */
  signal(signal: NodeJS.Signals): void {
    this.#process.kill(signal);
  }

  /** Resolves when the process has exited. */
  get exited(): Promise<void> {
    return this.#exited;
  }
}
