// One gRPC channel per broker address, shared by every producer, consumer and admin of a client, and
// a promise-returning call with a deadline. Transport failures become ConnectionError or
// RequestTimeoutError; Kafka errors inside answers are left to the caller.
import * as grpc from '@grpc/grpc-js';
import { type SluiceClient, sluiceProto } from '@sluice/protocol';
import { ClientClosedError, ConnectionError, RequestTimeoutError } from './errors.ts';

/** Fetch responses may carry up to fetch.max.bytes (50 MiB by default) plus framing. */
const MAX_MESSAGE_BYTES = 104_857_600;

export type Method =
  | 'CreateTopics'
  | 'Metadata'
  | 'Produce'
  | 'Fetch'
  | 'ListOffsets'
  | 'DeleteTopics'
  | 'CreatePartitions'
  | 'DescribeConfigs'
  | 'AlterConfigs'
  | 'InitProducerId'
  | 'FindCoordinator'
  | 'JoinGroup'
  | 'SyncGroup'
  | 'Heartbeat'
  | 'LeaveGroup'
  | 'OffsetCommit'
  | 'OffsetFetch'
  | 'ListGroups'
  | 'DescribeGroups'
  | 'DeleteGroups';
export type RequestOf<M extends Method> = Parameters<SluiceClient[M]>[0];
export type ResponseOf<M extends Method> =
  Parameters<SluiceClient[M]> extends [unknown, infer Callback]
    ? Callback extends grpc.requestCallback<infer R>
      ? R
      : never
    : never;

export class ConnectionPool {
  readonly #clients = new Map<string, SluiceClient>();
  #closed = false;

  client(address: string): SluiceClient {
    if (this.#closed) throw new ClientClosedError();
    let client = this.#clients.get(address);
    if (!client) {
      const Service = sluiceProto().sluice.v1.Sluice;
      client = new Service(address, grpc.credentials.createInsecure(), {
        'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
        'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
        'grpc.enable_retries': 0,
        // HTTP/2's default 64 KiB receive window stalls megabyte fetch answers for a round trip per window.
        'grpc-node.flow_control_window': 16 * 1024 * 1024,
      });
      this.#clients.set(address, client);
    }
    return client;
  }

  call<M extends Method>(
    address: string,
    method: M,
    request: RequestOf<M>,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ResponseOf<M>> {
    const client = this.client(address);
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + timeoutMs);
      const fn = client[method].bind(client) as unknown as (
        request: unknown,
        options: grpc.CallOptions,
        callback: (err: grpc.ServiceError | null, response?: unknown) => void,
      ) => grpc.ClientUnaryCall;
      const call = fn(request, { deadline }, (err, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(translate(address, err, timeoutMs));
        else resolve(response as ResponseOf<M>);
      });
      const onAbort = () => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    this.#closed = true;
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}

function translate(address: string, err: grpc.ServiceError, timeoutMs: number): Error {
  switch (err.code) {
    case grpc.status.DEADLINE_EXCEEDED:
      return new RequestTimeoutError(`Request to ${address} timed out after ${timeoutMs} ms`);
    case grpc.status.UNAVAILABLE:
      return new ConnectionError(address, err.details || 'unavailable');
    case grpc.status.CANCELLED:
      return new ClientClosedError('request');
    default:
      return new ConnectionError(address, `${grpc.status[err.code] ?? err.code}: ${err.details}`);
  }
}
