// Every znode Sluice reads or writes: its path and its JSON shape, Kafka 2.7's field for field (Kafka's
// kafka.zk.ZkData). Nothing else in Sluice builds a ZooKeeper path or a znode payload by hand, so an
// operator reading the tree with zkCli sees exactly what a Kafka 2.7 cluster would show.

/** Decoding a znode whose content is not what Kafka 2.7 would write. */
export class ZnodeFormatError extends Error {
  constructor(path: string, reason: string) {
    super(`Unexpected content in znode ${path}: ${reason}`);
    this.name = 'ZnodeFormatError';
  }
}

function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function decodeJson(path: string, data: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw new ZnodeFormatError(path, 'not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ZnodeFormatError(path, 'not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function intField(path: string, json: Record<string, unknown>, key: string): number {
  const value = json[key];
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new ZnodeFormatError(path, `${key} is not an integer`);
  return value;
}

function intArray(path: string, value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isInteger(v))) {
    throw new ZnodeFormatError(path, `${what} is not an array of integers`);
  }
  return value as number[];
}

// ---------------------------------------------------------------------------------------------------
// /brokers/ids/<id> (ephemeral)

export interface BrokerEndpoint {
  /** Listener name, e.g. GRPC or KAFKA. */
  listenerName: string;
  host: string;
  port: number;
}

export interface BrokerRegistration {
  id: number;
  endpoints: BrokerEndpoint[];
  rack: string | null;
  timestampMs: number;
}

export const BrokerIdsZNode = {
  path: '/brokers/ids',
};

export const BrokerIdZNode = {
  path: (id: number): string => `/brokers/ids/${id}`,
  /** Version 5, as Kafka 2.7 writes it: host and port repeat the first endpoint. */
  encode(registration: BrokerRegistration): Buffer {
    const first = registration.endpoints[0];
    const protocolMap: Record<string, string> = {};
    for (const endpoint of registration.endpoints) protocolMap[endpoint.listenerName] = 'PLAINTEXT';
    const json: Record<string, unknown> = {
      features: {},
      listener_security_protocol_map: protocolMap,
      endpoints: registration.endpoints.map((e) => `${e.listenerName}://${formatHost(e.host)}:${e.port}`),
      jmx_port: -1,
      host: first?.host ?? null,
      timestamp: String(registration.timestampMs),
      port: first?.port ?? -1,
      version: 5,
    };
    if (registration.rack !== null) json.rack = registration.rack;
    return encodeJson(json);
  },
  decode(id: number, data: Buffer): BrokerRegistration {
    const path = BrokerIdZNode.path(id);
    const json = decodeJson(path, data);
    const endpoints = json.endpoints;
    if (!Array.isArray(endpoints)) throw new ZnodeFormatError(path, 'endpoints is not an array');
    return {
      id,
      endpoints: endpoints.map((e) => parseEndpoint(path, e)),
      rack: typeof json.rack === 'string' ? json.rack : null,
      timestampMs: Number(json.timestamp ?? 0),
    };
  },
};

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function parseEndpoint(path: string, value: unknown): BrokerEndpoint {
  const match = typeof value === 'string' ? /^([A-Za-z0-9_]+):\/\/\[?([^\]]*)\]?:(\d+)$/.exec(value) : null;
  if (!match) throw new ZnodeFormatError(path, `bad endpoint ${JSON.stringify(value)}`);
  return { listenerName: match[1] ?? '', host: match[2] ?? '', port: Number(match[3]) };
}

/** /brokers/seqid: its data version is the broker id sequence (broker.id.generation.enable). */
export const BrokerSequenceIdZNode = {
  path: '/brokers/seqid',
};

// ---------------------------------------------------------------------------------------------------
// /brokers/topics/<topic> and its partition state

/** partition -> replica broker ids; the first replica is the preferred leader. */
export type ReplicaAssignment = Map<number, number[]>;

export const TopicsZNode = {
  path: '/brokers/topics',
};

export const TopicZNode = {
  path: (topic: string): string => `/brokers/topics/${topic}`,
  encode(assignment: ReplicaAssignment): Buffer {
    const partitions: Record<string, number[]> = {};
    for (const [partition, replicas] of [...assignment].sort((a, b) => a[0] - b[0])) {
      partitions[String(partition)] = replicas;
    }
    return encodeJson({ version: 2, partitions, adding_replicas: {}, removing_replicas: {} });
  },
  decode(topic: string, data: Buffer): ReplicaAssignment {
    const path = TopicZNode.path(topic);
    const json = decodeJson(path, data);
    const partitions = json.partitions;
    if (partitions === null || typeof partitions !== 'object')
      throw new ZnodeFormatError(path, 'no partitions');
    const assignment: ReplicaAssignment = new Map();
    for (const [key, replicas] of Object.entries(partitions)) {
      const partition = Number(key);
      if (!Number.isInteger(partition) || partition < 0)
        throw new ZnodeFormatError(path, `bad partition ${key}`);
      assignment.set(partition, intArray(path, replicas, `replicas of partition ${key}`));
    }
    return assignment;
  },
};

export const TopicPartitionsZNode = {
  path: (topic: string): string => `/brokers/topics/${topic}/partitions`,
};

export const TopicPartitionZNode = {
  path: (topic: string, partition: number): string => `/brokers/topics/${topic}/partitions/${partition}`,
};

export interface LeaderAndIsr {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  controllerEpoch: number;
}

export const TopicPartitionStateZNode = {
  path: (topic: string, partition: number): string =>
    `/brokers/topics/${topic}/partitions/${partition}/state`,
  encode(state: LeaderAndIsr): Buffer {
    return encodeJson({
      controller_epoch: state.controllerEpoch,
      leader: state.leader,
      version: 1,
      leader_epoch: state.leaderEpoch,
      isr: state.isr,
    });
  },
  decode(topic: string, partition: number, data: Buffer): LeaderAndIsr {
    const path = TopicPartitionStateZNode.path(topic, partition);
    const json = decodeJson(path, data);
    return {
      leader: intField(path, json, 'leader'),
      leaderEpoch: intField(path, json, 'leader_epoch'),
      isr: intArray(path, json.isr, 'isr'),
      controllerEpoch: intField(path, json, 'controller_epoch'),
    };
  },
};

// ---------------------------------------------------------------------------------------------------
// Controller

export const ControllerZNode = {
  path: '/controller',
  encode(brokerId: number, timestampMs: number): Buffer {
    return encodeJson({ version: 1, brokerid: brokerId, timestamp: String(timestampMs) });
  },
  decode(data: Buffer): number {
    return intField(ControllerZNode.path, decodeJson(ControllerZNode.path, data), 'brokerid');
  },
};

/** Kafka's KafkaController.InitialControllerEpoch: the content of a fresh /controller_epoch. */
export const INITIAL_CONTROLLER_EPOCH = 0;

export const ControllerEpochZNode = {
  path: '/controller_epoch',
  encode(epoch: number): Buffer {
    return Buffer.from(String(epoch), 'utf8');
  },
  decode(data: Buffer): number {
    const epoch = Number(data.toString('utf8'));
    if (!Number.isInteger(epoch)) throw new ZnodeFormatError(ControllerEpochZNode.path, 'not an integer');
    return epoch;
  },
};

// ---------------------------------------------------------------------------------------------------
// Admin and configuration

export const DeleteTopicsZNode = {
  path: '/admin/delete_topics',
};

/** A deletion request; Kafka 2.7 writes it with empty data (KafkaZkClient.createDeleteTopicPath). */
export const DeleteTopicZNode = {
  path: (topic: string): string => `/admin/delete_topics/${topic}`,
};

export const ConfigEntityTypeZNode = {
  path: (entityType: 'topics' | 'clients' | 'users' | 'brokers'): string => `/config/${entityType}`,
};

export const TopicConfigZNode = {
  path: (topic: string): string => `/config/topics/${topic}`,
  encode(config: Record<string, string>): Buffer {
    return encodeJson({ version: 1, config });
  },
  decode(topic: string, data: Buffer): Record<string, string> {
    const path = TopicConfigZNode.path(topic);
    const config = decodeJson(path, data).config;
    if (config === null || typeof config !== 'object') throw new ZnodeFormatError(path, 'no config');
    const result: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) result[key] = String(value);
    return result;
  },
};

/** /config/changes/config_change_<seq>: tells every broker that an entity's config changed. */
export const ConfigChangeNotificationZNode = {
  path: '/config/changes',
  sequencePrefix: '/config/changes/config_change_',
  encodeTopic(topic: string): Buffer {
    return encodeJson({ version: 2, entity_path: `topics/${topic}` });
  },
  /** Kafka's change_expiration_ms: notifications older than this are purged (15 minutes). */
  expirationMs: 15 * 60 * 1000,
};

/** /config/changes/config_change_<seq>. */
export const ConfigChangeNotificationSequenceZNode = {
  path: (name: string): string => `${ConfigChangeNotificationZNode.path}/${name}`,
  /** The entity path, e.g. topics/t. */
  decode(name: string, data: Buffer): string {
    const path = ConfigChangeNotificationSequenceZNode.path(name);
    const entityPath = decodeJson(path, data).entity_path;
    if (typeof entityPath !== 'string') throw new ZnodeFormatError(path, 'entity_path is not a string');
    return entityPath;
  },
};

export const IsrChangeNotificationZNode = {
  path: '/isr_change_notification',
  sequencePrefix: '/isr_change_notification/isr_change_',
  encode(partitions: ReadonlyArray<{ topic: string; partition: number }>): Buffer {
    return encodeJson({
      version: 1,
      partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition })),
    });
  },
};

/** /isr_change_notification/isr_change_<seq>: partitions whose ISR a leader changed. */
export const IsrChangeNotificationSequenceZNode = {
  path: (name: string): string => `${IsrChangeNotificationZNode.path}/${name}`,
  decode(name: string, data: Buffer): Array<{ topic: string; partition: number }> {
    const path = IsrChangeNotificationSequenceZNode.path(name);
    const partitions = decodeJson(path, data).partitions;
    if (!Array.isArray(partitions)) throw new ZnodeFormatError(path, 'partitions is not an array');
    return partitions.map((entry: unknown) => {
      if (entry === null || typeof entry !== 'object')
        throw new ZnodeFormatError(path, 'bad partition entry');
      const json = entry as Record<string, unknown>;
      if (typeof json.topic !== 'string') throw new ZnodeFormatError(path, 'topic is not a string');
      return { topic: json.topic, partition: intField(path, json, 'partition') };
    });
  },
};

export const ClusterIdZNode = {
  path: '/cluster/id',
  encode(clusterId: string): Buffer {
    return encodeJson({ version: '1', id: clusterId });
  },
  decode(data: Buffer): string {
    const id = decodeJson(ClusterIdZNode.path, data).id;
    if (typeof id !== 'string') throw new ZnodeFormatError(ClusterIdZNode.path, 'no id');
    return id;
  },
};

/**
 * The persistent paths a Kafka 2.7 broker creates at start-up (KafkaZkClient.createTopLevelPaths plus
 * the broker and topic roots), so that tools expecting them find them.
 */
export const PERSISTENT_PATHS: readonly string[] = [
  '/consumers',
  '/admin/delete_topics',
  '/brokers/ids',
  '/brokers/topics',
  '/brokers/seqid',
  '/config/changes',
  '/config/topics',
  '/config/clients',
  '/config/users',
  '/config/brokers',
  '/isr_change_notification',
  '/latest_producer_id_block',
  '/log_dir_event_notification',
];

// ---------------------------------------------------------------------------------------------------
// /latest_producer_id_block (persistent): the last block of producer ids handed to a broker, Kafka 2.7's
// ProducerIdBlockZNode: {"version":1,"broker":1,"block_start":"0","block_end":"999"}, longs as strings.

export interface ProducerIdBlock {
  brokerId: number;
  blockStart: number;
  blockEnd: number;
}

export const ProducerIdBlockZNode = {
  path: '/latest_producer_id_block',
  /** Ids per block, as Kafka's ProducerIdManager.PidBlockSize. */
  blockSize: 1000,
  encode(block: ProducerIdBlock): Buffer {
    return encodeJson({
      version: 1,
      broker: block.brokerId,
      block_start: String(block.blockStart),
      block_end: String(block.blockEnd),
    });
  },
  decode(data: Buffer): ProducerIdBlock {
    const path = ProducerIdBlockZNode.path;
    const json = decodeJson(path, data);
    const long = (key: string): number => {
      const value = Number(json[key]);
      if (!Number.isSafeInteger(value) || value < 0) throw new ZnodeFormatError(path, `${key} is not a long`);
      return value;
    };
    return {
      brokerId: intField(path, json, 'broker'),
      blockStart: long('block_start'),
      blockEnd: long('block_end'),
    };
  },
};
