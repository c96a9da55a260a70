// The group coordinator (Kafka's GroupCoordinator with its GroupMetadataManager): every broker runs one,
// and it coordinates the groups whose __consumer_offsets partition (hash of the group id mod the
// partition count) this broker leads. Leadership moves load the partition (the groups and offsets it
// holds) or drop its groups; members then find the new coordinator through FindCoordinator.
//
// The membership protocol is Kafka's: members join (JoinGroup), the coordinator waits for every known
// member to rejoin (or the rebalance timeout), bumps the generation and picks a leader and a protocol;
// the leader assigns partitions and sends the assignments (SyncGroup), which the group persists before
// handing them out; members heartbeat within their session timeout. Generations fence zombies: a member
// with an old generation or an unknown id cannot heartbeat, sync or commit.
//
// Node runs this on one thread, so no locks: but every await (an append to the offsets topic) is a
// point where the group may have moved on, so each continuation re-checks the generation and ownership.
import { randomUUID } from 'node:crypto';
import type { MetadataView } from '@sluice/coordinator';
import { CONSUMER_OFFSETS_TOPIC, ErrorCode } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { TopicCreator } from '../admin/topic-creator.ts';
import type { BrokerConfig } from '../config/index.ts';
import type { ReplicaManager } from '../replication/replica-manager.ts';
import { GroupMetadata, type MemberMetadata, offsetKey } from './group-metadata.ts';
import {
  encodeGroupKey,
  encodeGroupValue,
  encodeOffsetKey,
  encodeOffsetValue,
  type OffsetAndMetadata,
  offsetsPartitionFor,
  type StoredGroup,
} from './offsets-records.ts';
import { OffsetsStore } from './offsets-store.ts';
import type {
  DescribedGroup,
  FindCoordinatorResult,
  GroupCoordinatorApi,
  GroupState,
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResult,
  LeaveGroupRequest,
  LeaveGroupResult,
  ListGroupsResult,
  OffsetCommitRequest,
  OffsetCommitResult,
  OffsetFetchRequest,
  OffsetFetchResult,
  SyncGroupRequest,
  SyncGroupResult,
} from './types.ts';

const EMPTY = Buffer.alloc(0);
/** Kafka's limit on the group id length is the string's (int16); we also refuse absurd ones. */
const MAX_GROUP_ID_LENGTH = 32_767;

type PartitionState = { status: 'loading'; leaderEpoch: number } | { status: 'loaded'; leaderEpoch: number };

export interface GroupCoordinatorOptions {
  brokerId: number;
  config: BrokerConfig;
  metadata: MetadataView;
  replicaManager: ReplicaManager;
  topicCreator: TopicCreator;
  logger: Logger;
}

export class GroupCoordinator implements GroupCoordinatorApi {
  readonly #brokerId: number;
  readonly #config: BrokerConfig;
  readonly #metadata: MetadataView;
  readonly #replicaManager: ReplicaManager;
  readonly #topicCreator: TopicCreator;
  readonly #logger: Logger;
  readonly #store: OffsetsStore;
  /** The __consumer_offsets partitions this broker leads, loading or loaded. */
  readonly #partitions = new Map<number, PartitionState>();
  readonly #groups = new Map<string, GroupMetadata>();
  readonly #expiryTimer: NodeJS.Timeout;
  #creatingTopic: Promise<void> | undefined;
  #closed = false;

  constructor(options: GroupCoordinatorOptions) {
    this.#brokerId = options.brokerId;
    this.#config = options.config;
    this.#metadata = options.metadata;
    this.#replicaManager = options.replicaManager;
    this.#topicCreator = options.topicCreator;
    this.#logger = options.logger;
    this.#store = new OffsetsStore({
      replicaManager: options.replicaManager,
      requiredAcks: options.config.offsetsCommitRequiredAcks,
      commitTimeoutMs: options.config.offsetsCommitTimeoutMs,
      loadBufferBytes: options.config.offsetsLoadBufferSize,
      logger: options.logger,
    });
    options.replicaManager.onLeadershipChange((change) => {
      if (change.topic !== CONSUMER_OFFSETS_TOPIC) return;
      if (change.isLeader) this.#onElection(change.partition, change.leaderEpoch);
      else this.#onResignation(change.partition);
    });
    this.#expiryTimer = setInterval(
      () => void this.#expireOffsets(),
      Math.max(1_000, this.#config.offsetsRetentionCheckIntervalMs),
    );
    this.#expiryTimer.unref();
  }

  // -------------------------------------------------------------------------------------------------
  // Ownership

  get #partitionCount(): number {
    return (
      this.#metadata.topics.get(CONSUMER_OFFSETS_TOPIC)?.partitions.size ??
      this.#config.offsetsTopicNumPartitions
    );
  }

  #partitionOf(groupId: string): number {
    return offsetsPartitionFor(groupId, this.#partitionCount);
  }

  /** NONE when this broker coordinates the group now; else why not. */
  #ownership(groupId: string): number {
    if (this.#closed) return ErrorCode.NOT_COORDINATOR;
    const partition = this.#partitionOf(groupId);
    const state = this.#partitions.get(partition);
    if (!state) {
      // ZooKeeper already names this broker the leader, but it has not taken the role yet: soon it will.
      const view = this.#metadata.partition(CONSUMER_OFFSETS_TOPIC, partition);
      return view?.leader === this.#brokerId
        ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS
        : ErrorCode.NOT_COORDINATOR;
    }
    return state.status === 'loading' ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
  }

  #onElection(partition: number, leaderEpoch: number): void {
    this.#partitions.set(partition, { status: 'loading', leaderEpoch });
    this.#logger.info({ partition, leaderEpoch }, 'loading groups of __consumer_offsets partition');
    const startedMs = Date.now();
    void this.#store.load(partition, leaderEpoch).then(
      (loaded) => {
        const state = this.#partitions.get(partition);
        if (!loaded || state?.leaderEpoch !== leaderEpoch || state.status !== 'loading') return;
        this.#dropGroupsOf(partition);
        const nowMs = Date.now();
        const groupIds = new Set([...loaded.groups.keys(), ...loaded.offsets.keys()]);
        for (const groupId of groupIds) {
          const group = new GroupMetadata(groupId, nowMs);
          const stored = loaded.groups.get(groupId);
          if (stored) this.#restore(group, stored, nowMs);
          for (const [id, committed] of loaded.offsets.get(groupId) ?? []) group.offsets.set(id, committed);
          if (group.isEmpty && group.offsets.size === 0 && !stored) continue;
          this.#groups.set(groupId, group);
        }
        this.#partitions.set(partition, { status: 'loaded', leaderEpoch });
        this.#logger.info(
          { partition, groups: groupIds.size, elapsedMs: Date.now() - startedMs },
          'loaded groups of __consumer_offsets partition',
        );
      },
      (err: unknown) => {
        this.#logger.error({ err, partition }, 'cannot load __consumer_offsets partition');
        if (this.#partitions.get(partition)?.leaderEpoch === leaderEpoch) this.#partitions.delete(partition);
      },
    );
  }

  /** A group as persisted: its members come back Stable and must heartbeat within their session. */
  #restore(group: GroupMetadata, stored: StoredGroup, nowMs: number): void {
    group.generationId = stored.generationId;
    group.protocolType = stored.protocolType === '' ? null : stored.protocolType;
    group.protocolName = stored.protocolName;
    group.leaderId = stored.leaderId;
    for (const m of stored.members) {
      const member: MemberMetadata = {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        protocolType: stored.protocolType,
        protocols: [{ name: stored.protocolName ?? '', metadata: m.subscription }],
        assignment: m.assignment,
        awaitingJoin: undefined,
        awaitingSync: undefined,
        isNew: false,
        sessionTimer: undefined,
      };
      group.members.set(member.memberId, member);
      this.#scheduleSessionExpiry(group, member);
    }
    group.transitionTo(group.isEmpty ? 'Empty' : 'Stable', nowMs);
  }

  #onResignation(partition: number): void {
    if (!this.#partitions.delete(partition)) return;
    const dropped = this.#dropGroupsOf(partition);
    this.#logger.info({ partition, groups: dropped }, 'no longer coordinating groups of partition');
  }

  /** Forgets the groups of a partition; their waiting members hear NOT_COORDINATOR. */
  #dropGroupsOf(partition: number): number {
    let dropped = 0;
    for (const [groupId, group] of this.#groups) {
      if (this.#partitionOf(groupId) !== partition) continue;
      this.#shutGroup(group, ErrorCode.NOT_COORDINATOR);
      this.#groups.delete(groupId);
      dropped++;
    }
    return dropped;
  }

  #shutGroup(group: GroupMetadata, errorCode: number): void {
    clearTimeout(group.joinTimer);
    group.joinTimer = undefined;
    for (const timer of group.pendingMembers.values()) clearTimeout(timer);
    group.pendingMembers.clear();
    for (const member of group.members.values()) {
      clearTimeout(member.sessionTimer);
      this.#answerJoin(member, this.#joinError(member.memberId, errorCode));
      this.#answerSync(member, syncError(errorCode));
    }
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#expiryTimer);
    for (const group of this.#groups.values()) this.#shutGroup(group, ErrorCode.NOT_COORDINATOR);
    this.#groups.clear();
    this.#partitions.clear();
  }

  // -------------------------------------------------------------------------------------------------
  // FindCoordinator

  async findCoordinator(groupId: string): Promise<FindCoordinatorResult> {
    const notAvailable = (message: string): FindCoordinatorResult => ({
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      errorMessage: message,
      nodeId: -1,
    });
    const topic = this.#metadata.topics.get(CONSUMER_OFFSETS_TOPIC);
    if (!topic) {
      await this.#createOffsetsTopic();
      return notAvailable('The offsets topic is being created');
    }
    const partition = offsetsPartitionFor(groupId, topic.partitions.size);
    const view = this.#metadata.partition(CONSUMER_OFFSETS_TOPIC, partition);
    if (!view || view.leader < 0 || !this.#metadata.brokers.has(view.leader)) {
      return notAvailable(`No leader for ${CONSUMER_OFFSETS_TOPIC}-${partition}`);
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: view.leader };
  }

  /**
   * Creates __consumer_offsets on first use, as Kafka: offsets.topic.num.partitions partitions,
   * offsets.topic.replication.factor replicas capped to the live brokers, compacted. Concurrent callers
   * share one attempt; the answer to them is COORDINATOR_NOT_AVAILABLE until leaders are elected.
   */
  #createOffsetsTopic(): Promise<void> {
    this.#creatingTopic ??= (async () => {
      const liveBrokers = this.#metadata.brokers.size;
      const replicationFactor = Math.max(
        1,
        Math.min(this.#config.offsetsTopicReplicationFactor, liveBrokers),
      );
      const [result] = await this.#topicCreator.createTopics(
        [
          {
            name: CONSUMER_OFFSETS_TOPIC,
            numPartitions: this.#config.offsetsTopicNumPartitions,
            replicationFactor,
            assignments: new Map(),
            configs: {
              'cleanup.policy': 'compact',
              'compression.type': 'producer',
              'segment.bytes': String(this.#config.offsetsTopicSegmentBytes),
            },
          },
        ],
        { validateOnly: false, timeoutMs: 0 },
      );
      if (
        result &&
        result.errorCode !== ErrorCode.NONE &&
        result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS
      ) {
        this.#logger.warn({ error: result.errorMessage }, 'cannot create __consumer_offsets');
      } else {
        this.#logger.info({ replicationFactor }, 'created __consumer_offsets');
      }
    })().finally(() => {
      this.#creatingTopic = undefined;
    });
    return this.#creatingTopic;
  }

  // -------------------------------------------------------------------------------------------------
  // JoinGroup

  async joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    const { groupId, memberId } = request;
    const fail = (errorCode: number) => this.#joinError(memberId, errorCode);
    if (groupId === '' || groupId.length > MAX_GROUP_ID_LENGTH) return fail(ErrorCode.INVALID_GROUP_ID);
    const ownership = this.#ownership(groupId);
    if (ownership !== ErrorCode.NONE) return fail(ownership);
    if (
      request.sessionTimeoutMs < this.#config.groupMinSessionTimeoutMs ||
      request.sessionTimeoutMs > this.#config.groupMaxSessionTimeoutMs
    ) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    let group = this.#groups.get(groupId);
    if (!group) {
      // A member that thinks it has an id in a group nobody knows: it must start over.
      if (memberId !== '') return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      group = new GroupMetadata(groupId, Date.now());
      this.#groups.set(groupId, group);
    }
    if (group.state === 'Dead') return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const protocolNames = request.protocols.map((p) => p.name);
    if (!group.supportsProtocols(request.protocolType, protocolNames)) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    return memberId === '' ? this.#joinNewMember(group, request) : this.#joinKnownMember(group, request);
  }

  #joinNewMember(
    group: GroupMetadata,
    request: JoinGroupRequest,
  ): Promise<JoinGroupResult> | JoinGroupResult {
    if (group.members.size + group.pendingMembers.size >= this.#config.groupMaxSize) {
      return this.#joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED);
    }
    const memberId = `${request.clientId}-${randomUUID()}`;
    if (request.requireKnownMemberId) {
      // The member rejoins with this id; if it never does, the id expires with its session.
      const timer = setTimeout(() => {
        if (!group.pendingMembers.delete(memberId)) return;
        if (group.state === 'PreparingRebalance') this.#maybeCompleteJoin(group);
      }, request.sessionTimeoutMs);
      group.pendingMembers.set(memberId, timer);
      return this.#joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED);
    }
    return this.#addMemberAndRebalance(group, memberId, request);
  }

  #joinKnownMember(
    group: GroupMetadata,
    request: JoinGroupRequest,
  ): Promise<JoinGroupResult> | JoinGroupResult {
    const { memberId } = request;
    const pendingTimer = group.pendingMembers.get(memberId);
    if (pendingTimer !== undefined) {
      clearTimeout(pendingTimer);
      group.pendingMembers.delete(memberId);
      return this.#addMemberAndRebalance(group, memberId, request);
    }
    const member = group.members.get(memberId);
    if (!member) return this.#joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    switch (group.state) {
      case 'PreparingRebalance':
        return this.#updateMemberAndRebalance(group, member, request);
      case 'CompletingRebalance':
        // The same subscription again: it missed the JoinGroup answer; give it the current generation.
        if (GroupMetadata.sameProtocols(member, request.protocols)) {
          this.#scheduleSessionExpiry(group, member);
          return this.#joinResult(group, member);
        }
        return this.#updateMemberAndRebalance(group, member, request);
      case 'Stable':
        // The leader rejoining (e.g. its subscribed topics changed) or a changed subscription rebalances;
        // a follower rejoining unchanged just learns the current generation.
        if (member.memberId === group.leaderId || !GroupMetadata.sameProtocols(member, request.protocols)) {
          return this.#updateMemberAndRebalance(group, member, request);
        }
        this.#scheduleSessionExpiry(group, member);
        return this.#joinResult(group, member);
      default:
        return this.#joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  #addMemberAndRebalance(
    group: GroupMetadata,
    memberId: string,
    request: JoinGroupRequest,
  ): Promise<JoinGroupResult> {
    const member: MemberMetadata = {
      memberId,
      groupInstanceId: request.groupInstanceId,
      clientId: request.clientId,
      clientHost: request.clientHost,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      sessionTimeoutMs: request.sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols,
      assignment: EMPTY,
      awaitingJoin: undefined,
      awaitingSync: undefined,
      isNew: true,
      sessionTimer: undefined,
    };
    if (group.isEmpty) group.protocolType = request.protocolType;
    group.members.set(memberId, member);
    group.leaderId ??= memberId;
    if (group.initialJoinDeadlineMs > 0) group.newMembersDuringDelay = true;
    const answer = new Promise<JoinGroupResult>((resolve) => {
      member.awaitingJoin = resolve;
    });
    // A new member that never completes the join is dropped after its session (Kafka's new-member timeout).
    this.#scheduleSessionExpiry(group, member);
    this.#rebalanceOnJoin(group, `member ${memberId} joined`);
    return answer;
  }

  #updateMemberAndRebalance(
    group: GroupMetadata,
    member: MemberMetadata,
    request: JoinGroupRequest,
  ): Promise<JoinGroupResult> {
    member.protocols = request.protocols;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    // A second JoinGroup from a member still waiting replaces the first (the first caller gave up).
    this.#answerJoin(member, this.#joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    const answer = new Promise<JoinGroupResult>((resolve) => {
      member.awaitingJoin = resolve;
    });
    this.#scheduleSessionExpiry(group, member);
    this.#rebalanceOnJoin(group, `member ${member.memberId} rejoined`);
    return answer;
  }

  #rebalanceOnJoin(group: GroupMetadata, reason: string): void {
    if (group.state === 'PreparingRebalance') this.#maybeCompleteJoin(group);
    else this.#prepareRebalance(group, reason);
  }

  #prepareRebalance(group: GroupMetadata, reason: string): void {
    if (group.state === 'CompletingRebalance') this.#resetAssignments(group, ErrorCode.REBALANCE_IN_PROGRESS);
    const wasEmpty = group.state === 'Empty';
    group.transitionTo('PreparingRebalance', Date.now());
    this.#logger.info(
      { groupId: group.groupId, generationId: group.generationId, reason },
      'preparing to rebalance group',
    );
    clearTimeout(group.joinTimer);
    if (wasEmpty && this.#config.groupInitialRebalanceDelayMs > 0) {
      // The first members of a new group tend to arrive together: wait a little for the others instead
      // of rebalancing once per arrival (group.initial.rebalance.delay.ms, extended while more arrive,
      // never past the rebalance timeout).
      const delayMs = this.#config.groupInitialRebalanceDelayMs;
      group.initialJoinDeadlineMs = Date.now() + Math.max(delayMs, group.rebalanceTimeoutMs);
      group.newMembersDuringDelay = false;
      const onDelay = () => {
        const remainingMs = group.initialJoinDeadlineMs - Date.now();
        if (group.newMembersDuringDelay && remainingMs > 0) {
          group.newMembersDuringDelay = false;
          group.joinTimer = setTimeout(onDelay, Math.min(delayMs, remainingMs));
          return;
        }
        group.initialJoinDeadlineMs = 0;
        this.#completeJoin(group);
      };
      group.joinTimer = setTimeout(onDelay, delayMs);
      return;
    }
    group.initialJoinDeadlineMs = 0;
    group.joinTimer = setTimeout(() => this.#completeJoin(group), group.rebalanceTimeoutMs);
    this.#maybeCompleteJoin(group);
  }

  /** Completes the join phase early once every member has rejoined (not during the initial delay). */
  #maybeCompleteJoin(group: GroupMetadata): void {
    if (group.state !== 'PreparingRebalance' || group.initialJoinDeadlineMs > 0) return;
    if (group.allMembersJoined) this.#completeJoin(group);
  }

  /** The end of the join phase: members that did not rejoin are out; a new generation begins. */
  #completeJoin(group: GroupMetadata): void {
    if (group.state !== 'PreparingRebalance' || this.#groups.get(group.groupId) !== group) return;
    clearTimeout(group.joinTimer);
    group.joinTimer = undefined;
    for (const member of [...group.members.values()]) {
      if (!member.awaitingJoin) this.#removeMember(group, member, 'did not rejoin in time', false);
    }
    const nowMs = Date.now();
    group.generationId++;
    if (group.isEmpty) {
      group.protocolName = null;
      group.leaderId = null;
      group.transitionTo('Empty', nowMs);
      this.#logger.info({ groupId: group.groupId, generationId: group.generationId }, 'group is empty');
      void this.#storeGroup(group, group.generationId);
      return;
    }
    if (group.leaderId === null || !group.members.has(group.leaderId)) {
      group.leaderId = group.members.keys().next().value ?? null;
    }
    group.protocolName = group.selectProtocol();
    group.transitionTo('CompletingRebalance', nowMs);
    this.#logger.info(
      {
        groupId: group.groupId,
        generationId: group.generationId,
        members: group.members.size,
        protocol: group.protocolName,
      },
      'group rebalanced: waiting for the leader to assign',
    );
    for (const member of group.members.values()) {
      member.isNew = false;
      this.#answerJoin(member, this.#joinResult(group, member));
      this.#scheduleSessionExpiry(group, member);
    }
  }

  #joinResult(group: GroupMetadata, member: MemberMetadata): JoinGroupResult {
    const isLeader = member.memberId === group.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: group.metadataOf(m, group.protocolName),
          }))
        : [],
    };
  }

  #joinError(memberId: string, errorCode: number): JoinGroupResult {
    return {
      errorCode,
      generationId: -1,
      protocolType: null,
      protocolName: null,
      leader: '',
      memberId,
      members: [],
    };
  }

  #answerJoin(member: MemberMetadata, result: JoinGroupResult): void {
    const resolve = member.awaitingJoin;
    member.awaitingJoin = undefined;
    resolve?.(result);
  }

  #answerSync(member: MemberMetadata, result: SyncGroupResult): void {
    const resolve = member.awaitingSync;
    member.awaitingSync = undefined;
    resolve?.(result);
  }

  // -------------------------------------------------------------------------------------------------
  // Sessions and leaving

  /** (Re)starts a member's session: it is removed if nothing is heard from it for session.timeout.ms. */
  #scheduleSessionExpiry(group: GroupMetadata, member: MemberMetadata): void {
    clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => {
      if (group.members.get(member.memberId) !== member) return;
      // A member waiting for its JoinGroup or SyncGroup answer is not late: the group is.
      if (member.awaitingJoin || member.awaitingSync) {
        this.#scheduleSessionExpiry(group, member);
        return;
      }
      this.#removeMember(group, member, 'session timed out', true);
    }, member.sessionTimeoutMs);
  }

  #removeMember(group: GroupMetadata, member: MemberMetadata, reason: string, rebalance: boolean): void {
    clearTimeout(member.sessionTimer);
    this.#answerJoin(member, this.#joinError(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    this.#answerSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.members.delete(member.memberId);
    if (group.leaderId === member.memberId) group.leaderId = group.members.keys().next().value ?? null;
    this.#logger.info({ groupId: group.groupId, memberId: member.memberId, reason }, 'member left the group');
    if (!rebalance) return;
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') {
      this.#prepareRebalance(group, `member ${member.memberId} left: ${reason}`);
    } else if (group.state === 'PreparingRebalance') {
      this.#maybeCompleteJoin(group);
    }
  }

  async heartbeat(request: HeartbeatRequest): Promise<{ errorCode: number }> {
    const ownership = this.#ownership(request.groupId);
    if (ownership !== ErrorCode.NONE) return { errorCode: ownership };
    const group = this.#groups.get(request.groupId);
    if (!group) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    if (group.state === 'Dead') return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    if (group.state === 'Empty') return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    const member = group.members.get(request.memberId);
    if (!member) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    if (request.generationId !== group.generationId) return { errorCode: ErrorCode.ILLEGAL_GENERATION };
    this.#scheduleSessionExpiry(group, member);
    return {
      errorCode: group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE,
    };
  }

  async leaveGroup(request: LeaveGroupRequest): Promise<LeaveGroupResult> {
    const ownership = this.#ownership(request.groupId);
    if (ownership !== ErrorCode.NONE) return { errorCode: ownership, members: [] };
    const group = this.#groups.get(request.groupId);
    const members: LeaveGroupResult['members'] = [];
    for (const { memberId, groupInstanceId } of request.members) {
      let errorCode: number = ErrorCode.UNKNOWN_MEMBER_ID;
      const pendingTimer = group?.pendingMembers.get(memberId);
      if (group && pendingTimer !== undefined) {
        clearTimeout(pendingTimer);
        group.pendingMembers.delete(memberId);
        errorCode = ErrorCode.NONE;
        if (group.state === 'PreparingRebalance') this.#maybeCompleteJoin(group);
      } else {
        const member = group?.members.get(memberId);
        if (group && member) {
          this.#removeMember(group, member, 'left the group', true);
          errorCode = ErrorCode.NONE;
        }
      }
      members.push({ memberId, groupInstanceId, errorCode });
    }
    // Kafka's v0-v2 answer for a single member: its error is the request's.
    const errorCode =
      request.members.length === 1 ? (members[0]?.errorCode ?? ErrorCode.NONE) : ErrorCode.NONE;
    return { errorCode, members };
  }

  // -------------------------------------------------------------------------------------------------
  // SyncGroup

  async syncGroup(request: SyncGroupRequest): Promise<SyncGroupResult> {
    const ownership = this.#ownership(request.groupId);
    if (ownership !== ErrorCode.NONE) return syncError(ownership);
    const group = this.#groups.get(request.groupId);
    if (!group) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (group.state === 'Dead') return syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const member = group.members.get(request.memberId);
    if (!member) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (request.generationId !== group.generationId) return syncError(ErrorCode.ILLEGAL_GENERATION);
    if (
      (request.protocolType !== null && request.protocolType !== group.protocolType) ||
      (request.protocolName !== null && request.protocolName !== group.protocolName)
    ) {
      return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    switch (group.state) {
      case 'Empty':
        return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
      case 'PreparingRebalance':
        return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        this.#scheduleSessionExpiry(group, member);
        return this.#syncResult(group, member);
      default: {
        this.#answerSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        const answer = new Promise<SyncGroupResult>((resolve) => {
          member.awaitingSync = resolve;
        });
        this.#scheduleSessionExpiry(group, member);
        if (member.memberId === group.leaderId) void this.#completeSync(group, request);
        return answer;
      }
    }
  }

  /** The leader's assignments: persisted with the group, then handed to every member. */
  async #completeSync(group: GroupMetadata, request: SyncGroupRequest): Promise<void> {
    const generationId = group.generationId;
    const assignments = new Map(request.assignments.map((a) => [a.memberId, a.assignment]));
    for (const member of group.members.values())
      member.assignment = assignments.get(member.memberId) ?? EMPTY;
    const errorCode = await this.#storeGroup(group, generationId);
    // The group may have moved on while the record replicated (a member left, a new rebalance began).
    if (group.state !== 'CompletingRebalance' || group.generationId !== generationId) return;
    if (errorCode !== ErrorCode.NONE) {
      this.#resetAssignments(group, errorCode);
      this.#prepareRebalance(group, 'cannot persist the assignment');
      return;
    }
    group.transitionTo('Stable', Date.now());
    this.#logger.info({ groupId: group.groupId, generationId }, 'group is stable');
    for (const member of group.members.values()) this.#answerSync(member, this.#syncResult(group, member));
  }

  #syncResult(group: GroupMetadata, member: MemberMetadata): SyncGroupResult {
    return {
      errorCode: ErrorCode.NONE,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      assignment: member.assignment,
    };
  }

  #resetAssignments(group: GroupMetadata, errorCode: number): void {
    for (const member of group.members.values()) {
      member.assignment = EMPTY;
      this.#answerSync(member, syncError(errorCode));
    }
  }

  /** Writes the group's membership record; answers a coordinator error code. */
  async #storeGroup(group: GroupMetadata, generationId: number): Promise<number> {
    const stored: StoredGroup = {
      protocolType: group.protocolType ?? '',
      generationId,
      protocolName: group.protocolName,
      leaderId: group.leaderId,
      currentStateTimestampMs: group.currentStateTimestampMs,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: group.metadataOf(m, group.protocolName),
        assignment: m.assignment,
      })),
    };
    return this.#store.append(this.#partitionOf(group.groupId), [
      { key: encodeGroupKey(group.groupId), value: encodeGroupValue(stored) },
    ]);
  }

  // -------------------------------------------------------------------------------------------------
  // Offsets

  async commitOffsets(request: OffsetCommitRequest): Promise<OffsetCommitResult> {
    const all = (errorCode: number): OffsetCommitResult => ({
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      })),
    });
    if (request.groupId === '') return all(ErrorCode.INVALID_GROUP_ID);
    const ownership = this.#ownership(request.groupId);
    if (ownership !== ErrorCode.NONE) return all(ownership);
    let group = this.#groups.get(request.groupId);
    if (!group) {
      // A group nobody manages (a consumer assigning its own partitions, or an admin tool) may commit.
      if (request.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = new GroupMetadata(request.groupId, Date.now());
      this.#groups.set(request.groupId, group);
    }
    const refusal = this.#commitRefusal(group, request);
    if (refusal !== ErrorCode.NONE) return all(refusal);
    const member = group.members.get(request.memberId);
    if (member) this.#scheduleSessionExpiry(group, member);

    const nowMs = Date.now();
    const results = new Map<string, number>();
    const accepted: Array<{ topic: string; partition: number; value: OffsetAndMetadata }> = [];
    for (const topic of request.topics) {
      const partitionCount = this.#metadata.topics.get(topic.name)?.partitions.size ?? 0;
      for (const p of topic.partitions) {
        const id = offsetKey(topic.name, p.partitionIndex);
        const metadata = p.committedMetadata ?? '';
        if (p.partitionIndex < 0 || p.partitionIndex >= partitionCount) {
          results.set(id, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        } else if (Buffer.byteLength(metadata) > this.#config.offsetMetadataMaxBytes) {
          results.set(id, ErrorCode.OFFSET_METADATA_TOO_LARGE);
        } else {
          accepted.push({
            topic: topic.name,
            partition: p.partitionIndex,
            value: {
              offset: p.committedOffset,
              leaderEpoch: p.committedLeaderEpoch,
              metadata,
              commitTimestampMs: nowMs,
              expireTimestampMs: request.retentionTimeMs > 0 ? nowMs + request.retentionTimeMs : -1,
            },
          });
        }
      }
    }
    if (accepted.length > 0) {
      const errorCode = await this.#store.append(
        this.#partitionOf(request.groupId),
        accepted.map((c) => ({
          key: encodeOffsetKey(request.groupId, c.topic, c.partition),
          value: encodeOffsetValue(c.value),
        })),
      );
      const current = this.#groups.get(request.groupId);
      for (const c of accepted) {
        const id = offsetKey(c.topic, c.partition);
        results.set(id, errorCode);
        if (errorCode === ErrorCode.NONE && current) current.offsets.set(id, c);
      }
    }
    return {
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: results.get(offsetKey(t.name, p.partitionIndex)) ?? ErrorCode.UNKNOWN_SERVER_ERROR,
        })),
      })),
    };
  }

  /** Kafka's rules for who may commit: members of the current generation, or anyone to an empty group. */
  #commitRefusal(group: GroupMetadata, request: OffsetCommitRequest): number {
    if (group.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (request.generationId < 0 && group.state === 'Empty') return ErrorCode.NONE;
    if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    if (!group.members.has(request.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    return ErrorCode.NONE;
  }

  async fetchOffsets(request: OffsetFetchRequest): Promise<OffsetFetchResult> {
    const ownership = this.#ownership(request.groupId);
    if (ownership !== ErrorCode.NONE) return { errorCode: ownership, topics: [] };
    const group = this.#groups.get(request.groupId);
    const describe = (topic: string, partition: number) => {
      const committed = group?.offsets.get(offsetKey(topic, partition));
      return {
        partitionIndex: partition,
        committedOffset: committed?.value.offset ?? -1,
        committedLeaderEpoch: committed?.value.leaderEpoch ?? -1,
        metadata: committed ? committed.value.metadata : '',
        errorCode: ErrorCode.NONE,
      };
    };
    if (request.topics === null) {
      const byTopic = new Map<string, number[]>();
      for (const { topic, partition } of group?.offsets.values() ?? []) {
        const partitions = byTopic.get(topic) ?? [];
        partitions.push(partition);
        byTopic.set(topic, partitions);
      }
      return {
        errorCode: ErrorCode.NONE,
        topics: [...byTopic]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([name, partitions]) => ({
            name,
            partitions: partitions.sort((a, b) => a - b).map((p) => describe(name, p)),
          })),
      };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => describe(t.name, p)),
      })),
    };
  }

  /**
   * offsets.retention.minutes: offsets of a group without members expire that long after it became
   * empty (a group nobody manages: that long after each commit); an expired empty group is deleted.
   */
  async #expireOffsets(): Promise<void> {
    const nowMs = Date.now();
    const retentionMs = this.#config.offsetsRetentionMinutes * 60_000;
    for (const group of [...this.#groups.values()]) {
      if (this.#ownership(group.groupId) !== ErrorCode.NONE || group.state !== 'Empty') continue;
      const expired = [...group.offsets.entries()].filter(([, c]) => {
        if (c.value.expireTimestampMs > 0) return c.value.expireTimestampMs <= nowMs;
        const since = group.protocolType === null ? c.value.commitTimestampMs : group.currentStateTimestampMs;
        return since + retentionMs <= nowMs;
      });
      const deleteGroup = expired.length === group.offsets.size;
      if (expired.length === 0 && !deleteGroup) continue;
      const records = expired.map(([, c]) => ({
        key: encodeOffsetKey(group.groupId, c.topic, c.partition),
        value: null,
      }));
      if (deleteGroup) records.push({ key: encodeGroupKey(group.groupId), value: null });
      const errorCode = await this.#store.append(this.#partitionOf(group.groupId), records);
      if (errorCode !== ErrorCode.NONE) continue;
      for (const [id] of expired) group.offsets.delete(id);
      if (deleteGroup && group.state === 'Empty' && group.offsets.size === 0) {
        group.transitionTo('Dead', nowMs);
        this.#groups.delete(group.groupId);
      }
      this.#logger.info(
        { groupId: group.groupId, expired: expired.length, groupDeleted: deleteGroup },
        'expired committed offsets',
      );
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Listing, describing, deleting

  async listGroups(statesFilter: readonly string[]): Promise<ListGroupsResult> {
    const loading = [...this.#partitions.values()].some((p) => p.status === 'loading');
    const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
    const groups = [...this.#groups.values()]
      .filter((g) => this.#ownership(g.groupId) === ErrorCode.NONE)
      .filter((g) => wanted.size === 0 || wanted.has(g.state.toLowerCase()))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state }));
    return { errorCode: loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups };
  }

  async describeGroups(groupIds: readonly string[]): Promise<DescribedGroup[]> {
    return groupIds.map((groupId) => {
      const ownership = this.#ownership(groupId);
      const group = this.#groups.get(groupId);
      if (ownership !== ErrorCode.NONE || !group) {
        return {
          errorCode: ownership,
          groupId,
          groupState: 'Dead' as GroupState,
          protocolType: '',
          protocolData: '',
          members: [],
        };
      }
      const stable = group.state === 'Stable';
      return {
        errorCode: ErrorCode.NONE,
        groupId,
        groupState: group.state,
        protocolType: group.protocolType ?? '',
        protocolData: stable ? (group.protocolName ?? '') : '',
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? group.metadataOf(m, group.protocolName) : EMPTY,
          memberAssignment: stable ? m.assignment : EMPTY,
        })),
      };
    });
  }

  async deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    const results: Array<{ groupId: string; errorCode: number }> = [];
    for (const groupId of groupIds) {
      const ownership = this.#ownership(groupId);
      const group = this.#groups.get(groupId);
      if (ownership !== ErrorCode.NONE) results.push({ groupId, errorCode: ownership });
      else if (!group || group.state === 'Dead') {
        results.push({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
      } else if (group.state !== 'Empty') {
        results.push({ groupId, errorCode: ErrorCode.NON_EMPTY_GROUP });
      } else {
        const records = [...group.offsets.values()].map((c) => ({
          key: encodeOffsetKey(groupId, c.topic, c.partition),
          value: null,
        }));
        records.push({ key: encodeGroupKey(groupId), value: null });
        const errorCode = await this.#store.append(this.#partitionOf(groupId), records);
        if (errorCode === ErrorCode.NONE && this.#groups.get(groupId) === group && group.state === 'Empty') {
          group.transitionTo('Dead', Date.now());
          this.#groups.delete(groupId);
          this.#logger.info({ groupId }, 'deleted group');
        }
        results.push({ groupId, errorCode });
      }
    }
    return results;
  }
}

function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}
