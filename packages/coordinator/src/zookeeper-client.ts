// A promise-based ZooKeeper client for Sluice: typed errors, watches as plain callbacks, multi-ops,
// session events, and bounded retries of reads across connection loss. Everything in Sluice that
// talks to ZooKeeper goes through this class (paths and JSON live in znodes.ts).
import { EventEmitter } from 'node:events';
import zookeeper from 'node-zookeeper-client';

export type CreateMode = 'persistent' | 'ephemeral' | 'persistent_sequential' | 'ephemeral_sequential';

export interface ZnodeStat {
  version: number;
  /** Session id of the owner of an ephemeral znode as 16 hex digits, or '0000000000000000'. */
  ephemeralOwner: string;
  numChildren: number;
  ctimeMs: number;
  mtimeMs: number;
  /** The zxid of the creation, in decimal: tells two incarnations of one path apart (Kafka's broker epoch). */
  czxid: string;
}

export type MultiOp =
  | { op: 'create'; path: string; data: Buffer | null; mode?: CreateMode }
  | { op: 'setData'; path: string; data: Buffer; version: number }
  | { op: 'check'; path: string; version: number }
  | { op: 'remove'; path: string; version: number };

/** ZooKeeper's own error codes, by name (KeeperException.Code). */
export const ZooKeeperCode = {
  CONNECTION_LOSS: -4,
  OPERATION_TIMEOUT: -7,
  NO_NODE: -101,
  BAD_VERSION: -103,
  NODE_EXISTS: -110,
  NOT_EMPTY: -111,
  SESSION_EXPIRED: -112,
} as const;

export class ZooKeeperError extends Error {
  readonly code: number;
  /** ZooKeeper's name of the code, e.g. BAD_VERSION. */
  readonly codeName: string;
  readonly path: string | undefined;
  /** For a failed multi: the index of the operation that failed. */
  readonly opIndex: number | undefined;
  constructor(code: number, name: string, path?: string, opIndex?: number) {
    super(path === undefined ? `ZooKeeper ${name}` : `ZooKeeper ${name} at ${path}`);
    this.name = 'ZooKeeperError';
    this.code = code;
    this.codeName = name;
    this.path = path;
    this.opIndex = opIndex;
  }
  static is(err: unknown, code: number): boolean {
    return err instanceof ZooKeeperError && err.code === code;
  }
}

export interface ZooKeeperClientOptions {
  /** host:port[,host:port...][/chroot], as zookeeper.connect. */
  connectString: string;
  sessionTimeoutMs: number;
  /** How long connect() waits for the first connection (zookeeper.connection.timeout.ms). */
  connectionTimeoutMs: number;
}

/** How long a read waits for the connection to come back before it gives up. */
const READ_RETRY_LIMIT = 5;
/** How often the handshake watchdog looks at the connection. */
const WATCHDOG_INTERVAL_MS = 250;
/** Shortest handshake timeout: a third of the session timeout, but at least this. */
const MIN_HANDSHAKE_TIMEOUT_MS = 2_000;
const MODES: Record<CreateMode, number> = {
  persistent: zookeeper.CreateMode.PERSISTENT,
  ephemeral: zookeeper.CreateMode.EPHEMERAL,
  persistent_sequential: zookeeper.CreateMode.PERSISTENT_SEQUENTIAL,
  ephemeral_sequential: zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL,
};
// Sluice, like Kafka without zookeeper.set.acl, writes world-accessible znodes.
const OPEN_ACL = (zookeeper.ACL as unknown as { OPEN_ACL_UNSAFE: zookeeper.ACL[] }).OPEN_ACL_UNSAFE;

function toError(err: unknown, path?: string, opIndex?: number): Error {
  if (err instanceof zookeeper.Exception)
    return new ZooKeeperError(err.getCode(), err.getName(), path, opIndex);
  return err instanceof Error ? err : new Error(String(err));
}

function toStat(stat: zookeeper.Stat): ZnodeStat {
  return {
    version: stat.version,
    ephemeralOwner: stat.ephemeralOwner.toString('hex'),
    numChildren: stat.numChildren,
    ctimeMs: Number(stat.ctime.readBigInt64BE(0)),
    mtimeMs: Number(stat.mtime.readBigInt64BE(0)),
    czxid: stat.czxid.readBigInt64BE(0).toString(),
  };
}

/**
 * Emits 'connected', 'disconnected' and 'expired'. After 'expired' this client is dead: ephemeral
 * znodes and watches are gone, and the owner must create a new client and re-register (as Kafka's
 * KafkaZkClient does through its session-expiry handler).
 */
export class ZooKeeperClient extends EventEmitter {
  readonly options: ZooKeeperClientOptions;
  #client: zookeeper.Client;
  #closed = false;
  #expired = false;
  /** Fails the requests still waiting for an answer; node-zookeeper-client never answers those once the session is gone. */
  readonly #inFlight = new Set<(err: Error) => void>();
  readonly #watchdog: NodeJS.Timeout;
  /** Reads waiting for the connection to return, woken by close(). */
  readonly #closeWaiters = new Set<() => void>();
  #notConnectedSinceMs: number | undefined = Date.now();

  private constructor(options: ZooKeeperClientOptions) {
    super();
    this.options = options;
    this.#client = zookeeper.createClient(options.connectString, {
      sessionTimeout: options.sessionTimeoutMs,
      spinDelay: 200,
      retries: 0,
    });
    this.#watchdog = setInterval(() => this.#checkHandshake(), WATCHDOG_INTERVAL_MS);
    this.#watchdog.unref();
    this.#client.on('state', (state: zookeeper.State) => {
      this.#notConnectedSinceMs = state === zookeeper.State.SYNC_CONNECTED ? undefined : Date.now();
      if (state === zookeeper.State.SYNC_CONNECTED) this.emit('connected');
      else if (state === zookeeper.State.DISCONNECTED) this.emit('disconnected');
      else if (state === zookeeper.State.EXPIRED) {
        this.#expired = true;
        clearInterval(this.#watchdog);
        this.#abortInFlight(new ZooKeeperError(ZooKeeperCode.SESSION_EXPIRED, 'SESSION_EXPIRED'));
        this.emit('expired');
      }
    });
  }

  static async connect(options: ZooKeeperClientOptions): Promise<ZooKeeperClient> {
    const client = new ZooKeeperClient(options);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.close();
        reject(
          new Error(
            `Timed out after ${options.connectionTimeoutMs} ms waiting for a ZooKeeper connection to ${options.connectString}`,
          ),
        );
      }, options.connectionTimeoutMs);
      client.#client.once('connected', () => {
        clearTimeout(timer);
        resolve();
      });
      client.#client.connect();
    });
    return client;
  }

  get isExpired(): boolean {
    return this.#expired;
  }

  /** The session id as 16 hex digits, comparable with ZnodeStat.ephemeralOwner. */
  get sessionId(): string {
    return this.#client.getSessionId().toString('hex');
  }

  async create(path: string, data: Buffer | null, mode: CreateMode = 'persistent'): Promise<string> {
    return this.#track((resolve, reject) => {
      this.#client.create(path, data ?? Buffer.alloc(0), OPEN_ACL, MODES[mode], (err, created) => {
        if (err) reject(toError(err, path));
        else resolve(created);
      });
    });
  }

  /** Creates the path and any missing parents (persistent, empty); an existing path is fine. */
  async createRecursive(path: string): Promise<void> {
    const parts = path.split('/').filter((p) => p.length > 0);
    let current = '';
    for (const part of parts) {
      current += `/${part}`;
      try {
        await this.create(current, null);
      } catch (err) {
        if (!ZooKeeperError.is(err, ZooKeeperCode.NODE_EXISTS)) throw err;
      }
    }
  }

  /** The data and stat of a znode, or null when it does not exist. The watch fires once. */
  async getData(path: string, watch?: () => void): Promise<{ data: Buffer; stat: ZnodeStat } | null> {
    return this.#retryRead(() =>
      this.#track((resolve, reject) => {
        const callback = (err: unknown, data: Buffer, stat: zookeeper.Stat) => {
          if (err) {
            const error = toError(err, path);
            if (ZooKeeperError.is(error, ZooKeeperCode.NO_NODE)) resolve(null);
            else reject(error);
          } else resolve({ data: data ?? Buffer.alloc(0), stat: toStat(stat) });
        };
        if (watch) this.#client.getData(path, () => watch(), callback);
        else this.#client.getData(path, callback);
      }),
    );
  }

  /** The children's names, or null when the znode does not exist. The watch fires once. */
  async getChildren(path: string, watch?: () => void): Promise<string[] | null> {
    return this.#retryRead(() =>
      this.#track((resolve, reject) => {
        const callback = (err: unknown, children: string[]) => {
          if (err) {
            const error = toError(err, path);
            if (ZooKeeperError.is(error, ZooKeeperCode.NO_NODE)) resolve(null);
            else reject(error);
          } else resolve(children);
        };
        if (watch) this.#client.getChildren(path, () => watch(), callback);
        else this.#client.getChildren(path, callback);
      }),
    );
  }

  /** The stat, or null; with a watch, it fires on creation, deletion or change. */
  async exists(path: string, watch?: () => void): Promise<ZnodeStat | null> {
    return this.#retryRead(() =>
      this.#track((resolve, reject) => {
        const callback = (err: unknown, stat: zookeeper.Stat | null) => {
          if (err) reject(toError(err, path));
          else resolve(stat ? toStat(stat) : null);
        };
        if (watch) this.#client.exists(path, () => watch(), callback);
        else this.#client.exists(path, callback);
      }),
    );
  }

  /** Sets data when the znode's version is `expectedVersion` (-1: any); BAD_VERSION otherwise. */
  async setData(path: string, data: Buffer, expectedVersion = -1): Promise<ZnodeStat> {
    return this.#track((resolve, reject) => {
      this.#client.setData(path, data, expectedVersion, (err, stat) => {
        if (err) reject(toError(err, path));
        else resolve(toStat(stat));
      });
    });
  }

  async remove(path: string, expectedVersion = -1): Promise<void> {
    return this.#track((resolve, reject) => {
      this.#client.remove(path, expectedVersion, (err) => {
        if (err) reject(toError(err, path));
        else resolve();
      });
    });
  }

  /** Removes a znode and everything below it; a missing znode is fine. */
  async removeRecursive(path: string): Promise<void> {
    const children = await this.getChildren(path);
    if (children === null) return;
    for (const child of children) await this.removeRecursive(`${path}/${child}`);
    try {
      await this.remove(path);
    } catch (err) {
      if (!ZooKeeperError.is(err, ZooKeeperCode.NO_NODE)) throw err;
    }
  }

  /** All or nothing. Rejects with the first failing operation's error. */
  async multi(ops: readonly MultiOp[]): Promise<void> {
    const transaction = this.#client.transaction();
    for (const op of ops) {
      switch (op.op) {
        case 'create':
          transaction.create(op.path, op.data ?? Buffer.alloc(0), OPEN_ACL, MODES[op.mode ?? 'persistent']);
          break;
        case 'setData':
          transaction.setData(op.path, op.data, op.version);
          break;
        case 'check':
          transaction.check(op.path, op.version);
          break;
        case 'remove':
          transaction.remove(op.path, op.version);
          break;
      }
    }
    return this.#track((resolve, reject) => {
      transaction.commit((err, results: Array<{ type: number; err?: number }> | undefined) => {
        if (err) {
          // The library reports which op failed in results; name its path.
          const failedIndex =
            results?.findIndex((r) => r.err !== undefined && r.err !== 0 && r.err !== -2) ?? -1;
          reject(toError(err, ops[failedIndex]?.path, failedIndex >= 0 ? failedIndex : undefined));
        } else resolve();
      });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watchdog);
    this.#abortInFlight(new ZooKeeperError(ZooKeeperCode.CONNECTION_LOSS, 'CONNECTION_LOSS (client closed)'));
    for (const wake of [...this.#closeWaiters]) wake();
    this.#client.close();
  }

  /** A request that fails at once on a closed or expired session, and when the session ends before its answer. */
  #track<T>(executor: (resolve: (value: T) => void, reject: (err: unknown) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#expired) {
        reject(new ZooKeeperError(ZooKeeperCode.SESSION_EXPIRED, 'SESSION_EXPIRED'));
        return;
      }
      if (this.#closed) {
        reject(new ZooKeeperError(ZooKeeperCode.CONNECTION_LOSS, 'CONNECTION_LOSS (client closed)'));
        return;
      }
      const abort = (err: Error): void => reject(err);
      this.#inFlight.add(abort);
      executor(
        (value) => {
          this.#inFlight.delete(abort);
          resolve(value);
        },
        (err) => {
          this.#inFlight.delete(abort);
          reject(err);
        },
      );
    });
  }

  /**
   * node-zookeeper-client has no handshake timeout: a server that accepts the TCP connection before it is
   * ready to serve (ZooKeeper does so while it starts, e.g. right after a restart) leaves the client
   * waiting for its ConnectResponse forever. Like the Java client's read timeout, drop an attempt that has
   * not completed in time; the library then reconnects by itself, keeping the session and its watches.
   * This touches the library's connection manager (pinned node-zookeeper-client 1.x), nothing else.
   */
  #checkHandshake(): void {
    if (this.#closed || this.#expired || this.#notConnectedSinceMs === undefined) return;
    const timeoutMs = Math.max(MIN_HANDSHAKE_TIMEOUT_MS, Math.floor(this.options.sessionTimeoutMs / 3));
    if (Date.now() - this.#notConnectedSinceMs < timeoutMs) return;
    this.#notConnectedSinceMs = Date.now();
    const manager = (
      this.#client as unknown as { connectionManager?: { socket?: { destroyed?: boolean; destroy(): void } } }
    ).connectionManager;
    const socket = manager?.socket;
    if (socket && !socket.destroyed) socket.destroy();
  }

  #abortInFlight(err: Error): void {
    const aborts = [...this.#inFlight];
    this.#inFlight.clear();
    for (const abort of aborts) abort(err);
  }

  async #retryRead<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await read();
      } catch (err) {
        const retriable =
          ZooKeeperError.is(err, ZooKeeperCode.CONNECTION_LOSS) && !this.#closed && !this.#expired;
        if (!retriable || attempt >= READ_RETRY_LIMIT) throw err;
        await this.#whenConnected(this.options.sessionTimeoutMs);
      }
    }
  }

  /** Waits for the connection to come back; gives up at once when the session ends or the client closes. */
  async #whenConnected(timeoutMs: number): Promise<void> {
    if (this.#client.getState() === zookeeper.State.SYNC_CONNECTED || this.#closed || this.#expired) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('connected', done);
        this.off('expired', done);
        this.#closeWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.once('connected', done);
      this.once('expired', done);
      this.#closeWaiters.add(done);
    });
  }
}
