// The way to the group's coordinator: FindCoordinator asked of any broker, the answer cached until a
// request says the coordinator moved (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE) or cannot be reached,
// then asked again. Every group request of one consumer goes through here.
import { ErrorCode } from '@sluice/protocol';
import type { ConnectionPool, RequestOf, ResponseOf } from '../connection-pool.ts';
import { ConnectionError, kafkaError, RequestTimeoutError } from '../errors.ts';
import type { ClusterMetadata } from '../metadata.ts';
import { withRetries } from '../retry.ts';

/** The requests a member sends to its group's coordinator. */
export type GroupMethod =
  | 'JoinGroup'
  | 'SyncGroup'
  | 'Heartbeat'
  | 'LeaveGroup'
  | 'OffsetCommit'
  | 'OffsetFetch';

/** Answers that mean "ask FindCoordinator again". */
const COORDINATOR_MOVED: ReadonlySet<number> = new Set([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
]);

export function isCoordinatorMoved(code: number): boolean {
  return COORDINATOR_MOVED.has(code);
}

export interface CoordinatorConnectionOptions {
  groupId: string;
  requestTimeoutMs: number;
  retryBackoffMs: number;
}

export class CoordinatorConnection {
  readonly #pool: ConnectionPool;
  readonly #metadata: ClusterMetadata;
  readonly #options: CoordinatorConnectionOptions;
  #address: string | undefined;

  constructor(pool: ConnectionPool, metadata: ClusterMetadata, options: CoordinatorConnectionOptions) {
    this.#pool = pool;
    this.#metadata = metadata;
    this.#options = options;
  }

  /** The coordinator's gRPC address, found (with retries until `deadlineMs`) when not known. */
  async address(deadlineMs: number, signal?: AbortSignal): Promise<string> {
    if (this.#address !== undefined) return this.#address;
    const address = await withRetries(() => this.#find(signal), {
      deadlineMs,
      backoffMs: this.#options.retryBackoffMs,
      ...(signal ? { signal } : {}),
    });
    this.#address = address;
    return address;
  }

  /** Forgets the coordinator: the next request finds it again. */
  markUnknown(): void {
    this.#address = undefined;
  }

  /**
   * One request to the coordinator. A transport failure or a top-level "coordinator moved" answer
   * forgets the coordinator; the answer is returned as is (error codes are the caller's).
   */
  async call<M extends GroupMethod>(
    method: M,
    request: RequestOf<M>,
    options: { timeoutMs: number; deadlineMs: number; signal?: AbortSignal },
  ): Promise<ResponseOf<M>> {
    const address = await this.address(options.deadlineMs, options.signal);
    try {
      const response = await this.#pool.call(address, method, request, options.timeoutMs, options.signal);
      const code = (response as { error_code?: number }).error_code;
      if (code !== undefined && isCoordinatorMoved(code)) this.markUnknown();
      return response;
    } catch (err) {
      if (err instanceof ConnectionError || err instanceof RequestTimeoutError) this.markUnknown();
      throw err;
    }
  }

  async #find(signal?: AbortSignal): Promise<string> {
    const broker = await this.#metadata.anyBrokerAddress();
    const response = await this.#pool.call(
      broker,
      'FindCoordinator',
      { key: this.#options.groupId, key_type: 0 },
      this.#options.requestTimeoutMs,
      signal,
    );
    if (response.error_code !== ErrorCode.NONE) {
      throw kafkaError(response.error_code, response.error_message || undefined);
    }
    const host = response.host;
    return host.includes(':') ? `[${host}]:${response.port}` : `${host}:${response.port}`;
  }
}
