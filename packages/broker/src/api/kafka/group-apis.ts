// The consumer-group APIs of the Kafka listener over the group coordinator (group/types.ts), the same
// coordinator the gRPC adapter calls. This file only maps Kafka's versions onto the coordinator's one
// shape: which fields a version lacks, what they mean then, and how a version answers an error.
import { brokersOnListener } from '@sluice/coordinator';
import { ErrorCode, errorInfo } from '@sluice/protocol';
import type { JoinGroupRequest } from '../../group/types.ts';
import type { KafkaApiContext } from './kafka-apis.ts';
import type { Message } from './protocol/codec.ts';

/** Who sent a request: JoinGroup records it per member and DescribeGroups shows it. */
export interface KafkaClient {
  /** The request header's client id ('' when null). */
  clientId: string;
  /** Kafka's form of the peer address: "/127.0.0.1". */
  clientHost: string;
}

/** FindCoordinator key types (KIP-98). */
const COORDINATOR_KEY_TYPE_GROUP = 0;
const COORDINATOR_KEY_TYPE_TRANSACTION = 1;

/** DescribeGroups v3+: the value of authorized_operations when the client did not ask for them. */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/**
 * Without an authorizer (Sluice has no ACLs) a client may do everything a group supports, and Kafka
 * answers that set: READ (3), DELETE (6) and DESCRIBE (8), as bits of an int32.
 */
const GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

/** Version 0 of JoinGroup has no rebalance timeout: the session timeout is used, as in Kafka. */
const FIRST_JOIN_GROUP_VERSION_WITH_REBALANCE_TIMEOUT = 1;
/** JoinGroup v4+ (KIP-394): a member without an id first gets MEMBER_ID_REQUIRED and its id. */
const FIRST_JOIN_GROUP_VERSION_REQUIRING_MEMBER_ID = 4;
/** JoinGroup v7 may answer a null protocol name; older versions answer ''. */
const FIRST_JOIN_GROUP_VERSION_WITH_NULLABLE_PROTOCOL = 7;
/** LeaveGroup v3+ (KIP-345) names several members, each answered on its own. */
const FIRST_LEAVE_GROUP_VERSION_WITH_MEMBERS = 3;
/** OffsetFetch v2+ has a group-level error code; v0-1 answer it on every partition asked. */
const FIRST_OFFSET_FETCH_VERSION_WITH_ERROR = 2;

/**
 * Byte fields decoded from a frame are views of the socket's read buffer; what the coordinator keeps
 * (protocol metadata, assignments) is copied so a stored member does not pin whole reads in memory.
 */
function copy(bytes: Buffer): Buffer {
  return Buffer.from(bytes);
}

export async function findCoordinator(context: KafkaApiContext, request: Message): Promise<Message> {
  const none = (errorCode: number, errorMessage: string | null): Message => ({
    throttleTimeMs: 0,
    errorCode,
    errorMessage: errorMessage ?? errorInfo(errorCode).message,
    nodeId: -1,
    host: '',
    port: -1,
  });
  const keyType = request.keyType as number;
  if (keyType === COORDINATOR_KEY_TYPE_TRANSACTION) {
    return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'Sluice has no transaction coordinator');
  }
  if (keyType !== COORDINATOR_KEY_TYPE_GROUP) {
    return none(ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}`);
  }
  const result = await context.groupCoordinator.findCoordinator(request.key);
  if (result.errorCode !== ErrorCode.NONE) return none(result.errorCode, result.errorMessage);
  // The coordinator's endpoint on the listener asked, as Metadata answers brokers.
  const broker = brokersOnListener(context.metadata, context.listenerName).find(
    (b) => b.id === result.nodeId,
  );
  if (!broker) {
    return none(
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
      `Broker ${result.nodeId} has no live endpoint on listener ${context.listenerName}`,
    );
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    nodeId: broker.id,
    host: broker.host,
    port: broker.port,
  };
}

export async function joinGroup(
  context: KafkaApiContext,
  request: Message,
  version: number,
  client: KafkaClient,
  signal: AbortSignal,
): Promise<Message> {
  const join: JoinGroupRequest = {
    groupId: request.groupId,
    sessionTimeoutMs: request.sessionTimeoutMs,
    rebalanceTimeoutMs:
      version >= FIRST_JOIN_GROUP_VERSION_WITH_REBALANCE_TIMEOUT
        ? request.rebalanceTimeoutMs
        : request.sessionTimeoutMs,
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
    protocolType: request.protocolType,
    protocols: (request.protocols as Message[]).map((p) => ({ name: p.name, metadata: copy(p.metadata) })),
    clientId: client.clientId,
    clientHost: client.clientHost,
    requireKnownMemberId: version >= FIRST_JOIN_GROUP_VERSION_REQUIRING_MEMBER_ID,
  };
  const result = await context.groupCoordinator.joinGroup(join, signal);
  return {
    throttleTimeMs: 0,
    errorCode: result.errorCode,
    generationId: result.generationId,
    protocolType: result.protocolType,
    protocolName:
      version >= FIRST_JOIN_GROUP_VERSION_WITH_NULLABLE_PROTOCOL
        ? result.protocolName
        : (result.protocolName ?? ''),
    leader: result.leader,
    memberId: result.memberId,
    members: result.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata,
    })),
  };
}

export async function syncGroup(
  context: KafkaApiContext,
  request: Message,
  signal: AbortSignal,
): Promise<Message> {
  // Before v5 the request has no protocol type and name: they decode as null (not checked).
  const result = await context.groupCoordinator.syncGroup(
    {
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      protocolType: request.protocolType,
      protocolName: request.protocolName,
      assignments: (request.assignments as Message[]).map((a) => ({
        memberId: a.memberId,
        assignment: copy(a.assignment),
      })),
    },
    signal,
  );
  return {
    throttleTimeMs: 0,
    errorCode: result.errorCode,
    protocolType: result.protocolType,
    protocolName: result.protocolName,
    assignment: result.assignment,
  };
}

export async function heartbeat(context: KafkaApiContext, request: Message): Promise<Message> {
  const result = await context.groupCoordinator.heartbeat({
    groupId: request.groupId,
    generationId: request.generationId,
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
  });
  return { throttleTimeMs: 0, errorCode: result.errorCode };
}

export async function leaveGroup(
  context: KafkaApiContext,
  request: Message,
  version: number,
): Promise<Message> {
  const many = version >= FIRST_LEAVE_GROUP_VERSION_WITH_MEMBERS;
  const members = many
    ? (request.members as Message[]).map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
      }))
    : [{ memberId: request.memberId as string, groupInstanceId: null }];
  const result = await context.groupCoordinator.leaveGroup({ groupId: request.groupId, members });
  if (many) {
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      members: result.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        errorCode: m.errorCode,
      })),
    };
  }
  // v0-2 have one error: the group's, else the member's (as Kafka folds them).
  const memberError = result.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode;
  const errorCode = result.errorCode !== ErrorCode.NONE ? result.errorCode : (memberError ?? ErrorCode.NONE);
  return { throttleTimeMs: 0, errorCode };
}

export async function offsetCommit(context: KafkaApiContext, request: Message): Promise<Message> {
  // The schema's defaults carry the version differences: v0 has no generation (-1) or member (''),
  // only v2-4 carry a retention time (else -1: offsets.retention.minutes), only v6+ a leader epoch (-1).
  // v1's per-partition commit timestamp is read but not used: the coordinator stamps commits itself.
  const result = await context.groupCoordinator.commitOffsets({
    groupId: request.groupId,
    generationId: request.generationId,
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
    retentionTimeMs: request.retentionTimeMs,
    topics: (request.topics as Message[]).map((t) => ({
      name: t.name,
      partitions: (t.partitions as Message[]).map((p) => ({
        partitionIndex: p.partitionIndex,
        committedOffset: p.committedOffset,
        committedLeaderEpoch: p.committedLeaderEpoch,
        committedMetadata: p.committedMetadata,
      })),
    })),
  });
  return {
    throttleTimeMs: 0,
    topics: result.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: p.errorCode })),
    })),
  };
}

export async function offsetFetch(
  context: KafkaApiContext,
  request: Message,
  version: number,
): Promise<Message> {
  // Null topics (v2+ only) ask for every partition the group has committed.
  const asked = request.topics as Message[] | null;
  const result = await context.groupCoordinator.fetchOffsets({
    groupId: request.groupId,
    topics:
      asked === null
        ? null
        : asked.map((t) => ({ name: t.name as string, partitionIndexes: t.partitionIndexes as number[] })),
  });
  if (version < FIRST_OFFSET_FETCH_VERSION_WITH_ERROR && result.errorCode !== ErrorCode.NONE) {
    return {
      throttleTimeMs: 0,
      topics: (asked ?? []).map((t) => ({
        name: t.name,
        partitions: (t.partitionIndexes as number[]).map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: result.errorCode,
        })),
      })),
    };
  }
  return {
    throttleTimeMs: 0,
    topics: result.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        committedOffset: p.committedOffset,
        committedLeaderEpoch: p.committedLeaderEpoch,
        metadata: p.metadata,
        errorCode: p.errorCode,
      })),
    })),
    errorCode: result.errorCode,
  };
}

export async function listGroups(context: KafkaApiContext, request: Message): Promise<Message> {
  // Before v4 there is no filter: it decodes as [], every state.
  const result = await context.groupCoordinator.listGroups(request.statesFilter as string[]);
  return {
    throttleTimeMs: 0,
    errorCode: result.errorCode,
    groups: result.groups.map((g) => ({
      groupId: g.groupId,
      protocolType: g.protocolType,
      groupState: g.groupState,
    })),
  };
}

export async function describeGroups(context: KafkaApiContext, request: Message): Promise<Message> {
  const groups = await context.groupCoordinator.describeGroups(request.groups as string[]);
  const withOperations = request.includeAuthorizedOperations === true;
  return {
    throttleTimeMs: 0,
    groups: groups.map((g) => ({
      errorCode: g.errorCode,
      groupId: g.groupId,
      groupState: g.groupState,
      protocolType: g.protocolType,
      protocolData: g.protocolData,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: m.memberMetadata,
        memberAssignment: m.memberAssignment,
      })),
      authorizedOperations:
        withOperations && g.errorCode === ErrorCode.NONE
          ? GROUP_AUTHORIZED_OPERATIONS
          : AUTHORIZED_OPERATIONS_OMITTED,
    })),
  };
}

export async function deleteGroups(context: KafkaApiContext, request: Message): Promise<Message> {
  const results = await context.groupCoordinator.deleteGroups(request.groupsNames as string[]);
  return {
    throttleTimeMs: 0,
    results: results.map((r) => ({ groupId: r.groupId, errorCode: r.errorCode })),
  };
}
