// `sluice topics`: Kafka's kafka-topics.sh, same flags, same output shapes.
import { KafkaError } from '@sluice/protocol';
import { type FlagSpec, formatHelp, intFlag, keyValues, parseFlags, UsageError } from './args.ts';
import { connectFromFlags } from './connect.ts';
import type { CommandIO } from './io.ts';

const SPECS: FlagSpec[] = [
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
  { name: 'topic', value: '<String: topic>', description: 'The topic to create or describe.' },
  {
    name: 'partitions',
    value: '<Integer: # of partitions>',
    description: 'The number of partitions for the topic being created.',
  },
  {
    name: 'replication-factor',
    value: '<Integer: replication factor>',
    description: 'The replication factor for each partition in the topic being created.',
  },
  {
    name: 'replica-assignment',
    value: '<String: broker_id_for_part1_replica1:broker_id_for_part1_replica2,...>',
    description: 'A list of manual partition-to-broker assignments for the topic being created.',
  },
  {
    name: 'config',
    value: '<String: name=value>',
    description: 'A topic configuration override for the topic being created.',
    repeatable: true,
  },
  {
    name: 'if-not-exists',
    description:
      'If set when creating topics, the action will only execute if the topic does not already exist.',
  },
  { name: 'exclude-internal', description: 'Exclude internal topics when running list or describe command.' },
  { name: 'help', description: 'Print usage information.' },
  { name: 'verbose', description: 'Print stack traces on errors.' },
];

export const TOPICS_HELP = formatHelp(
  "Create, list and describe topics (Kafka's kafka-topics.sh). Exactly one of --create, --list, --describe.",
  SPECS,
);

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
  const actions = ['create', 'list', 'describe'].filter((a) => flags.has(a));
  if (actions.length !== 1)
    throw new UsageError('Command must include exactly one action: --list, --describe, --create');
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
        io.out(matching.map((t) => `${t}\n`).join(''));
        return 0;
      }
      default: {
        const described = await admin.describeTopics(topic === undefined ? undefined : [topic]);
        const lines: string[] = [];
        for (const t of described) {
          if (flags.has('exclude-internal') && t.isInternal) continue;
          const replicationFactor = t.partitions[0]?.replicas.length ?? 0;
          lines.push(
            `Topic: ${t.name}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${replicationFactor}\tConfigs: `,
          );
          for (const p of t.partitions) {
            lines.push(
              `\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader >= 0 ? p.leader : 'none'}\t` +
                `Replicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}`,
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
