// Consumer-group administration (Kafka's AdminClient group methods): list the groups of every broker,
// describe groups and their members' assignments, read, overwrite and delete a group's committed offsets
// and the group itself. Group requests go to the group's coordinator, which FindCoordinator names; a
// coordinator that moved or is still loading (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR,
// COORDINATOR_LOAD_IN_PROGRESS) is looked up again until the admin's timeout. Admin exposes these.
import { ErrorCode } from '@sluice/protocol';
import type { ConnectionPool } from './connection-pool.ts';
import { ConnectionError, kafkaError } from './errors.ts';
import type { TopicPartitions } from './group/assignor.ts';
import { decodeAssignment } from './group/consumer-protocol.ts';
import type { ClusterMetadata } from './metadata.ts';
import { withRetries } from './retry.ts';

/** Kafka's group states; 'Dead' is also what a coordinator reports for a group it does not know. */
export type GroupState =
  | 'Empty'
  | 'PreparingRebalance'
  | 'CompletingRebalance'
  | 'Stable'
  | 'Dead'
  | 'Unknown';

/** FindCoordinator's key_type for a consumer group. */
const COORDINATOR_KEY_TYPE_GROUP = 0;

/** The protocol type of groups formed by Kafka-style consumers (ConsumerProtocol assignments). */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface ListedGroup {
  groupId: string;
  /** 'consumer' for consumer groups; '' for groups that only commit offsets (no members ever joined). */
  protocolType: string;
  state: GroupState;
}

export interface GroupCoordinator {
  id: number;
  host: string;
  port: number;
}

export interface GroupMemberDescription {
  memberId: string;
  /** Static membership id (group.instance.id), or null. */
  groupInstanceId: string | null;
  clientId: string;
  /** As the coordinator saw the member's connection, e.g. "/127.0.0.1". */
  host: string;
  /** The member's partitions (decoded from its ConsumerProtocol assignment; empty during a rebalance). */
  assignment: TopicPartitions[];
}

export interface GroupDescription {
  groupId: string;
  state: GroupState;
  protocolType: string;
  /** The assignor chosen for the current generation ('' when there is none). */
  assignor: string;
  members: GroupMemberDescription[];
  coordinator: GroupCoordinator;
}

export interface GroupOffset {
  topic: string;
  partition: number;
  offset: number;
  /** -1: unknown. */
  leaderEpoch: number;
  metadata: string;
}

export interface GroupOffsetChange {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string;
}

export interface GroupAdminOptions {
  timeoutMs: number;
  retryBackoffMs: number;
}

function stateOf(text: string): GroupState {
  switch (text) {
    case 'Empty':
    case 'PreparingRebalance':
    case 'CompletingRebalance':
    case 'Stable':
    case 'Dead':
      return text;
    default:
      return 'Unknown';
  }
}

/** Errors that mean "ask FindCoordinator again": the cached coordinator is stale. */
function coordinatorMoved(code: number): boolean {
  return (
    code === ErrorCode.NOT_COORDINATOR ||
    code === ErrorCode.COORDINATOR_NOT_AVAILABLE ||
    code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
  );
}

export class GroupAdmin {
  readonly #pool: ConnectionPool;
  readonly #metadata: ClusterMetadata;
  readonly #options: GroupAdminOptions;
  /** Coordinators found so far, by group id; dropped when one answers that it is not (or not yet) it. */
  readonly #coordinators = new Map<string, GroupCoordinator & { address: string }>();

  constructor(pool: ConnectionPool, metadata: ClusterMetadata, options: GroupAdminOptions) {
    this.#pool = pool;
    this.#metadata = metadata;
    this.#options = options;
  }

  /** Every group of every live broker (each broker lists the groups it coordinates), by group id. */
  async listGroups(options: { states?: readonly GroupState[] } = {}): Promise<ListedGroup[]> {
    const deadlineMs = Date.now() + this.#options.timeoutMs;
    await this.#metadata.refresh([]);
    const brokers = (await this.#metadata.cluster()).brokers;
    if (brokers.length === 0) throw new ConnectionError('cluster', 'no live broker is registered');
    const perBroker = await Promise.all(
      brokers.map((broker) =>
        this.#retry(deadlineMs, async () => {
          const response = await this.#pool.call(
            broker.address,
            'ListGroups',
            { states_filter: [...(options.states ?? [])] },
            this.#remaining(deadlineMs),
          );
          if (response.error_code !== ErrorCode.NONE) throw kafkaError(response.error_code);
          return response.groups;
        }),
      ),
    );
    const byId = new Map<string, ListedGroup>();
    for (const groups of perBroker) {
      for (const g of groups) {
        byId.set(g.group_id, {
          groupId: g.group_id,
          protocolType: g.protocol_type,
          state: stateOf(g.group_state),
        });
      }
    }
    // The filter is also applied here, so that the answer is the same whatever a broker does with it.
    const states = options.states;
    return [...byId.values()]
      .filter((g) => states === undefined || states.length === 0 || states.includes(g.state))
      .sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  /**
   * Each group's state, assignor, coordinator and members with their assignments. A group the coordinator
   * does not know comes back in state 'Dead' with no members, as Kafka reports it. Throws the first
   * group's error (e.g. INVALID_GROUP_ID).
   */
  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    const deadlineMs = Date.now() + this.#options.timeoutMs;
    return Promise.all(
      groupIds.map((groupId) =>
        this.#atCoordinator(groupId, deadlineMs, async (coordinator) => {
          const response = await this.#pool.call(
            coordinator.address,
            'DescribeGroups',
            { groups: [groupId] },
            this.#remaining(deadlineMs),
          );
          const group = response.groups.find((g) => g.group_id === groupId) ?? response.groups[0];
          if (!group) throw kafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'Empty DescribeGroups response');
          if (group.error_code === ErrorCode.GROUP_ID_NOT_FOUND) {
            return deadGroup(groupId, coordinator);
          }
          if (group.error_code !== ErrorCode.NONE) throw kafkaError(group.error_code);
          const isConsumerGroup = group.protocol_type === CONSUMER_PROTOCOL_TYPE;
          return {
            groupId,
            state: stateOf(group.group_state),
            protocolType: group.protocol_type,
            assignor: group.protocol_data,
            coordinator: { id: coordinator.id, host: coordinator.host, port: coordinator.port },
            members: group.members.map((m) => ({
              memberId: m.member_id,
              groupInstanceId: m.group_instance_id === '' ? null : m.group_instance_id,
              clientId: m.client_id,
              host: m.client_host,
              assignment: isConsumerGroup ? assignmentOf(m.member_assignment) : [],
            })),
          };
        }),
      ),
    );
  }

  /** The group's committed offsets, every partition it has one for (none for an unknown group). */
  async listGroupOffsets(groupId: string): Promise<GroupOffset[]> {
    const deadlineMs = Date.now() + this.#options.timeoutMs;
    return this.#atCoordinator(groupId, deadlineMs, async (coordinator) => {
      const response = await this.#pool.call(
        coordinator.address,
        'OffsetFetch',
        { group_id: groupId, topics: [], all_topics: true },
        this.#remaining(deadlineMs),
      );
      if (response.error_code !== ErrorCode.NONE) throw kafkaError(response.error_code);
      const offsets: GroupOffset[] = [];
      for (const topic of response.topics) {
        for (const p of topic.partitions) {
          if (p.error_code !== ErrorCode.NONE) throw kafkaError(p.error_code);
          if (Number(p.committed_offset) < 0) continue;
          offsets.push({
            topic: topic.name,
            partition: p.partition_index,
            offset: Number(p.committed_offset),
            leaderEpoch: p.committed_leader_epoch,
            metadata: p.metadata,
          });
        }
      }
      return offsets.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    });
  }

  /**
   * Overwrites the group's committed offsets (Kafka's alterConsumerGroupOffsets): an OffsetCommit from
   * outside the group (generation -1, no member id). The coordinator takes it only while the group has
   * no active members (state Empty, or a group it does not know yet); otherwise it answers
   * UNKNOWN_MEMBER_ID, thrown here as UnknownMemberIdError. All partitions or the first error.
   */
  async alterGroupOffsets(groupId: string, offsets: readonly GroupOffsetChange[]): Promise<void> {
    for (const o of offsets) {
      if (!Number.isSafeInteger(o.offset) || o.offset < 0) {
        throw new RangeError(`Offset ${o.offset} for ${o.topic}-${o.partition} is not a valid offset`);
      }
    }
    const byTopic = new Map<string, GroupOffsetChange[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
    const deadlineMs = Date.now() + this.#options.timeoutMs;
    await this.#atCoordinator(groupId, deadlineMs, async (coordinator) => {
      const response = await this.#pool.call(
        coordinator.address,
        'OffsetCommit',
        {
          group_id: groupId,
          generation_id: -1,
          member_id: '',
          group_instance_id: '',
          topics: [...byTopic].map(([name, list]) => ({
            name,
            partitions: list.map((o) => ({
              partition_index: o.partition,
              committed_offset: o.offset,
              committed_leader_epoch: -1,
              committed_metadata: o.metadata ?? '',
            })),
          })),
        },
        this.#remaining(deadlineMs),
      );
      for (const topic of response.topics) {
        for (const p of topic.partitions) {
          if (p.error_code !== ErrorCode.NONE) {
            throw kafkaError(p.error_code, `${errorText(p.error_code)} (${topic.name}-${p.partition_index})`);
          }
        }
      }
    });
  }

  /**
   * Deletes groups and their offsets. One result per group: NON_EMPTY_GROUP while it has members,
   * GROUP_ID_NOT_FOUND for a group the coordinator does not know.
   */
  async deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; error?: Error }>> {
    const deadlineMs = Date.now() + this.#options.timeoutMs;
    return Promise.all(
      groupIds.map(async (groupId) => {
        try {
          await this.#atCoordinator(groupId, deadlineMs, async (coordinator) => {
            const response = await this.#pool.call(
              coordinator.address,
              'DeleteGroups',
              { groups_names: [groupId] },
              this.#remaining(deadlineMs),
            );
            const result = response.results.find((r) => r.group_id === groupId) ?? response.results[0];
            if (!result) throw kafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'Empty DeleteGroups response');
            if (result.error_code !== ErrorCode.NONE) throw kafkaError(result.error_code);
          });
          return { groupId };
        } catch (err) {
          return { groupId, error: err instanceof Error ? err : new Error(String(err)) };
        }
      }),
    );
  }

  /** The group's coordinator, from cache or FindCoordinator at any broker. */
  async #coordinator(groupId: string, deadlineMs: number): Promise<GroupCoordinator & { address: string }> {
    const cached = this.#coordinators.get(groupId);
    if (cached) return cached;
    const response = await this.#pool.call(
      await this.#metadata.anyBrokerAddress(),
      'FindCoordinator',
      { key: groupId, key_type: COORDINATOR_KEY_TYPE_GROUP },
      this.#remaining(deadlineMs),
    );
    if (response.error_code !== ErrorCode.NONE) {
      throw kafkaError(response.error_code, response.error_message || undefined);
    }
    // The gRPC address comes from the cluster's metadata (host and port name the broker; its gRPC
    // listener is what metadata lists); refresh once if the broker is new to this client.
    let address = this.#metadata.brokerAddress(response.node_id);
    if (address === undefined) {
      await this.#metadata.refresh([]);
      address = this.#metadata.brokerAddress(response.node_id) ?? `${response.host}:${response.port}`;
    }
    const coordinator = { id: response.node_id, host: response.host, port: response.port, address };
    this.#coordinators.set(groupId, coordinator);
    return coordinator;
  }

  /** Runs `request` at the group's coordinator, finding it again while it moves or loads. */
  async #atCoordinator<T>(
    groupId: string,
    deadlineMs: number,
    request: (coordinator: GroupCoordinator & { address: string }) => Promise<T>,
  ): Promise<T> {
    // Outside the retries: a cluster that cannot be reached at all fails at once, not at the deadline.
    await this.#metadata.cluster();
    return withRetries(async () => request(await this.#coordinator(groupId, deadlineMs)), {
      deadlineMs,
      backoffMs: this.#options.retryBackoffMs,
      onRetry: (err) => {
        // A moved coordinator, or one that cannot be reached: ask FindCoordinator again.
        const code = (err as { code?: unknown }).code;
        if (typeof code !== 'number' || coordinatorMoved(code)) this.#coordinators.delete(groupId);
      },
    });
  }

  #retry<T>(deadlineMs: number, attempt: () => Promise<T>): Promise<T> {
    return withRetries(attempt, { deadlineMs, backoffMs: this.#options.retryBackoffMs });
  }

  #remaining(deadlineMs: number): number {
    return Math.max(1, deadlineMs - Date.now());
  }
}

function deadGroup(groupId: string, coordinator: GroupCoordinator): GroupDescription {
  return {
    groupId,
    state: 'Dead',
    protocolType: '',
    assignor: '',
    members: [],
    coordinator: { id: coordinator.id, host: coordinator.host, port: coordinator.port },
  };
}

/** A member's partitions; a member the leader gave nothing (or mid-rebalance) has an empty buffer. */
function assignmentOf(bytes: Buffer): TopicPartitions[] {
  if (bytes.length === 0) return [];
  return decodeAssignment(bytes)
    .partitions.map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions].sort((a, b) => a - b) }))
    .sort((a, b) => a.topic.localeCompare(b.topic));
}

function errorText(code: number): string {
  return kafkaError(code).message;
}
