// The contract between the consumer group and its partition assignors. As in Kafka, the assignors run
// in the client: the coordinator picks one name every member supports, and the group leader runs that
// assignor over every member's subscription and sends the result back through SyncGroup. Subscriptions
// and assignments travel in Kafka's ConsumerProtocol encoding (consumer-protocol.ts), so Sluice members,
// Kafka's Java client and kafkajs can share a group when they share an assignor name.

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** What a member asks for (Kafka's ConsumerProtocol Subscription). */
export interface Subscription {
  topics: string[];
  /** Assignor-specific data (the sticky assignor's previous assignment in version 0). */
  userData: Buffer | null;
  /** Version 1+: what the member owns now (used by sticky assignors). */
  ownedPartitions: TopicPartitions[];
}

/** What a member gets (Kafka's ConsumerProtocol Assignment). */
export interface Assignment {
  partitions: TopicPartitions[];
  userData: Buffer | null;
}

export interface GroupMember {
  memberId: string;
  /** Static membership id, when the member has one (orders members like Kafka does). */
  groupInstanceId: string | null;
  subscription: Subscription;
}

export interface PartitionAssignor {
  /** The protocol name sent in JoinGroup: "range", "roundrobin", "sticky", as Kafka's. */
  readonly name: string;
  /** User data to put in this member's subscription (e.g. the sticky assignor's state); null: none. */
  subscriptionUserData(owned: readonly TopicPartitions[], generationId: number): Buffer | null;
  /**
   * Assignments for every member, keyed by member id (every member gets an entry, possibly empty).
   * `partitionsPerTopic` has every subscribed topic that exists and its partition count.
   */
  assign(
    members: readonly GroupMember[],
    partitionsPerTopic: ReadonlyMap<string, number>,
  ): Map<string, Assignment>;
}
