// The consumer-group RPCs of the Sluice service: renames between the proto messages and the group
// coordinator's API (group/types.ts). Nullable strings travel as "" in proto3; the coordinator sees null.
import type * as grpc from '@grpc/grpc-js';
import { brokersOnListener, type MetadataView } from '@sluice/coordinator';
import { ErrorCode, type SluiceHandlers } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { GroupCoordinatorApi } from '../../group/types.ts';

type GroupHandlerNames =
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

export interface GroupHandlerContext {
  listenerName: string;
  metadata: MetadataView;
  groupCoordinator: GroupCoordinatorApi;
  logger: Logger;
}

type Unary = <Req, Res>(
  logger: Logger,
  name: string,
  handler: (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
) => grpc.handleUnaryCall<Req, Res>;

function nullable(text: string): string | null {
  return text === '' ? null : text;
}

/** Kafka prints a member's host as "/ip" (Java's InetAddress.toString). */
export function clientHostOf(peer: string): string {
  // grpc-js peers: "ipv4:127.0.0.1:5000", "ipv6:[::1]:5000", or "127.0.0.1:5000".
  const address = peer.replace(/^ipv[46]:/, '');
  const host = address.startsWith('[')
    ? address.slice(1, address.indexOf(']'))
    : address.slice(0, address.lastIndexOf(':'));
  return `/${host || address}`;
}

export function createGroupHandlers(
  context: GroupHandlerContext,
  unary: Unary,
): Pick<SluiceHandlers, GroupHandlerNames> {
  const { logger, groupCoordinator: coordinator } = context;
  return {
    FindCoordinator: unary(logger, 'FindCoordinator', async (call) => {
      if (call.request.key_type !== 0) {
        return {
          error_code: ErrorCode.COORDINATOR_NOT_AVAILABLE,
          error_message: 'Transactions are not supported',
          node_id: -1,
          host: '',
          port: -1,
        };
      }
      const found = await coordinator.findCoordinator(call.request.key);
      const endpoint = brokersOnListener(context.metadata, context.listenerName).find(
        (b) => b.id === found.nodeId,
      );
      if (found.errorCode !== ErrorCode.NONE || !endpoint) {
        return {
          error_code:
            found.errorCode === ErrorCode.NONE ? ErrorCode.COORDINATOR_NOT_AVAILABLE : found.errorCode,
          error_message: found.errorMessage ?? 'The coordinator has no endpoint on this listener',
          node_id: -1,
          host: '',
          port: -1,
        };
      }
      return {
        error_code: 0,
        error_message: '',
        node_id: endpoint.id,
        host: endpoint.host,
        port: endpoint.port,
      };
    }),
    JoinGroup: unary(logger, 'JoinGroup', async (call) => {
      const r = call.request;
      const result = await coordinator.joinGroup({
        groupId: r.group_id,
        sessionTimeoutMs: r.session_timeout_ms,
        rebalanceTimeoutMs: r.rebalance_timeout_ms > 0 ? r.rebalance_timeout_ms : r.session_timeout_ms,
        memberId: r.member_id,
        groupInstanceId: nullable(r.group_instance_id),
        protocolType: r.protocol_type,
        protocols: r.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
        clientId: r.client_id,
        clientHost: clientHostOf(call.getPeer()),
        requireKnownMemberId: true,
      });
      return {
        error_code: result.errorCode,
        generation_id: result.generationId,
        protocol_type: result.protocolType ?? '',
        protocol_name: result.protocolName ?? '',
        leader: result.leader,
        member_id: result.memberId,
        members: result.members.map((m) => ({
          member_id: m.memberId,
          group_instance_id: m.groupInstanceId ?? '',
          metadata: m.metadata,
        })),
      };
    }),
    SyncGroup: unary(logger, 'SyncGroup', async (call) => {
      const r = call.request;
      const result = await coordinator.syncGroup({
        groupId: r.group_id,
        generationId: r.generation_id,
        memberId: r.member_id,
        groupInstanceId: nullable(r.group_instance_id),
        protocolType: nullable(r.protocol_type),
        protocolName: nullable(r.protocol_name),
        assignments: r.assignments.map((a) => ({
          memberId: a.member_id,
          assignment: Buffer.from(a.assignment),
        })),
      });
      return {
        error_code: result.errorCode,
        protocol_type: result.protocolType ?? '',
        protocol_name: result.protocolName ?? '',
        assignment: result.assignment,
      };
    }),
    Heartbeat: unary(logger, 'Heartbeat', async (call) => {
      const r = call.request;
      const result = await coordinator.heartbeat({
        groupId: r.group_id,
        generationId: r.generation_id,
        memberId: r.member_id,
        groupInstanceId: nullable(r.group_instance_id),
      });
      return { error_code: result.errorCode };
    }),
    LeaveGroup: unary(logger, 'LeaveGroup', async (call) => {
      const r = call.request;
      const result = await coordinator.leaveGroup({
        groupId: r.group_id,
        members: r.members.map((m) => ({
          memberId: m.member_id,
          groupInstanceId: nullable(m.group_instance_id),
        })),
      });
      return {
        error_code: result.errorCode,
        members: result.members.map((m) => ({
          member_id: m.memberId,
          group_instance_id: m.groupInstanceId ?? '',
          error_code: m.errorCode,
        })),
      };
    }),
    OffsetCommit: unary(logger, 'OffsetCommit', async (call) => {
      const r = call.request;
      const result = await coordinator.commitOffsets({
        groupId: r.group_id,
        generationId: r.generation_id,
        memberId: r.member_id,
        groupInstanceId: nullable(r.group_instance_id),
        retentionTimeMs: -1,
        topics: r.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partition_index,
            committedOffset: p.committed_offset,
            committedLeaderEpoch: p.committed_leader_epoch,
            committedMetadata: p.committed_metadata,
          })),
        })),
      });
      return {
        topics: result.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partition_index: p.partitionIndex,
            error_code: p.errorCode,
          })),
        })),
      };
    }),
    OffsetFetch: unary(logger, 'OffsetFetch', async (call) => {
      const r = call.request;
      const result = await coordinator.fetchOffsets({
        groupId: r.group_id,
        topics:
          r.all_topics && r.topics.length === 0
            ? null
            : r.topics.map((t) => ({ name: t.name, partitionIndexes: t.partition_indexes })),
      });
      return {
        error_code: result.errorCode,
        topics: result.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partition_index: p.partitionIndex,
            committed_offset: p.committedOffset,
            committed_leader_epoch: p.committedLeaderEpoch,
            metadata: p.metadata ?? '',
            error_code: p.errorCode,
          })),
        })),
      };
    }),
    ListGroups: unary(logger, 'ListGroups', async (call) => {
      const result = await coordinator.listGroups(call.request.states_filter);
      return {
        error_code: result.errorCode,
        groups: result.groups.map((g) => ({
          group_id: g.groupId,
          protocol_type: g.protocolType,
          group_state: g.groupState,
        })),
      };
    }),
    DescribeGroups: unary(logger, 'DescribeGroups', async (call) => {
      const groups = await coordinator.describeGroups(call.request.groups);
      return {
        groups: groups.map((g) => ({
          error_code: g.errorCode,
          group_id: g.groupId,
          group_state: g.groupState,
          protocol_type: g.protocolType,
          protocol_data: g.protocolData,
          members: g.members.map((m) => ({
            member_id: m.memberId,
            group_instance_id: m.groupInstanceId ?? '',
            client_id: m.clientId,
            client_host: m.clientHost,
            member_metadata: m.memberMetadata,
            member_assignment: m.memberAssignment,
          })),
        })),
      };
    }),
    DeleteGroups: unary(logger, 'DeleteGroups', async (call) => {
      const results = await coordinator.deleteGroups(call.request.groups_names);
      return { results: results.map((r) => ({ group_id: r.groupId, error_code: r.errorCode })) };
    }),
  };
}
