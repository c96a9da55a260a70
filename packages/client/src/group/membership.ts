// This consumer's membership of its group (Kafka's AbstractCoordinator for the consumer protocol):
// JoinGroup (a new member first gets MEMBER_ID_REQUIRED and its id, then joins with it), SyncGroup
// (the leader runs the assignor over every member's subscription), and a heartbeat timer while the
// generation is stable. The heartbeat also watches the application: when it holds a record longer than
// max.poll.interval.ms it leaves the group, as the Java client's heartbeat thread does, so the
// partitions move to members that make progress. Rejoining happens only on the consumer's poll path
// (ensureActive), never from a timer callback, which only sets flags and wakes the poll.
import { ErrorCode } from '@sluice/protocol';
import pino from 'pino';
import {
  ClientClosedError,
  InvalidClientConfigError,
  isRetriable,
  kafkaError,
  RequestTimeoutError,
} from '../errors.ts';
import type { ClusterMetadata } from '../metadata.ts';
import { delay } from '../retry.ts';
import type { Assignment, GroupMember, PartitionAssignor, TopicPartitions } from './assignor.ts';
import { assignorByName } from './assignors/index.ts';
import type { TopicPartition } from './consumer-group-options.ts';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from './consumer-protocol.ts';
import type { CoordinatorConnection } from './coordinator-connection.ts';
import { isCoordinatorMoved } from './coordinator-connection.ts';
import type { Generation } from './offset-committer.ts';

const PROTOCOL_TYPE = 'consumer';

/** Extra time for a JoinGroup answer beyond the rebalance timeout (group.initial.rebalance.delay.ms). */
const JOIN_EXTRA_MS = 5_000;

/** Bound on join/sync rounds in one ensureActive() before giving up with the last error. */
const MAX_JOIN_ATTEMPTS = 1_000;

export interface MembershipOptions {
  groupId: string;
  clientId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** max.poll.interval.ms, the rebalance timeout. */
  maxPollIntervalMs: number;
  requestTimeoutMs: number;
  retryBackoffMs: number;
  assignorNames: readonly string[];
}

/** A completed JoinGroup: the generation, the chosen assignor, and (for the leader) every member. */
interface Joined {
  generationId: number;
  protocolName: string;
  leader: boolean;
  members: GroupMember[];
}

export type MembershipEvent =
  /** Heartbeat said the group rebalances: rejoin on the next poll. */
  | 'rejoin-needed'
  /** This member lost its generation (fenced, or it left after max.poll.interval.ms). */
  | 'lost';

const log = pino({ level: process.env.SLUICE_CLIENT_LOG_LEVEL ?? 'silent' }).child({ component: 'group' });

export class Membership {
  readonly #coordinator: CoordinatorConnection;
  readonly #metadata: ClusterMetadata;
  readonly #options: MembershipOptions;
  readonly #assignors: PartitionAssignor[];
  readonly #onEvent: (event: MembershipEvent) => void;
  readonly #abort = new AbortController();

  #memberId = '';
  /** The generation this member is a stable part of; undefined while unjoined or rebalancing. */
  #generation: Generation | undefined;
  #rejoinNeeded = true;
  /** The last assignment and its generation (the sticky assignor's user data). */
  #owned: TopicPartitions[] = [];
  #ownedGeneration = -1;
  /** Leader only: partition counts the assignment was computed from (a change means rebalance). */
  #assignedFrom: Map<string, number> | undefined;
  /** Leader only: the counts of the assignment sent in SyncGroup, until the coordinator accepts it. */
  #pendingAssignedFrom: Map<string, number> | undefined;

  #lastPollMs = Date.now();
  /** True while the application holds a record (between two steps of the iteration). */
  #applicationBusy = false;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #heartbeatInFlight = false;
  #closed = false;

  constructor(
    coordinator: CoordinatorConnection,
    metadata: ClusterMetadata,
    options: MembershipOptions,
    onEvent: (event: MembershipEvent) => void,
  ) {
    this.#coordinator = coordinator;
    this.#metadata = metadata;
    this.#options = options;
    this.#onEvent = onEvent;
    this.#assignors = options.assignorNames.map((name) => {
      const assignor = assignorByName(name);
      if (!assignor) throw new InvalidClientConfigError(`Unknown partition assignment strategy ${name}`);
      return assignor;
    });
  }

  get memberId(): string {
    return this.#memberId;
  }

  /** The current generation when stable; undefined while unjoined, rebalancing or after leaving. */
  get generation(): Generation | undefined {
    return this.#rejoinNeeded ? undefined : this.#generation;
  }

  /** The generation to commit with: still valid while a rebalance is only announced (revocation). */
  get commitGeneration(): Generation | undefined {
    return this.#generation;
  }

  get rejoinNeeded(): boolean {
    return this.#rejoinNeeded;
  }

  /** Asks for a rebalance at the next poll (new topics matched, partitions added). */
  requestRejoin(): void {
    this.#rejoinNeeded = true;
  }

  /** The application stepped the iteration: the max.poll.interval.ms clock starts again. */
  notePoll(busy: boolean, nowMs = Date.now()): void {
    this.#lastPollMs = nowMs;
    this.#applicationBusy = busy;
  }

  /** Leader only: the partition counts its assignment used, to see when topics grew. */
  get assignedPartitionCounts(): ReadonlyMap<string, number> | undefined {
    return this.#assignedFrom;
  }

  /**
   * Joins (or rejoins) the group and returns this member's assignment once the generation is stable.
   * `topics` are this member's subscription.
   */
  async joinAndSync(topics: readonly string[], signal: AbortSignal): Promise<TopicPartition[]> {
    this.#stopHeartbeat();
    this.#generation = undefined;
    this.#assignedFrom = undefined;
    let lastError: unknown;
    for (let attempt = 0; attempt < MAX_JOIN_ATTEMPTS; attempt++) {
      if (this.#closed || signal.aborted) throw new ClientClosedError('consumer group');
      try {
        const joined = await this.#join(topics, signal);
        if (joined === 'retry-now') continue;
        if (joined === 'retry-later') {
          await delay(this.#options.retryBackoffMs, signal);
          continue;
        }
        const assignment = await this.#sync(joined, signal);
        if (assignment === undefined) continue;
        this.#generation = { generationId: joined.generationId, memberId: this.#memberId };
        this.#rejoinNeeded = false;
        this.#owned = assignment.partitions;
        this.#ownedGeneration = joined.generationId;
        this.#lastPollMs = Date.now();
        this.#startHeartbeat();
        log.debug({ generation: joined.generationId, member: this.#memberId, assignment }, 'joined');
        return assignment.partitions.flatMap((t) =>
          t.partitions.map((partition) => ({ topic: t.topic, partition })),
        );
      } catch (err) {
        if (this.#closed || signal.aborted) throw new ClientClosedError('consumer group');
        if (!isRetriable(err)) throw err;
        lastError = err;
        await delay(this.#options.retryBackoffMs, signal);
      }
    }
    throw lastError ?? new RequestTimeoutError(`Could not join group ${this.#options.groupId}`);
  }

  async #join(topics: readonly string[], signal: AbortSignal): Promise<'retry-now' | 'retry-later' | Joined> {
    const timeoutMs = Math.max(
      this.#options.requestTimeoutMs,
      this.#options.maxPollIntervalMs + JOIN_EXTRA_MS,
    );
    const response = await this.#coordinator.call(
      'JoinGroup',
      {
        group_id: this.#options.groupId,
        session_timeout_ms: this.#options.sessionTimeoutMs,
        rebalance_timeout_ms: this.#options.maxPollIntervalMs,
        member_id: this.#memberId,
        group_instance_id: '',
        protocol_type: PROTOCOL_TYPE,
        protocols: this.#assignors.map((assignor) => ({
          name: assignor.name,
          metadata: encodeSubscription({
            topics: [...topics],
            userData: assignor.subscriptionUserData(this.#owned, this.#ownedGeneration),
            ownedPartitions: this.#owned,
          }),
        })),
        client_id: this.#options.clientId,
      },
      { timeoutMs, deadlineMs: Date.now() + timeoutMs, signal },
    );
    switch (response.error_code) {
      case ErrorCode.NONE:
        break;
      case ErrorCode.MEMBER_ID_REQUIRED:
        this.#memberId = response.member_id;
        return 'retry-now';
      case ErrorCode.UNKNOWN_MEMBER_ID:
      case ErrorCode.ILLEGAL_GENERATION:
        this.#memberId = '';
        return 'retry-later';
      case ErrorCode.REBALANCE_IN_PROGRESS:
        return 'retry-later';
      default:
        // Coordinator moved or loading: retriable, found again by the coordinator connection.
        throw kafkaError(response.error_code, `JoinGroup of ${this.#options.groupId} failed`);
    }
    this.#memberId = response.member_id;
    const leader = response.leader === response.member_id;
    const members = leader
      ? response.members.map((m) => ({
          memberId: m.member_id,
          groupInstanceId: m.group_instance_id === '' ? null : m.group_instance_id,
          subscription: decodeSubscription(m.metadata),
        }))
      : [];
    return { generationId: response.generation_id, protocolName: response.protocol_name, leader, members };
  }

  /** SyncGroup; undefined when the group must be joined again. */
  async #sync(joined: Joined, signal: AbortSignal): Promise<Assignment | undefined> {
    let assignments: Array<{ member_id: string; assignment: Buffer }> = [];
    if (joined.leader) {
      const assignor = this.#assignors.find((a) => a.name === joined.protocolName);
      if (!assignor) {
        throw new InvalidClientConfigError(`The group chose assignor ${joined.protocolName}, unknown here`);
      }
      const partitionsPerTopic = await this.#partitionCounts(joined.members);
      const result = assignor.assign(joined.members, partitionsPerTopic);
      assignments = joined.members.map((m) => ({
        member_id: m.memberId,
        assignment: encodeAssignment(result.get(m.memberId) ?? { partitions: [], userData: null }),
      }));
      this.#pendingAssignedFrom = partitionsPerTopic;
    }
    const timeoutMs = this.#options.requestTimeoutMs;
    const response = await this.#coordinator.call(
      'SyncGroup',
      {
        group_id: this.#options.groupId,
        generation_id: joined.generationId,
        member_id: this.#memberId,
        group_instance_id: '',
        protocol_type: PROTOCOL_TYPE,
        protocol_name: joined.protocolName,
        assignments,
      },
      { timeoutMs, deadlineMs: Date.now() + timeoutMs, signal },
    );
    switch (response.error_code) {
      case ErrorCode.NONE: {
        if (joined.leader) this.#assignedFrom = this.#pendingAssignedFrom;
        return response.assignment.length > 0
          ? decodeAssignment(response.assignment)
          : { partitions: [], userData: null };
      }
      case ErrorCode.REBALANCE_IN_PROGRESS:
        return undefined;
      case ErrorCode.UNKNOWN_MEMBER_ID:
      case ErrorCode.ILLEGAL_GENERATION:
        this.#memberId = '';
        return undefined;
      default:
        if (isCoordinatorMoved(response.error_code)) return undefined;
        throw kafkaError(response.error_code, `SyncGroup of ${this.#options.groupId} failed`);
    }
  }

  /** Partition counts of every topic some member subscribes to and that exists. */
  async #partitionCounts(members: readonly GroupMember[]): Promise<Map<string, number>> {
    const topics = [...new Set(members.flatMap((m) => m.subscription.topics))].sort();
    const counts = new Map<string, number>();
    if (topics.length === 0) return counts;
    await this.#metadata.refresh(topics);
    for (const topic of topics) {
      const info = this.#metadata.cachedTopic(topic);
      if (info && info.partitions.length > 0) counts.set(topic, info.partitions.length);
    }
    return counts;
  }

  #startHeartbeat(): void {
    this.#stopHeartbeat();
    this.#heartbeatTimer = setInterval(() => void this.#heartbeatTick(), this.#heartbeatPeriodMs());
    this.#heartbeatTimer.unref();
  }

  /** Beats at heartbeat.interval.ms, but often enough to notice max.poll.interval.ms in time. */
  #heartbeatPeriodMs(): number {
    return Math.max(
      10,
      Math.min(this.#options.heartbeatIntervalMs, Math.ceil(this.#options.maxPollIntervalMs / 4)),
    );
  }

  #stopHeartbeat(): void {
    if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
  }

  async #heartbeatTick(): Promise<void> {
    const generation = this.#generation;
    if (!generation || this.#closed || this.#heartbeatInFlight) return;
    if (this.#applicationBusy && Date.now() - this.#lastPollMs > this.#options.maxPollIntervalMs) {
      log.warn(
        { member: this.#memberId, maxPollIntervalMs: this.#options.maxPollIntervalMs },
        'the application took longer than max.poll.interval.ms between two records: leaving the group',
      );
      this.#stopHeartbeat();
      this.#lose();
      await this.#sendLeave(generation.memberId).catch(() => undefined);
      return;
    }
    this.#heartbeatInFlight = true;
    try {
      const timeoutMs = Math.min(this.#options.requestTimeoutMs, this.#options.sessionTimeoutMs);
      const response = await this.#coordinator.call(
        'Heartbeat',
        {
          group_id: this.#options.groupId,
          generation_id: generation.generationId,
          member_id: generation.memberId,
          group_instance_id: '',
        },
        { timeoutMs, deadlineMs: Date.now() + timeoutMs, signal: this.#abort.signal },
      );
      if (this.#generation !== generation) return;
      switch (response.error_code) {
        case ErrorCode.NONE:
          return;
        case ErrorCode.REBALANCE_IN_PROGRESS:
          if (!this.#rejoinNeeded) {
            this.#rejoinNeeded = true;
            this.#onEvent('rejoin-needed');
          }
          return;
        case ErrorCode.ILLEGAL_GENERATION:
        case ErrorCode.UNKNOWN_MEMBER_ID:
        case ErrorCode.FENCED_INSTANCE_ID:
          this.#stopHeartbeat();
          this.#lose();
          return;
        default:
          // A moved coordinator is found again on the next beat; the session outlives a few misses.
          return;
      }
    } catch {
      // Transport trouble: the coordinator connection forgot the address; the next beat tries again.
    } finally {
      this.#heartbeatInFlight = false;
    }
  }

  /** The generation is gone (fenced or left): the member id too, and a rejoin is needed. */
  #lose(): void {
    this.#generation = undefined;
    this.#memberId = '';
    this.#owned = [];
    this.#ownedGeneration = -1;
    this.#assignedFrom = undefined;
    this.#rejoinNeeded = true;
    this.#onEvent('lost');
  }

  /** Told by a commit that the coordinator fenced this member. */
  fenced(code: number): void {
    if (code === ErrorCode.REBALANCE_IN_PROGRESS) {
      this.#rejoinNeeded = true;
      this.#onEvent('rejoin-needed');
      return;
    }
    if (this.#generation === undefined && this.#memberId === '') return;
    this.#stopHeartbeat();
    this.#lose();
  }

  /** Leaves the group (LeaveGroup) if a member, and stops heartbeating. Idempotent. */
  async close(deadlineMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopHeartbeat();
    const memberId = this.#memberId;
    this.#generation = undefined;
    this.#memberId = '';
    if (memberId !== '') {
      await this.#sendLeave(memberId, deadlineMs).catch((err: unknown) => {
        log.debug({ err }, 'LeaveGroup failed; the session timeout will remove the member');
      });
    }
    this.#abort.abort();
  }

  async #sendLeave(
    memberId: string,
    deadlineMs = Date.now() + this.#options.requestTimeoutMs,
  ): Promise<void> {
    const timeoutMs = Math.max(1, Math.min(this.#options.requestTimeoutMs, deadlineMs - Date.now()));
    const response = await this.#coordinator.call(
      'LeaveGroup',
      { group_id: this.#options.groupId, members: [{ member_id: memberId, group_instance_id: '' }] },
      { timeoutMs, deadlineMs },
    );
    if (response.error_code !== ErrorCode.NONE && response.error_code !== ErrorCode.UNKNOWN_MEMBER_ID) {
      throw kafkaError(response.error_code);
    }
  }
}
