// Typed calls of the group APIs (FindCoordinator, JoinGroup, ...) through the client's connection pool,
// so every group request shares the pool's channels, deadlines and error translation.
import type * as grpc from '@grpc/grpc-js';
import type { SluiceClient } from '@sluice/protocol';
import type { ConnectionPool } from '../connection-pool.ts';

export type GroupMethod =
  | 'FindCoordinator'
  | 'JoinGroup'
  | 'SyncGroup'
  | 'Heartbeat'
  | 'LeaveGroup'
  | 'OffsetCommit'
  | 'OffsetFetch';

export type GroupRequest<M extends GroupMethod> = Parameters<SluiceClient[M]>[0];
export type GroupResponse<M extends GroupMethod> =
  Parameters<SluiceClient[M]> extends [unknown, infer Callback]
    ? Callback extends grpc.requestCallback<infer R>
      ? R
      : never
    : never;

type AnyCall = (
  address: string,
  method: string,
  request: unknown,
  timeoutMs: number,
  signal?: AbortSignal,
) => Promise<unknown>;

/**
 * One group request to `address`. The pool's own method list predates the group APIs; its call is
 * generic in the method name at run time, so this only widens its type.
 */
export function groupCall<M extends GroupMethod>(
  pool: ConnectionPool,
  address: string,
  method: M,
  request: GroupRequest<M>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<GroupResponse<M>> {
  const call = pool.call.bind(pool) as unknown as AnyCall;
  return call(address, method, request, timeoutMs, signal) as Promise<GroupResponse<M>>;
}
