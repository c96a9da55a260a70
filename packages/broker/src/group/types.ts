// The group coordinator's API, independent of the front door that carries it (gRPC or Kafka's wire
// protocol). Field names follow Kafka's message specs (JoinGroupRequest.json and friends), so each adapter
// only renames; nullable strings are null here (the gRPC adapter maps "" to null and back).

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  /** How long the coordinator waits for every member to rejoin (the consumer's max.poll.interval.ms). */
  rebalanceTimeoutMs: number;
  /** '' for a member joining for the first time. */
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
  clientId: string;
  clientHost: string;
  /** JoinGroup v4+ and gRPC: a new member first gets MEMBER_ID_REQUIRED with its id, then rejoins with it. */
  requireKnownMemberId: boolean;
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Non-empty only for the leader. */
  members: JoinGroupMember[];
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** SyncGroup v5: checked against the group's when given. */
  protocolType: string | null;
  protocolName: string | null;
  /** Only the leader's request carries assignments. */
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupRequest {
  groupId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null }>;
}

export interface LeaveGroupResult {
  errorCode: number;
  members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
}

export interface OffsetCommitPartition {
  partitionIndex: number;
  committedOffset: number;
  /** -1: unknown. */
  committedLeaderEpoch: number;
  committedMetadata: string | null;
}

export interface OffsetCommitRequest {
  groupId: string;
  /** -1 with memberId '': a commit outside group management (simple consumers, admin resets). */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-v4's retention_time_ms; -1: offsets.retention.minutes. */
  retentionTimeMs: number;
  topics: Array<{ name: string; partitions: OffsetCommitPartition[] }>;
}

export interface OffsetCommitResult {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

export interface OffsetFetchRequest {
  groupId: string;
  /** null: every partition the group has committed. */
  topics: Array<{ name: string; partitionIndexes: number[] }> | null;
}

export interface OffsetFetchPartition {
  partitionIndex: number;
  /** -1: nothing committed. */
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchResult {
  /** A group-level error (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, ...). */
  errorCode: number;
  topics: Array<{ name: string; partitions: OffsetFetchPartition[] }>;
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: GroupState;
}

export interface ListGroupsResult {
  errorCode: number;
  groups: ListedGroup[];
}

export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: GroupState;
  protocolType: string;
  /** The chosen protocol (assignor) of the current generation; '' unless Stable or CompletingRebalance. */
  protocolData: string;
  members: DescribedGroupMember[];
}

export interface FindCoordinatorResult {
  errorCode: number;
  errorMessage: string | null;
  /** The broker leading the group's __consumer_offsets partition; -1 with an error. */
  nodeId: number;
}

/** What both front doors call. Every method answers (errors as codes); none throws for bad input. */
export interface GroupCoordinatorApi {
  findCoordinator(groupId: string): Promise<FindCoordinatorResult>;
  joinGroup(request: JoinGroupRequest, signal?: AbortSignal): Promise<JoinGroupResult>;
  syncGroup(request: SyncGroupRequest, signal?: AbortSignal): Promise<SyncGroupResult>;
  heartbeat(request: HeartbeatRequest): Promise<{ errorCode: number }>;
  leaveGroup(request: LeaveGroupRequest): Promise<LeaveGroupResult>;
  commitOffsets(request: OffsetCommitRequest): Promise<OffsetCommitResult>;
  fetchOffsets(request: OffsetFetchRequest): Promise<OffsetFetchResult>;
  listGroups(statesFilter: readonly string[]): Promise<ListGroupsResult>;
  describeGroups(groupIds: readonly string[]): Promise<DescribedGroup[]>;
  deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; errorCode: number }>>;
}
