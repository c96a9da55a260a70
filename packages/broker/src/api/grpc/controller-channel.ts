// The controller's requests to brokers over gRPC (Kafka's ControllerChannelManager): one InterBroker
// client per broker, on the listener brokers use among themselves, with controller.socket.timeout.ms as
// the deadline. A request to this broker itself skips the network.
import * as grpc from '@grpc/grpc-js';
import type {
  BrokerRegistration,
  ControllerChannel,
  StopReplicaPartitionResult,
  StopReplicaRequest,
} from '@sluice/coordinator';
import { type InterBrokerClient, type StopReplicaResponse__Output, sluiceProto } from '@sluice/protocol';

export type LocalStopReplica = (
  request: StopReplicaRequest,
) => Promise<{ errorCode: number; partitions: StopReplicaPartitionResult[] }>;

export class GrpcControllerChannel implements ControllerChannel {
  readonly #brokerId: number;
  readonly #listenerName: string;
  readonly #timeoutMs: number;
  readonly #local: LocalStopReplica;
  readonly #clients = new Map<number, { address: string; client: InterBrokerClient }>();

  constructor(options: {
    brokerId: number;
    listenerName: string;
    timeoutMs: number;
    local: LocalStopReplica;
  }) {
    this.#brokerId = options.brokerId;
    this.#listenerName = options.listenerName;
    this.#timeoutMs = options.timeoutMs;
    this.#local = options.local;
  }

  async stopReplicas(
    broker: BrokerRegistration,
    request: StopReplicaRequest,
  ): Promise<StopReplicaPartitionResult[]> {
    if (broker.id === this.#brokerId) {
      const local = await this.#local(request);
      return withTopLevelError(request, local.errorCode, local.partitions);
    }
    const client = this.#client(broker);
    const response = await new Promise<StopReplicaResponse__Output>((resolve, reject) => {
      client.StopReplica(
        {
          controller_id: request.controllerId,
          controller_epoch: request.controllerEpoch,
          delete_partitions: request.deletePartitions,
          partitions: request.partitions.map((p) => ({ topic_name: p.topic, partition_index: p.partition })),
        },
        { deadline: new Date(Date.now() + this.#timeoutMs) },
        (err, answer) => {
          if (err || !answer) reject(err ?? new Error('empty StopReplica answer'));
          else resolve(answer);
        },
      );
    });
    return withTopLevelError(
      request,
      response.error_code,
      response.partition_errors.map((p) => ({
        topic: p.topic_name,
        partition: p.partition_index,
        errorCode: p.error_code,
      })),
    );
  }

  close(): void {
    for (const { client } of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #client(broker: BrokerRegistration): InterBrokerClient {
    const endpoint = broker.endpoints.find((e) => e.listenerName === this.#listenerName);
    if (!endpoint) throw new Error(`broker ${broker.id} has no ${this.#listenerName} endpoint`);
    const address = endpoint.host.includes(':')
      ? `[${endpoint.host}]:${endpoint.port}`
      : `${endpoint.host}:${endpoint.port}`;
    const known = this.#clients.get(broker.id);
    if (known?.address === address) return known.client;
    known?.client.close();
    const Service = sluiceProto().sluice.v1.InterBroker;
    const client = new Service(address, grpc.credentials.createInsecure(), { 'grpc.enable_retries': 0 });
    this.#clients.set(broker.id, { address, client });
    return client;
  }
}

/** A request-level error (a stale controller) applies to every partition of the request. */
function withTopLevelError(
  request: StopReplicaRequest,
  errorCode: number,
  partitions: StopReplicaPartitionResult[],
): StopReplicaPartitionResult[] {
  if (errorCode === 0) return partitions;
  return request.partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode }));
}
