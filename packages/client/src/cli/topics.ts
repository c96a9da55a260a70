// `sluice topics`: Kafka's kafka-topics.sh, same flags, same output shapes. With --zookeeper the tool
// prints what Kafka 2.7's ZooKeeper code path prints (deletion notes, alter warnings); with
// --bootstrap-server what its admin-client path prints (nothing for --alter --partitions and --delete).
// Every change still goes through a broker, so one place validates it.
import { KafkaError } from '@sluice/protocol';
import type { Admin } from '../admin.ts';
import { type FlagSpec, formatHelp, intFlag, keyValues, parseFlags, UsageError } from './args.ts';
import { connectFromFlags } from './connect.ts';
import type { CommandIO } from './io.ts';

export const SPECS: FlagSpec[] = [
  {
    name: 'bootstrap-server',
    value: '<String: server to connect to>',
    description: 'A broker to connect to (host:port of its GRPC listener).',
  },
  {
    name: 'zookeeper',
    value: '<String: hosts>',
    description: 'The ZooKeeper connection string (host:port), an alternative to --bootstrap-server.',
  },
  { name: 'create', description: 'Create a new topic.' },
  { name: 'list', description: 'List all available topics.' },
  { name: 'describe', description: 'List details for the given topics.' },
  {
    name: 'alter',
    description: 'Alter the number of partitions, replica assignment, and/or configuration for the topic.',
  },
  { name: 'delete', description: 'Delete a topic' },
  { name: 'topic', value: '<String: topic>', description: 'The topic to create, alter, describe or delete.' },
  {
    name: 'partitions',
    value: '<Integer: # of partitions>',
    description:
      'The number of partitions for the topic being created or altered (WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected).',
  },
  {
    name: 'replication-factor',
    value: '<Integer: replication factor>',
    description: 'The replication factor for each partition in the topic being created.',
  },
  {
    name: 'replica-assignment',
    value: '<String: broker_id_for_part1_replica1:broker_id_for_part1_replica2,...>',
    description: 'A list of manual partition-to-broker assignments for the topic being created or altered.',
  },
  {
    name: 'config',
    value: '<String: name=value>',
    description: 'A topic configuration override for the topic being created or altered.',
    repeatable: true,
  },
  {
    name: 'delete-config',
    value: '<String: name>',
    description: 'A topic configuration override to be removed for an existing topic.',
    repeatable: true,
  },
  {
    name: 'if-not-exists',
    description:
      'If set when creating topics, the action will only execute if the topic does not already exist.',
  },
  {
    name: 'if-exists',
    description:
      'If set when altering or deleting or describing topics, the action will only execute if the topic exists.',
  },
  { name: 'exclude-internal', description: 'Exclude internal topics when running list or describe command.' },
  {
    name: 'under-replicated-partitions',
    description: 'With --describe: only partitions whose ISR is smaller than their replica set.',
  },
  {
    name: 'unavailable-partitions',
    description: 'With --describe: only partitions whose leader is not available.',
  },
  {
    name: 'under-min-isr-partitions',
    description:
      'With --describe: only partitions whose ISR is smaller than the configured min.insync.replicas.',
  },
  {
    name: 'at-min-isr-partitions',
    description: 'With --describe: only partitions whose ISR size equals the configured min.insync.replicas.',
  },
  { name: 'help', description: 'Print usage information.' },
  { name: 'verbose', description: 'Print stack traces on errors.' },
];

export const TOPICS_HELP = formatHelp(
  "Create, delete, describe, or change a topic (Kafka's kafka-topics.sh). Exactly one of --create, --list, --describe, --alter, --delete.",
  SPECS,
);

const ALTER_CONFIG_WARNING =
  'WARNING: Altering topic configuration from this script has been deprecated and may be removed in future releases.\n' +
  '         Going forward, please use kafka-configs.sh for this functionality\n';
const ALTER_PARTITIONS_WARNING =
  'WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected\n';

function parseReplicaAssignment(text: string): Record<number, number[]> {
  const result: Record<number, number[]> = {};
  text.split(',').forEach((partition, index) => {
    const brokers = partition.split(':').map((b) => Number(b.trim()));
    if (brokers.some((b) => !Number.isInteger(b))) {
      throw new UsageError(`Option --replica-assignment: '${partition}' is not a list of broker ids`);
    }
    result[index] = brokers;
  });
  return result;
}

export async function topicsCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(args, SPECS);
  if (flags.has('help')) {
    io.out(TOPICS_HELP);
    return 0;
  }
  const actions = ['create', 'list', 'describe', 'alter', 'delete'].filter((a) => flags.has(a));
  if (actions.length !== 1) {
    throw new UsageError(
      'Command must include exactly one action: --list, --describe, --create, --alter or --delete',
    );
  }
  const zookeeperMode = flags.has('zookeeper');
  const client = connectFromFlags(flags, { allowZookeeper: true });
  try {
    const admin = client.admin({ timeoutMs: 15_000 });
    const topic = flags.get('topic');
    switch (actions[0]) {
      case 'create': {
        if (topic === undefined) throw new UsageError('Missing required argument --topic');
        const assignment = flags.get('replica-assignment');
        const partitions = intFlag(flags, 'partitions');
        const replicationFactor = intFlag(flags, 'replication-factor');
        if (assignment !== undefined && (partitions !== undefined || replicationFactor !== undefined)) {
          throw new UsageError(
            "Option --replica-assignment can't be used with --partitions or --replication-factor",
          );
        }
        try {
          await admin.createTopic({
            topic,
            ...(partitions !== undefined ? { numPartitions: partitions } : {}),
            ...(replicationFactor !== undefined ? { replicationFactor } : {}),
            ...(assignment !== undefined ? { replicaAssignment: parseReplicaAssignment(assignment) } : {}),
            configs: keyValues(flags, 'config'),
          });
        } catch (err) {
          if (
            flags.has('if-not-exists') &&
            err instanceof KafkaError &&
            err.errorName === 'TOPIC_ALREADY_EXISTS'
          )
            return 0;
          throw err;
        }
        io.out(`Created topic ${topic}.\n`);
        return 0;
      }
      case 'list': {
        const topics = await admin.listTopics({ includeInternal: !flags.has('exclude-internal') });
        const matching = topic === undefined ? topics : topics.filter((t) => t === topic);
        // Kafka's ZooKeeper path flags topics being deleted.
        const marked = zookeeperMode ? await markedForDeletion(admin, matching) : new Set<string>();
        io.out(matching.map((t) => (marked.has(t) ? `${t} - marked for deletion\n` : `${t}\n`)).join(''));
        return 0;
      }
      case 'alter':
        return await alterTopic(admin, flags, topic, zookeeperMode, io);
      case 'delete':
        return await deleteTopic(admin, flags, topic, zookeeperMode, io);
      default: {
        let described: Awaited<ReturnType<Admin['describeTopics']>>;
        try {
          described = await admin.describeTopics(topic === undefined ? undefined : [topic]);
        } catch (err) {
          if (topic !== undefined && isUnknownTopic(err)) {
            if (flags.has('if-exists')) return 0;
            throw new Error(`Topic '${topic}' does not exist as expected`);
          }
          throw err;
        }
        described = described.filter((t) => !(flags.has('exclude-internal') && t.isInternal));
        const configs = await admin.describeConfigs(described.map((t) => t.name));
        // As Kafka's TopicCommand: a partition filter prints matching partition lines only, no topic lines.
        const reports = REPORT_FLAGS.filter((f) => flags.has(f));
        const lines: string[] = [];
        for (const t of described) {
          const replicationFactor = t.partitions[0]?.replicas.length ?? 0;
          const topicConfigs = configs.get(t.name) ?? [];
          // ZooKeeper path: the topic's overrides (its config znode); admin path: every non-default value.
          const shown = topicConfigs.filter((c) =>
            zookeeperMode ? c.source === 'DYNAMIC_TOPIC_CONFIG' : !c.isDefault,
          );
          const minIsr = Number(topicConfigs.find((c) => c.name === 'min.insync.replicas')?.value ?? '1');
          const marked = t.markedForDeletion ? '\tMarkedForDeletion: true' : '';
          if (reports.length === 0) {
            lines.push(
              `Topic: ${t.name}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${replicationFactor}\tConfigs: ` +
                `${shown.map((c) => `${c.name}=${c.value}`).join(',')}${marked}`,
            );
          }
          for (const p of t.partitions) {
            if (!reports.every((report) => partitionMatches(report, p, minIsr))) continue;
            lines.push(
              `\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader >= 0 ? p.leader : 'none'}\t` +
                `Replicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}${marked}`,
            );
          }
        }
        io.out(lines.map((l) => `${l}\n`).join(''));
        return 0;
      }
    }
  } finally {
    await client.close();
  }
}

const REPORT_FLAGS = [
  'under-replicated-partitions',
  'unavailable-partitions',
  'under-min-isr-partitions',
  'at-min-isr-partitions',
] as const;

function partitionMatches(
  report: (typeof REPORT_FLAGS)[number],
  partition: { leader: number; replicas: number[]; isr: number[] },
  minIsr: number,
): boolean {
  switch (report) {
    case 'under-replicated-partitions':
      return partition.isr.length < partition.replicas.length;
    case 'unavailable-partitions':
      return partition.leader < 0;
    case 'under-min-isr-partitions':
      return partition.isr.length < minIsr;
    case 'at-min-isr-partitions':
      return partition.isr.length === minIsr;
  }
}

function isUnknownTopic(err: unknown): boolean {
  return err instanceof KafkaError && err.errorName === 'UNKNOWN_TOPIC_OR_PARTITION';
}

async function markedForDeletion(admin: Admin, topics: readonly string[]): Promise<Set<string>> {
  if (topics.length === 0) return new Set();
  const described = await admin.describeTopics();
  return new Set(described.filter((t) => t.markedForDeletion && topics.includes(t.name)).map((t) => t.name));
}

/** `--alter`: configs (--config, --delete-config) and/or the partition count (--partitions). */
async function alterTopic(
  admin: Admin,
  flags: ReturnType<typeof parseFlags>,
  topic: string | undefined,
  zookeeperMode: boolean,
  io: CommandIO,
): Promise<number> {
  if (topic === undefined) throw new UsageError('Missing required argument --topic');
  const partitions = intFlag(flags, 'partitions');
  const set = keyValues(flags, 'config');
  const removed = flags.all('delete-config');
  const changesConfig = Object.keys(set).length > 0 || removed.length > 0;
  if (partitions === undefined && !changesConfig) {
    throw new UsageError('Option --alter needs --partitions, --config or --delete-config');
  }
  if (flags.has('replication-factor')) {
    throw new UsageError('Option --replication-factor can only be used with --create');
  }
  if (flags.has('replica-assignment') && partitions === undefined) {
    throw new UsageError('Option --replica-assignment with --alter needs --partitions');
  }
  let current: Awaited<ReturnType<Admin['describeTopics']>>[number] | undefined;
  try {
    [current] = await admin.describeTopics([topic]);
  } catch (err) {
    if (!isUnknownTopic(err)) throw err;
    if (flags.has('if-exists')) return 0;
    throw new Error(`Topic '${topic}' does not exist as expected`);
  }
  if (changesConfig) {
    if (zookeeperMode) io.out(ALTER_CONFIG_WARNING);
    await admin.alterTopicConfig(topic, { set, delete: removed });
    io.out(`Updated config for topic ${topic}.\n`);
  }
  if (partitions !== undefined) {
    if (current?.isInternal) {
      throw new Error(`The number of partitions for the internal topic ${topic} cannot be changed.`);
    }
    const existing = current?.partitions.length ?? 0;
    const assignmentText = flags.get('replica-assignment');
    // As Kafka: the assignment lists every partition; only those past the existing ones are new.
    const assignments =
      assignmentText === undefined
        ? undefined
        : Object.entries(parseReplicaAssignment(assignmentText))
            .filter(([partition]) => Number(partition) >= existing)
            .map(([, brokers]) => brokers);
    if (zookeeperMode) io.out(ALTER_PARTITIONS_WARNING);
    const [result] = await admin.createPartitions([
      { topic, count: partitions, ...(assignments !== undefined ? { assignments } : {}) },
    ]);
    if (result?.error) throw result.error;
    if (zookeeperMode) io.out('Adding partitions succeeded!\n');
  }
  return 0;
}

/** `--delete`: marks the topic for deletion (ZooKeeper path) or deletes it and waits (admin path). */
async function deleteTopic(
  admin: Admin,
  flags: ReturnType<typeof parseFlags>,
  topic: string | undefined,
  zookeeperMode: boolean,
  io: CommandIO,
): Promise<number> {
  if (topic === undefined) throw new UsageError('Missing required argument --topic');
  let current: Awaited<ReturnType<Admin['describeTopics']>>[number] | undefined;
  try {
    [current] = await admin.describeTopics([topic]);
  } catch (err) {
    if (!isUnknownTopic(err)) throw err;
    if (flags.has('if-exists')) return 0;
    throw new Error(`Topic '${topic}' does not exist as expected`);
  }
  if (current?.isInternal) {
    throw new Error(`Topic ${topic} is a kafka internal topic and is not allowed to be marked for deletion.`);
  }
  if (zookeeperMode && current?.markedForDeletion) {
    io.out(`Topic ${topic} is already marked for deletion.\n`);
    return 0;
  }
  // The ZooKeeper path only marks the topic; the admin path waits for the deletion, as Kafka's do.
  await admin.deleteTopic(topic, zookeeperMode ? { timeoutMs: 0 } : {});
  if (zookeeperMode) {
    io.out(
      `Topic ${topic} is marked for deletion.\nNote: This will have no impact if delete.topic.enable is not set to true.\n`,
    );
  }
  return 0;
}
