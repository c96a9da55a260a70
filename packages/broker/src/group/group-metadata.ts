// One consumer group as its coordinator holds it (Kafka's GroupMetadata and MemberMetadata): state,
// generation, members with their subscriptions and assignments, and the group's committed offsets.
// Plain data plus the rules that only read it (protocol choice, membership checks); the coordinator
// owns every transition and timer.
import type { OffsetAndMetadata } from './offsets-records.ts';
import type { GroupState, JoinGroupResult, SyncGroupResult } from './types.ts';

export interface MemberMetadata {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  /** In the member's order of preference. */
  protocols: Array<{ name: string; metadata: Buffer }>;
  assignment: Buffer;
  /** Set while the member's JoinGroup waits for the rebalance to complete. */
  awaitingJoin: ((result: JoinGroupResult) => void) | undefined;
  /** Set while the member's SyncGroup waits for the leader's assignment. */
  awaitingSync: ((result: SyncGroupResult) => void) | undefined;
  /** Joined during the current rebalance (a new member that fails to rejoin is dropped sooner). */
  isNew: boolean;
  /** Session expiry: reset by every heartbeat, join and sync. */
  sessionTimer: NodeJS.Timeout | undefined;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  value: OffsetAndMetadata;
}

export class GroupMetadata {
  readonly groupId: string;
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  currentStateTimestampMs: number;
  readonly members = new Map<string, MemberMetadata>();
  /** Members told MEMBER_ID_REQUIRED that have not joined with their id yet, with their expiry timers. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>();
  /** Committed offsets by "topic\0partition". */
  readonly offsets = new Map<string, CommittedOffset>();
  /** The timer completing the join phase of a rebalance. */
  joinTimer: NodeJS.Timeout | undefined;
  /** During the initial delayed join of an empty group: members joined since the delay last began. */
  initialJoinDeadlineMs = 0;
  newMembersDuringDelay = false;

  constructor(groupId: string, nowMs: number) {
    this.groupId = groupId;
    this.currentStateTimestampMs = nowMs;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    this.state = state;
    this.currentStateTimestampMs = nowMs;
  }

  get isEmpty(): boolean {
    return this.members.size === 0;
  }

  /** Every member has rejoined and nobody holds an id without having joined with it. */
  get allMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const member of this.members.values()) if (!member.awaitingJoin) return false;
    return true;
  }

  /** The longest rebalance timeout of the members: how long the join phase may last. */
  get rebalanceTimeoutMs(): number {
    let longest = 0;
    for (const member of this.members.values()) longest = Math.max(longest, member.rebalanceTimeoutMs);
    return longest;
  }

  /** Can a member with this protocol type and these protocols join? */
  supportsProtocols(protocolType: string, names: readonly string[]): boolean {
    if (this.isEmpty) return protocolType !== '' && names.length > 0;
    if (this.protocolType !== protocolType) return false;
    return this.#candidates().some((name) => names.includes(name));
  }

  /** Protocols every member supports. */
  #candidates(): string[] {
    let candidates: string[] | undefined;
    for (const member of this.members.values()) {
      const names = member.protocols.map((p) => p.name);
      candidates = candidates === undefined ? names : candidates.filter((name) => names.includes(name));
    }
    return candidates ?? [];
  }

  /** Kafka's choice: among protocols every member supports, the one most members prefer first. */
  selectProtocol(): string {
    const candidates = this.#candidates();
    const votes = new Map<string, number>(candidates.map((name) => [name, 0]));
    for (const member of this.members.values()) {
      const vote = member.protocols.find((p) => votes.has(p.name))?.name;
      if (vote !== undefined) votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    let best = candidates[0] ?? '';
    for (const [name, count] of votes) if (count > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  metadataOf(member: MemberMetadata, protocolName: string | null): Buffer {
    return member.protocols.find((p) => p.name === protocolName)?.metadata ?? Buffer.alloc(0);
  }

  /** The subscriptions a member sends are unchanged (a rejoin that needs no rebalance). */
  static sameProtocols(
    member: MemberMetadata,
    protocols: ReadonlyArray<{ name: string; metadata: Buffer }>,
  ): boolean {
    if (member.protocols.length !== protocols.length) return false;
    return member.protocols.every(
      (p, i) => p.name === protocols[i]!.name && p.metadata.equals(protocols[i]!.metadata),
    );
  }
}

export function offsetKey(topic: string, partition: number): string {
  return `${topic}\0${partition}`;
}
