// A broker's calls to other brokers over the InterBroker gRPC service, on the listener brokers use among
// themselves: a follower's ReplicaFetch and OffsetsForLeaderEpoch to its leader (deadline
// replica.socket.timeout.ms past the long-poll), and ControlledShutdown to the controller. One client per
// broker, replaced when its advertised address changes.
import * as grpc from '@grpc/grpc-js';
import type { BrokerRegistration } from '@sluice/coordinator';
import {
  type ControlledShutdownResponse__Output,
  type FetchResponse__Output,
  type InterBrokerClient,
  type OffsetsForLeaderEpochResponse__Output,
  sluiceProto,
} from '@sluice/protocol';
import type { LeaderEndpoint } from '../../replication/replica-fetcher-manager.ts';

export class GrpcLeaderEndpoints {
  readonly #listenerName: string;
  readonly #timeoutMs: number;
  readonly #maxMessageBytes: number;
  readonly #clients = new Map<number, { address: string; client: InterBrokerClient }>();

  constructor(options: { listenerName: string; timeoutMs: number; maxMessageBytes: number }) {
    this.#listenerName = options.listenerName;
    this.#timeoutMs = options.timeoutMs;
    this.#maxMessageBytes = options.maxMessageBytes;
  }

  /** Asks the controller (`controller`) to move leadership away from `brokerId` before it stops. */
  async controlledShutdown(
    controller: BrokerRegistration,
    brokerId: number,
    timeoutMs: number,
  ): Promise<{ errorCode: number; remaining: number }> {
    const client = this.#client(controller);
    if (!client) throw new Error(`broker ${controller.id} has no ${this.#listenerName} endpoint`);
    const response = await new Promise<ControlledShutdownResponse__Output>((resolve, reject) => {
      client.ControlledShutdown(
        { broker_id: brokerId },
        { deadline: new Date(Date.now() + timeoutMs) },
        (err, answer) => (err || !answer ? reject(err ?? new Error('empty answer')) : resolve(answer)),
      );
    });
    return { errorCode: response.error_code, remaining: response.remaining_partitions.length };
  }

  #client(broker: BrokerRegistration): InterBrokerClient | null {
    const listener = broker.endpoints.find((e) => e.listenerName === this.#listenerName);
    if (!listener) return null;
    const address = listener.host.includes(':')
      ? `[${listener.host}]:${listener.port}`
      : `${listener.host}:${listener.port}`;
    let known = this.#clients.get(broker.id);
    if (known?.address !== address) {
      known?.client.close();
      const Service = sluiceProto().sluice.v1.InterBroker;
      const client = new Service(address, grpc.credentials.createInsecure(), {
        'grpc.enable_retries': 0,
        'grpc.max_receive_message_length': this.#maxMessageBytes,
        'grpc.max_send_message_length': this.#maxMessageBytes,
        // HTTP/2's default 64 KiB receive window stalls megabyte fetch answers for a round trip per window.
        'grpc-node.flow_control_window': 16 * 1024 * 1024,
      });
      known = { address, client };
      this.#clients.set(broker.id, known);
    }
    return known.client;
  }

  /** The endpoint of `broker`, or null when it has no inter-broker listener. */
  endpoint(broker: BrokerRegistration): LeaderEndpoint | null {
    const client = this.#client(broker);
    if (!client) return null;
    const timeoutMs = this.#timeoutMs;
    return {
      async fetch(request) {
        const response = await new Promise<FetchResponse__Output>((resolve, reject) => {
          client.ReplicaFetch(
            {
              replica_id: request.replicaId,
              max_wait_ms: request.maxWaitMs,
              min_bytes: request.minBytes,
              max_bytes: request.maxBytes,
              topics: groupByTopic(request.partitions).map(([topic, partitions]) => ({
                topic,
                partitions: partitions.map((p) => ({
                  partition: p.partition,
                  current_leader_epoch: p.currentLeaderEpoch,
                  fetch_offset: p.fetchOffset,
                  partition_max_bytes: p.partitionMaxBytes,
                })),
              })),
            },
            { deadline: new Date(Date.now() + timeoutMs + request.maxWaitMs) },
            (err, answer) => (err || !answer ? reject(err ?? new Error('empty answer')) : resolve(answer)),
          );
        });
        return response.responses.flatMap((t) =>
          t.partitions.map((p) => ({
            topic: t.topic,
            partition: p.partition_index,
            errorCode: p.error_code,
            highWatermark: p.high_watermark,
            logStartOffset: p.log_start_offset,
            records: p.records,
          })),
        );
      },
      async offsetsForLeaderEpoch(request) {
        const response = await new Promise<OffsetsForLeaderEpochResponse__Output>((resolve, reject) => {
          client.OffsetsForLeaderEpoch(
            {
              replica_id: request.replicaId,
              topics: groupByTopic(request.partitions).map(([topic, partitions]) => ({
                topic,
                partitions: partitions.map((p) => ({
                  partition: p.partition,
                  current_leader_epoch: p.currentLeaderEpoch,
                  leader_epoch: p.leaderEpoch,
                })),
              })),
            },
            { deadline: new Date(Date.now() + timeoutMs) },
            (err, answer) => (err || !answer ? reject(err ?? new Error('empty answer')) : resolve(answer)),
          );
        });
        return response.topics.flatMap((t) =>
          t.partitions.map((p) => ({
            topic: t.topic,
            partition: p.partition,
            errorCode: p.error_code,
            leaderEpoch: p.leader_epoch,
            endOffset: p.end_offset,
          })),
        );
      },
      close() {},
    };
  }

  close(): void {
    for (const { client } of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}

function groupByTopic<T extends { topic: string }>(partitions: readonly T[]): Array<[string, T[]]> {
  const byTopic = new Map<string, T[]>();
  for (const p of partitions) {
    const list = byTopic.get(p.topic) ?? [];
    list.push(p);
    byTopic.set(p.topic, list);
  }
  return [...byTopic];
}
