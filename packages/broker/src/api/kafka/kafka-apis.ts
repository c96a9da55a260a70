// The Kafka APIs over the broker's core: the same ReplicaManager, admin components, MetadataView and
// producer ids the gRPC adapter calls (api/grpc/grpc-server.ts). Produce and Fetch carry record batches
// as stored, never re-encoded. Decoded requests and responses are plain objects shaped by the schemas in
// protocol/messages; versions only matter here where a field's meaning changes between them.
import { brokersOnListener, type MetadataView, partitionAnswers } from '@sluice/coordinator';
import {
  ConfigOperation,
  ConfigResourceType,
  ErrorCode,
  isInternalTopic,
  KafkaError,
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
import {
  deleteGroups,
  describeGroups,
  findCoordinator,
  heartbeat,
  joinGroup,
  type KafkaClient,
  leaveGroup,
  listGroups,
  offsetCommit,
  offsetFetch,
  syncGroup,
} from './group-apis.ts';
import type { Message } from './protocol/codec.ts';
import type { RequestHeader } from './protocol/headers.ts';
import {
  ALTER_CONFIGS,
  API_VERSIONS,
  CREATE_PARTITIONS,
  CREATE_TOPICS,
  DELETE_GROUPS,
  DELETE_TOPICS,
  DESCRIBE_CONFIGS,
  DESCRIBE_GROUPS,
  FETCH,
  FIND_COORDINATOR,
  HEARTBEAT,
  INIT_PRODUCER_ID,
  JOIN_GROUP,
  LEAVE_GROUP,
  LIST_GROUPS,
  LIST_OFFSETS,
  METADATA,
  OFFSET_COMMIT,
  OFFSET_FETCH,
  OFFSET_FOR_LEADER_EPOCH,
  PRODUCE,
  SYNC_GROUP,
  supportedApiKeys,
} from './protocol/messages/index.ts';

export interface KafkaApiContext {
  brokerId: number;
  clusterId: string;
  /** The listener this server is bound to: Metadata advertises every broker's endpoint on it. */
  listenerName: string;
  config: BrokerConfig;
  metadata: MetadataView;
  replicaManager: ReplicaManager;
  producerIds?: { nextProducerId(): Promise<number> };
  topicCreator: TopicCreator;
  partitionCreator: PartitionCreator;
  topicDeleter: TopicDeleter;
  topicConfigAdmin: TopicConfigAdmin;
  groupCoordinator: GroupCoordinatorApi;
  logger: Logger;
}

/** Kafka's ConfigSource for a topic override and for a default. */
const CONFIG_SOURCE_TOPIC = 1;
const CONFIG_SOURCE_DEFAULT = 5;

/**
 * The answer to one request, or null when Kafka sends none (Produce with acks=0). `clientHost` is the
 * peer's address in Kafka's form ("/127.0.0.1"), which group members are described with.
 */
export async function handleRequest(
  context: KafkaApiContext,
  header: RequestHeader,
  body: Message,
  signal: AbortSignal,
  clientHost: string,
): Promise<Message | null> {
  const version = header.apiVersion;
  const client: KafkaClient = { clientId: header.clientId ?? '', clientHost };
  switch (header.apiKey) {
    case API_VERSIONS.apiKey:
      return { errorCode: ErrorCode.NONE, apiKeys: supportedApiKeys(), throttleTimeMs: 0 };
    case METADATA.apiKey:
      return metadata(context, body, version);
    case PRODUCE.apiKey:
      return produce(context, body);
    case FETCH.apiKey:
      return fetch(context, body, signal);
    case LIST_OFFSETS.apiKey:
      return listOffsets(context, body, version);
    case CREATE_TOPICS.apiKey:
      return createTopics(context, body);
    case DELETE_TOPICS.apiKey:
      return deleteTopics(context, body);
    case CREATE_PARTITIONS.apiKey:
      return createPartitions(context, body);
    case DESCRIBE_CONFIGS.apiKey:
      return describeConfigs(context, body);
    case ALTER_CONFIGS.apiKey:
      return alterConfigs(context, body);
    case INIT_PRODUCER_ID.apiKey:
      return initProducerId(context, body);
    case OFFSET_FOR_LEADER_EPOCH.apiKey:
      return offsetForLeaderEpoch(context, body);
    case FIND_COORDINATOR.apiKey:
      return findCoordinator(context, body);
    case JOIN_GROUP.apiKey:
      return joinGroup(context, body, version, client, signal);
    case SYNC_GROUP.apiKey:
      return syncGroup(context, body, signal);
    case HEARTBEAT.apiKey:
      return heartbeat(context, body);
    case LEAVE_GROUP.apiKey:
      return leaveGroup(context, body, version);
    case OFFSET_COMMIT.apiKey:
      return offsetCommit(context, body);
    case OFFSET_FETCH.apiKey:
      return offsetFetch(context, body, version);
    case LIST_GROUPS.apiKey:
      return listGroups(context, body);
    case DESCRIBE_GROUPS.apiKey:
      return describeGroups(context, body);
    case DELETE_GROUPS.apiKey:
      return deleteGroups(context, body);
    default:
      throw new Error(`no handler for api ${header.apiKey}`);
  }
}

function nullIfEmpty(text: string): string | null {
  return text === '' ? null : text;
}

async function metadata(context: KafkaApiContext, request: Message, version: number): Promise<Message> {
  const view = context.metadata;
  const brokers = brokersOnListener(view, context.listenerName).map((b) => ({
    nodeId: b.id,
    host: b.host,
    port: b.port,
    rack: b.rack,
  }));
  const requested = request.topics as Array<{ name: string }> | null;
  // v0: an empty list means every topic; v1+: null does.
  const all = requested === null || (version === 0 && requested.length === 0);
  const names = all ? [...view.topics.keys()].sort() : requested.map((t) => t.name);
  const allowAutoCreation = request.allowAutoTopicCreation as boolean;
  const topics: Message[] = [];
  for (const name of names) {
    const topic = view.topics.get(name);
    if (!topic) {
      topics.push(await unknownTopic(context, name, allowAutoCreation && !all));
      continue;
    }
    const partitions = partitionAnswers(view, topic).map((p) => ({
      errorCode: p.errorCode,
      partitionIndex: p.partition,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      offlineReplicas: p.offlineReplicas,
    }));
    topics.push({ errorCode: ErrorCode.NONE, name, isInternal: isInternalTopic(name), partitions });
  }
  return {
    throttleTimeMs: 0,
    brokers,
    clusterId: context.clusterId,
    controllerId: view.controllerId,
    topics,
  };
}

async function unknownTopic(
  context: KafkaApiContext,
  name: string,
  allowAutoCreation: boolean,
): Promise<Message> {
  const answer = (errorCode: number): Message => ({ errorCode, name, isInternal: false, partitions: [] });
  try {
    validateTopicName(name);
    if (!allowAutoCreation || !context.config.autoCreateTopicsEnable) {
      return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
    await context.topicCreator.autoCreate(name);
  } catch (err) {
    if (err instanceof KafkaError) return answer(err.code);
    throw err;
  }
  // As Kafka: the topic exists now, its leaders are not known yet; the client asks again.
  return answer(ErrorCode.LEADER_NOT_AVAILABLE);
}

async function produce(context: KafkaApiContext, request: Message): Promise<Message | null> {
  const acks = request.acks as number;
  // acks=all waits on the high watermark for at most the request's own timeout, as Kafka's purgatory does.
  const timeoutMs =
    (request.timeoutMs as number) > 0 ? (request.timeoutMs as number) : context.config.requestTimeoutMs;
  const transactional = request.transactionalId !== null;
  const responses = await Promise.all(
    (request.topicData as Message[]).map(async (topic) => ({
      name: topic.name,
      partitionResponses: await Promise.all(
        (topic.partitionData as Message[]).map(async (p) => {
          if (transactional) {
            const code = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
            return partitionError(p.index, code, 'Sluice does not support transactions');
          }
          const result = await context.replicaManager.appendRecords(
            topic.name,
            p.index,
            (p.records as Buffer | null) ?? Buffer.alloc(0),
            acks,
            timeoutMs,
          );
          return {
            index: p.index,
            errorCode: result.errorCode,
            baseOffset: result.baseOffset,
            logAppendTimeMs: result.logAppendTimeMs,
            logStartOffset: result.logStartOffset,
            recordErrors: [],
            errorMessage: nullIfEmpty(result.errorMessage),
          };
        }),
      ),
    })),
  );
  if (acks === 0) return null;
  return { responses, throttleTimeMs: 0 };
}

function partitionError(index: number, errorCode: number, message: string): Message {
  return {
    index,
    errorCode,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    recordErrors: [],
    errorMessage: message,
  };
}

async function fetch(context: KafkaApiContext, request: Message, signal: AbortSignal): Promise<Message> {
  const maxBytes = request.maxBytes as number;
  const topics = request.topics as Message[];
  const results = await context.replicaManager.fetch(
    {
      maxWaitMs: request.maxWaitMs,
      minBytes: request.minBytes,
      maxBytes: maxBytes > 0 ? maxBytes : context.config.replicaFetchResponseMaxBytes,
      partitions: topics.flatMap((t) =>
        (t.partitions as Message[]).map((p) => ({
          topic: t.topic as string,
          partition: p.partition as number,
          fetchOffset: p.fetchOffset as number,
          partitionMaxBytes: Math.max(p.partitionMaxBytes as number, 0),
          currentLeaderEpoch: p.currentLeaderEpoch as number,
        })),
      ),
    },
    signal,
  );
  // Answered in the order asked, one entry per topic as it appeared in the request.
  const byTopic = new Map<string, FetchPartitionResult[]>();
  for (const result of results) {
    const list = byTopic.get(result.topic) ?? [];
    list.push(result);
    byTopic.set(result.topic, list);
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    sessionId: 0,
    responses: [...byTopic].map(([topic, partitions]) => ({
      topic,
      partitions: partitions.map((r) => ({
        partitionIndex: r.partition,
        errorCode: r.errorCode,
        highWatermark: r.highWatermark,
        // No transactions: everything below the high watermark is stable.
        lastStableOffset: r.highWatermark,
        logStartOffset: r.logStartOffset,
        abortedTransactions: [],
        preferredReadReplica: -1,
        records: r.records,
      })),
    })),
  };
}

async function listOffsets(context: KafkaApiContext, request: Message, version: number): Promise<Message> {
  const topics = await Promise.all(
    (request.topics as Message[]).map(async (topic) => ({
      name: topic.name,
      partitions: await Promise.all(
        (topic.partitions as Message[]).map(async (p) => {
          const result = await context.replicaManager.listOffset(topic.name, p.partitionIndex, p.timestamp);
          return {
            partitionIndex: p.partitionIndex,
            errorCode: result.errorCode,
            oldStyleOffsets:
              version === 0 && result.offset >= 0 && p.maxNumOffsets > 0 ? [result.offset] : [],
            timestamp: result.timestamp,
            offset: result.offset,
            leaderEpoch: result.leaderEpoch,
          };
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

/**
 * Where a leader epoch ends, for consumers (replica id -2, KIP-320) and followers alike: the same core
 * as the InterBroker OffsetsForLeaderEpoch RPC. Only the leader answers; v0-1 have no current leader
 * epoch (-1: not checked). Answers keep the request's order.
 */
function offsetForLeaderEpoch(context: KafkaApiContext, request: Message): Message {
  const topics = request.topics as Message[];
  const results = context.replicaManager.offsetsForLeaderEpoch(
    topics.flatMap((t) =>
      (t.partitions as Message[]).map((p) => ({
        topic: t.name as string,
        partition: p.partitionIndex as number,
        currentLeaderEpoch: p.currentLeaderEpoch as number,
        leaderEpoch: p.leaderEpoch as number,
      })),
    ),
  );
  let next = 0;
  return {
    throttleTimeMs: 0,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: (t.partitions as Message[]).map(() => {
        const r = results[next++]!;
        return {
          errorCode: r.errorCode,
          partitionIndex: r.partition,
          leaderEpoch: r.leaderEpoch,
          endOffset: r.endOffset,
        };
      }),
    })),
  };
}

async function createTopics(context: KafkaApiContext, request: Message): Promise<Message> {
  const results = await context.topicCreator.createTopics(
    (request.topics as Message[]).map((t) => ({
      name: t.name,
      numPartitions: t.numPartitions,
      replicationFactor: t.replicationFactor,
      assignments: new Map((t.assignments as Message[]).map((a) => [a.partitionIndex, a.brokerIds])),
      configs: Object.fromEntries(
        (t.configs as Message[]).filter((c) => c.value !== null).map((c) => [c.name, c.value]),
      ),
    })),
    { validateOnly: request.validateOnly, timeoutMs: request.timeoutMs },
  );
  return {
    throttleTimeMs: 0,
    topics: await Promise.all(
      results.map(async (r) => ({
        name: r.name,
        errorCode: r.errorCode,
        errorMessage: nullIfEmpty(r.errorMessage),
        numPartitions: r.numPartitions,
        replicationFactor: r.replicationFactor,
        // Never null, as in Kafka: Kafka's AdminClient (2.7) reads the list of every successful v5
        // result and fails the whole creation on a null one. A created topic's list is its configs as
        // DescribeConfigs gives them; a failed one's, and a validate-only one's (not created), empty.
        configs:
          r.errorCode === ErrorCode.NONE && !request.validateOnly
            ? await createdTopicConfigs(context, r.name)
            : [],
      })),
    ),
  };
}

async function createdTopicConfigs(context: KafkaApiContext, topic: string): Promise<Message[]> {
  const entries = await context.topicConfigAdmin.describe(topic, []).catch(() => []);
  return entries.map((e) => ({
    name: e.name,
    value: e.value,
    readOnly: e.readOnly,
    configSource: e.source,
    isSensitive: e.sensitive,
  }));
}

async function deleteTopics(context: KafkaApiContext, request: Message): Promise<Message> {
  const results = await context.topicDeleter.deleteTopics(request.topicNames, request.timeoutMs);
  return { throttleTimeMs: 0, responses: results.map((r) => ({ name: r.topic, errorCode: r.errorCode })) };
}

async function createPartitions(context: KafkaApiContext, request: Message): Promise<Message> {
  const results = await context.partitionCreator.createPartitions(
    (request.topics as Message[]).map((t) => ({
      topic: t.name,
      count: t.count,
      assignments: ((t.assignments as Message[] | null) ?? []).map((a) => a.brokerIds),
    })),
    { validateOnly: request.validateOnly, timeoutMs: request.timeoutMs },
  );
  return {
    throttleTimeMs: 0,
    results: results.map((r) => ({
      name: r.topic,
      errorCode: r.errorCode,
      errorMessage: nullIfEmpty(r.errorMessage),
    })),
  };
}

function errorFields(context: KafkaApiContext, err: unknown, api: string): Message {
  if (err instanceof KafkaError) return { errorCode: err.code, errorMessage: err.message };
  context.logger.error({ err, api }, 'request failed');
  return {
    errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
    errorMessage: err instanceof Error ? err.message : String(err),
  };
}

function requireTopicResource(type: number): void {
  if (type !== ConfigResourceType.TOPIC) {
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      `Resource type ${type} is not supported: only topics (${ConfigResourceType.TOPIC})`,
    );
  }
}

async function describeConfigs(context: KafkaApiContext, request: Message): Promise<Message> {
  const results = await Promise.all(
    (request.resources as Message[]).map(async (resource) => {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      try {
        requireTopicResource(resource.resourceType);
        const entries = await context.topicConfigAdmin.describe(
          resource.resourceName,
          (resource.configurationKeys as string[] | null) ?? [],
        );
        return {
          ...base,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          configs: entries.map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            isDefault: e.source === CONFIG_SOURCE_DEFAULT,
            configSource: e.source,
            isSensitive: e.sensitive,
            synonyms: [],
            configType: 0,
            documentation: null,
          })),
        };
      } catch (err) {
        return { ...base, ...errorFields(context, err, 'DescribeConfigs'), configs: [] };
      }
    }),
  );
  return { throttleTimeMs: 0, results };
}

/** AlterConfigs replaces the whole set of overrides: what is not named goes back to its default. */
async function alterConfigs(context: KafkaApiContext, request: Message): Promise<Message> {
  const responses: Message[] = [];
  for (const resource of request.resources as Message[]) {
    const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
    try {
      requireTopicResource(resource.resourceType);
      const wanted = (resource.configs as Message[]).filter((c) => c.value !== null);
      const names = new Set(wanted.map((c) => c.name as string));
      const current = await context.topicConfigAdmin.describe(resource.resourceName, []);
      const changes = [
        ...wanted.map((c) => ({
          name: c.name as string,
          operation: ConfigOperation.SET,
          value: c.value as string,
        })),
        ...current
          .filter((e) => e.source === CONFIG_SOURCE_TOPIC && !names.has(e.name))
          .map((e) => ({ name: e.name, operation: ConfigOperation.DELETE, value: '' })),
      ];
      await context.topicConfigAdmin.alter(resource.resourceName, changes, request.validateOnly);
      responses.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (err) {
      responses.push({ ...base, ...errorFields(context, err, 'AlterConfigs') });
    }
  }
  return { throttleTimeMs: 0, responses };
}

/** Idempotent producers only: a fresh producer id with epoch 0; transactional ids are refused. */
async function initProducerId(context: KafkaApiContext, request: Message): Promise<Message> {
  const answer = (errorCode: number, producerId = -1, producerEpoch = -1): Message => ({
    throttleTimeMs: 0,
    errorCode,
    producerId,
    producerEpoch,
  });
  if (request.transactionalId !== null) return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  if (!context.producerIds) return answer(ErrorCode.BROKER_NOT_AVAILABLE);
  try {
    return answer(ErrorCode.NONE, await context.producerIds.nextProducerId(), 0);
  } catch (err) {
    context.logger.warn({ err }, 'could not allocate a producer id');
    return answer(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }
}
