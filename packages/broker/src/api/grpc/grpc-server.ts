// The gRPC services (proto/sluice/v1/sluice.proto): the client-facing Sluice service and the InterBroker
// service the controller calls. A thin adapter that turns messages into calls on the broker's core
// (ReplicaManager, the admin components, MetadataView) and back. No broker logic lives here, so the Kafka
// wire-protocol adapter can serve the same core.
import * as grpc from '@grpc/grpc-js';
import { brokersOnListener, type MetadataView, partitionAnswers } from '@sluice/coordinator';
import {
  type AlterConfigsRequest__Output,
  type AlterConfigsResponse,
  ConfigResourceType,
  type CreatePartitionsRequest__Output,
  type CreatePartitionsResponse,
  type CreateTopicsRequest__Output,
  type CreateTopicsResponse,
  type DeleteTopicsRequest__Output,
  type DeleteTopicsResponse,
  type DescribeConfigsRequest__Output,
  type DescribeConfigsResponse,
  ErrorCode,
  errorInfo,
  type FetchRequest__Output,
  type FetchResponse,
  type InitProducerIdResponse,
  type InterBrokerHandlers,
  isInternalTopic,
  KafkaError,
  type ListOffsetsRequest__Output,
  type ListOffsetsResponse,
  type MetadataRequest__Output,
  type MetadataResponse,
  type OffsetsForLeaderEpochRequest__Output,
  type OffsetsForLeaderEpochResponse,
  type PartitionMetadata,
  type ProduceRequest__Output,
  type ProduceResponse,
  type SluiceHandlers,
  type StopReplicaRequest__Output,
  type StopReplicaResponse,
  sluiceProto,
  type TopicMetadata,
  validateTopicName,
} from '@sluice/protocol';
import type { Logger } from 'pino';
import type { PartitionCreator } from '../../admin/partition-creator.ts';
import type { TopicConfigAdmin } from '../../admin/topic-config-admin.ts';
import type { TopicCreator } from '../../admin/topic-creator.ts';
import type { TopicDeleter } from '../../admin/topic-deleter.ts';
import type { BrokerConfig } from '../../config/index.ts';
import type { GroupCoordinatorApi } from '../../group/types.ts';
import type { FetchPartitionResult, ReplicaManager } from '../../replication/replica-manager.ts';
import { createGroupHandlers } from './group-handlers.ts';

export interface GrpcApiContext {
  brokerId: number;
  clusterId: string;
  /** The listener this service is bound to: Metadata answers advertise every broker's endpoint on it. */
  listenerName: string;
  config: BrokerConfig;
  metadata: MetadataView;
  replicaManager: ReplicaManager;
  /** The controller's side of ControlledShutdown; absent: NOT_CONTROLLER. */
  controlledShutdown?: (
    brokerId: number,
  ) => Promise<{ errorCode: number; remaining: Array<{ topic: string; partition: number }> }>;
  /** Hands out producer ids (InitProducerId); absent: the RPC answers BROKER_NOT_AVAILABLE. */
  producerIds?: { nextProducerId(): Promise<number> };
  topicCreator: TopicCreator;
  partitionCreator: PartitionCreator;
  topicDeleter: TopicDeleter;
  topicConfigAdmin: TopicConfigAdmin;
  groupCoordinator: GroupCoordinatorApi;
  logger: Logger;
}

type UnaryHandler<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>;

function unary<Req, Res>(
  logger: Logger,
  name: string,
  handler: UnaryHandler<Req, Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    handler(call).then(
      (response) => callback(null, response),
      (err: unknown) => {
        logger.error({ err, rpc: name }, 'request failed');
        const message = err instanceof Error ? err.message : String(err);
        callback({ code: grpc.status.INTERNAL, details: message }, null);
      },
    );
  };
}

export function createGrpcHandlers(context: GrpcApiContext): SluiceHandlers {
  const { logger } = context;
  return {
    CreateTopics: unary(logger, 'CreateTopics', (call) => createTopics(context, call.request)),
    Metadata: unary(logger, 'Metadata', (call) => metadata(context, call.request)),
    Produce: unary(logger, 'Produce', (call) => produce(context, call.request)),
    InitProducerId: unary(logger, 'InitProducerId', () => initProducerId(context)),
    Fetch: unary(logger, 'Fetch', (call) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      return fetch(context, call.request, abort.signal);
    }),
    ListOffsets: unary(logger, 'ListOffsets', (call) => listOffsets(context, call.request)),
    DeleteTopics: unary(logger, 'DeleteTopics', (call) => deleteTopics(context, call.request)),
    CreatePartitions: unary(logger, 'CreatePartitions', (call) => createPartitions(context, call.request)),
    DescribeConfigs: unary(logger, 'DescribeConfigs', (call) => describeConfigs(context, call.request)),
    AlterConfigs: unary(logger, 'AlterConfigs', (call) => alterConfigs(context, call.request)),
    ...createGroupHandlers(context, unary),
  };
}

export function createInterBrokerHandlers(context: GrpcApiContext): InterBrokerHandlers {
  return {
    StopReplica: unary(context.logger, 'StopReplica', (call) => stopReplica(context, call.request)),
    ReplicaFetch: unary(context.logger, 'ReplicaFetch', (call) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      return fetch(context, call.request, abort.signal, call.request.replica_id);
    }),
    OffsetsForLeaderEpoch: unary(context.logger, 'OffsetsForLeaderEpoch', async (call) =>
      offsetsForLeaderEpoch(context, call.request),
    ),
    ControlledShutdown: unary(context.logger, 'ControlledShutdown', async (call) => {
      const answer = context.controlledShutdown
        ? await context.controlledShutdown(call.request.broker_id)
        : { errorCode: ErrorCode.NOT_CONTROLLER, remaining: [] };
      return {
        error_code: answer.errorCode,
        remaining_partitions: answer.remaining.map((p) => ({
          topic_name: p.topic,
          partition_index: p.partition,
        })),
      };
    }),
  };
}

export async function startGrpcServer(
  context: GrpcApiContext,
  host: string,
  port: number,
): Promise<{ server: grpc.Server; port: number }> {
  const maxBytes = context.config.socketRequestMaxBytes;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': maxBytes,
  });
  server.addService(sluiceProto().sluice.v1.Sluice.service, createGrpcHandlers(context));
  server.addService(sluiceProto().sluice.v1.InterBroker.service, createInterBrokerHandlers(context));
  const boundPort = await new Promise<number>((resolve, reject) => {
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) reject(new Error(`Cannot listen on ${address}: ${err.message}`));
      else resolve(bound);
    });
  });
  return { server, port: boundPort };
}

async function createTopics(
  context: GrpcApiContext,
  request: CreateTopicsRequest__Output,
): Promise<CreateTopicsResponse> {
  const results = await context.topicCreator.createTopics(
    request.topics.map((t) => ({
      name: t.name,
      numPartitions: t.num_partitions,
      replicationFactor: t.replication_factor,
      assignments: new Map(t.assignments.map((a) => [a.partition_index, a.broker_ids])),
      configs: t.configs,
    })),
    { validateOnly: request.validate_only, timeoutMs: request.timeout_ms },
  );
  return {
    topics: results.map((r) => ({
      name: r.name,
      error_code: r.errorCode,
      error_message: r.errorMessage,
      num_partitions: r.numPartitions,
      replication_factor: r.replicationFactor,
    })),
  };
}

async function metadata(
  context: GrpcApiContext,
  request: MetadataRequest__Output,
): Promise<MetadataResponse> {
  const view = context.metadata;
  const brokers = brokersOnListener(view, context.listenerName).map((b) => ({
    node_id: b.id,
    host: b.host,
    port: b.port,
    rack: b.rack ?? '',
  }));
  const names =
    request.all_topics || request.topics.length === 0 ? [...view.topics.keys()].sort() : request.topics;
  const topics: TopicMetadata[] = [];
  for (const name of names) {
    const topic = view.topics.get(name);
    if (topic) {
      const partitions: PartitionMetadata[] = partitionAnswers(view, topic).map((p) => ({
        error_code: p.errorCode,
        partition_index: p.partition,
        leader_id: p.leader,
        leader_epoch: p.leaderEpoch,
        replica_nodes: p.replicas,
        isr_nodes: p.isr,
        offline_replicas: p.offlineReplicas,
      }));
      topics.push({ error_code: ErrorCode.NONE, name, is_internal: isInternalTopic(name), partitions });
      continue;
    }
    topics.push(await unknownTopic(context, name, request.allow_auto_topic_creation));
  }
  return { brokers, cluster_id: context.clusterId, controller_id: view.controllerId, topics };
}

async function unknownTopic(
  context: GrpcApiContext,
  name: string,
  allowAutoCreation: boolean,
): Promise<TopicMetadata> {
  const answer = (code: number, message: string): TopicMetadata => ({
    error_code: code,
    name,
    is_internal: false,
    partitions: [],
    error_message: message,
  });
  try {
    validateTopicName(name);
  } catch (err) {
    if (err instanceof KafkaError) return answer(err.code, err.message);
    throw err;
  }
  if (!allowAutoCreation || !context.config.autoCreateTopicsEnable) {
    return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unknown topic ${name}`);
  }
  try {
    await context.topicCreator.autoCreate(name);
  } catch (err) {
    if (err instanceof KafkaError) return answer(err.code, err.message);
    throw err;
  }
  // As Kafka: the topic now exists, but its leaders are not known yet; the client asks again.
  return answer(ErrorCode.LEADER_NOT_AVAILABLE, errorInfo(ErrorCode.LEADER_NOT_AVAILABLE).message);
}

async function produce(context: GrpcApiContext, request: ProduceRequest__Output): Promise<ProduceResponse> {
  const responses = await Promise.all(
    request.topics.map(async (topic) => ({
      name: topic.name,
      partitions: await Promise.all(
        topic.partitions.map(async (p) => {
          const result = await context.replicaManager.appendRecords(
            topic.name,
            p.index,
            p.records,
            request.acks,
            request.timeout_ms > 0 ? request.timeout_ms : context.config.requestTimeoutMs,
          );
          return {
            index: p.index,
            error_code: result.errorCode,
            error_message: result.errorMessage,
            base_offset: result.baseOffset,
            log_append_time_ms: result.logAppendTimeMs,
            log_start_offset: result.logStartOffset,
            current_leader: {
              leader_id: result.currentLeader.leaderId,
              leader_epoch: result.currentLeader.leaderEpoch,
            },
          };
        }),
      ),
    })),
  );
  return { responses };
}

async function fetch(
  context: GrpcApiContext,
  request: FetchRequest__Output,
  signal: AbortSignal,
  /** A follower's broker id on the InterBroker service; undefined for consumers. */
  replicaId?: number,
): Promise<FetchResponse> {
  const fetchRequest = {
    maxWaitMs: request.max_wait_ms,
    minBytes: request.min_bytes,
    maxBytes: request.max_bytes > 0 ? request.max_bytes : context.config.replicaFetchResponseMaxBytes,
    partitions: request.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.topic,
        partition: p.partition,
        fetchOffset: p.fetch_offset,
        partitionMaxBytes:
          p.partition_max_bytes > 0 ? p.partition_max_bytes : context.config.replicaFetchMaxBytes,
        currentLeaderEpoch: p.current_leader_epoch,
      })),
    ),
  };
  const results =
    replicaId === undefined
      ? await context.replicaManager.fetch(fetchRequest, signal)
      : await context.replicaManager.replicaFetch(replicaId, fetchRequest, signal);
  const byTopic = new Map<string, FetchPartitionResult[]>();
  for (const result of results) {
    const list = byTopic.get(result.topic) ?? [];
    list.push(result);
    byTopic.set(result.topic, list);
  }
  return {
    error_code: ErrorCode.NONE,
    responses: [...byTopic].map(([topic, partitions]) => ({
      topic,
      partitions: partitions.map((r) => ({
        partition_index: r.partition,
        error_code: r.errorCode,
        error_message: r.errorMessage,
        high_watermark: r.highWatermark,
        log_start_offset: r.logStartOffset,
        records: r.records,
        current_leader: { leader_id: r.currentLeader.leaderId, leader_epoch: r.currentLeader.leaderEpoch },
      })),
    })),
  };
}

async function listOffsets(
  context: GrpcApiContext,
  request: ListOffsetsRequest__Output,
): Promise<ListOffsetsResponse> {
  const topics = await Promise.all(
    request.topics.map(async (topic) => ({
      name: topic.name,
      partitions: await Promise.all(
        topic.partitions.map(async (p) => {
          const result = await context.replicaManager.listOffset(topic.name, p.partition_index, p.timestamp);
          return {
            partition_index: p.partition_index,
            error_code: result.errorCode,
            error_message: result.errorMessage,
            timestamp: result.timestamp,
            offset: result.offset,
            leader_epoch: result.leaderEpoch,
          };
        }),
      ),
    })),
  );
  return { topics };
}

async function deleteTopics(
  context: GrpcApiContext,
  request: DeleteTopicsRequest__Output,
): Promise<DeleteTopicsResponse> {
  const results = await context.topicDeleter.deleteTopics(request.topic_names, request.timeout_ms);
  return {
    responses: results.map((r) => ({
      name: r.topic,
      error_code: r.errorCode,
      error_message: r.errorMessage,
    })),
  };
}

async function createPartitions(
  context: GrpcApiContext,
  request: CreatePartitionsRequest__Output,
): Promise<CreatePartitionsResponse> {
  const results = await context.partitionCreator.createPartitions(
    request.topics.map((t) => ({
      topic: t.name,
      count: t.count,
      assignments: t.assignments.map((a) => a.broker_ids),
    })),
    { validateOnly: request.validate_only, timeoutMs: request.timeout_ms },
  );
  return {
    results: results.map((r) => ({ name: r.topic, error_code: r.errorCode, error_message: r.errorMessage })),
  };
}

function unsupportedResource(type: number): KafkaError {
  return new KafkaError(
    ErrorCode.INVALID_REQUEST,
    `Resource type ${type} is not supported: only topics (${ConfigResourceType.TOPIC})`,
  );
}

function errorOf(
  context: GrpcApiContext,
  err: unknown,
  rpc: string,
): { error_code: number; error_message: string } {
  if (err instanceof KafkaError) return { error_code: err.code, error_message: err.message };
  context.logger.error({ err, rpc }, 'request failed');
  return {
    error_code: ErrorCode.UNKNOWN_SERVER_ERROR,
    error_message: err instanceof Error ? err.message : String(err),
  };
}

async function describeConfigs(
  context: GrpcApiContext,
  request: DescribeConfigsRequest__Output,
): Promise<DescribeConfigsResponse> {
  const results = await Promise.all(
    request.resources.map(async (resource) => {
      const base = { resource_type: resource.resource_type, resource_name: resource.resource_name };
      try {
        if (resource.resource_type !== ConfigResourceType.TOPIC)
          throw unsupportedResource(resource.resource_type);
        const entries = await context.topicConfigAdmin.describe(
          resource.resource_name,
          resource.configuration_keys,
        );
        return {
          ...base,
          error_code: ErrorCode.NONE,
          error_message: '',
          configs: entries.map((e) => ({
            name: e.name,
            value: e.value,
            read_only: e.readOnly,
            config_source: e.source,
            is_sensitive: e.sensitive,
          })),
        };
      } catch (err) {
        return { ...base, ...errorOf(context, err, 'DescribeConfigs'), configs: [] };
      }
    }),
  );
  return { results };
}

async function alterConfigs(
  context: GrpcApiContext,
  request: AlterConfigsRequest__Output,
): Promise<AlterConfigsResponse> {
  const responses = [];
  for (const resource of request.resources) {
    const base = { resource_type: resource.resource_type, resource_name: resource.resource_name };
    try {
      if (resource.resource_type !== ConfigResourceType.TOPIC)
        throw unsupportedResource(resource.resource_type);
      await context.topicConfigAdmin.alter(
        resource.resource_name,
        resource.configs.map((c) => ({ name: c.name, operation: c.config_operation, value: c.value })),
        request.validate_only,
      );
      responses.push({ ...base, error_code: ErrorCode.NONE, error_message: '' });
    } catch (err) {
      responses.push({ ...base, ...errorOf(context, err, 'AlterConfigs') });
    }
  }
  return { responses };
}

function offsetsForLeaderEpoch(
  context: GrpcApiContext,
  request: OffsetsForLeaderEpochRequest__Output,
): OffsetsForLeaderEpochResponse {
  const results = context.replicaManager.offsetsForLeaderEpoch(
    request.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.topic,
        partition: p.partition,
        currentLeaderEpoch: p.current_leader_epoch,
        leaderEpoch: p.leader_epoch,
      })),
    ),
  );
  return {
    topics: request.topics.map((t) => ({
      topic: t.topic,
      partitions: results
        .filter((r) => r.topic === t.topic)
        .map((r) => ({
          error_code: r.errorCode,
          partition: r.partition,
          leader_epoch: r.leaderEpoch,
          end_offset: r.endOffset,
        })),
    })),
  };
}

async function stopReplica(
  context: GrpcApiContext,
  request: StopReplicaRequest__Output,
): Promise<StopReplicaResponse> {
  const result = await context.replicaManager.stopReplicas({
    controllerId: request.controller_id,
    controllerEpoch: request.controller_epoch,
    deletePartitions: request.delete_partitions,
    partitions: request.partitions.map((p) => ({ topic: p.topic_name, partition: p.partition_index })),
  });
  return {
    error_code: result.errorCode,
    partition_errors: result.partitions.map((p) => ({
      topic_name: p.topic,
      partition_index: p.partition,
      error_code: p.errorCode,
    })),
  };
}

/** InitProducerId without transactions: a fresh producer id with epoch 0 (Kafka's idempotent producer). */
async function initProducerId(context: GrpcApiContext): Promise<InitProducerIdResponse> {
  if (!context.producerIds) {
    return {
      error_code: ErrorCode.BROKER_NOT_AVAILABLE,
      error_message: 'this broker hands out no producer ids',
      producer_id: -1,
      producer_epoch: -1,
    };
  }
  try {
    const producerId = await context.producerIds.nextProducerId();
    return { error_code: ErrorCode.NONE, error_message: '', producer_id: producerId, producer_epoch: 0 };
  } catch (err) {
    context.logger.warn({ err }, 'could not allocate a producer id');
    return {
      error_code: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      error_message: err instanceof Error ? err.message : String(err),
      producer_id: -1,
      producer_epoch: -1,
    };
  }
}
