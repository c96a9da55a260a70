// `sluice console-consumer`: Kafka's kafka-console-consumer.sh. Prints each record's value on a line
// (with key, partition, offset, timestamp on request) and, on exit, "Processed a total of N messages"
// on stderr as Kafka does. With --group it is a member of that consumer group (partitions shared with
// the group's other members, starting from the group's committed offsets, committing on the way and on
// exit); without, it reads every partition itself and commits nothing.
import type { ConsumerGroupOptions } from '../group/consumer-group-options.ts';
import type { ConsumedRecord, PartitionConsumer, PartitionConsumerOptions } from '../partition-consumer.ts';
import { type FlagSpec, formatHelp, intFlag, keyValues, parseFlags, UsageError } from './args.ts';
import { connectFromFlags } from './connect.ts';
import type { CommandIO } from './io.ts';

export const SPECS: FlagSpec[] = [
  {
    name: 'bootstrap-server',
    value: '<String: server to connect to>',
    description: 'A broker to connect to (host:port of its GRPC listener).',
  },
  { name: 'topic', value: '<String: topic>', description: 'The topic to consume from.' },
  {
    name: 'whitelist',
    value: '<String: Java regex (String)>',
    description:
      'A regular expression of topics to consume from (every partition of each), instead of --topic.',
  },
  {
    name: 'consumer-property',
    value: '<String: consumer_prop>',
    description:
      'Consumer settings as key=value: fetch.min.bytes, fetch.max.wait.ms, max.partition.fetch.bytes, request.timeout.ms.',
    repeatable: true,
  },
  {
    name: 'group',
    value: '<String: consumer group id>',
    description:
      'The consumer group to consume as a member of (its committed offsets are where reading starts; the tool commits what it printed). Without it, every partition is read and nothing is committed.',
  },
  {
    name: 'from-beginning',
    description:
      'Start with the earliest message present in the log rather than the latest (with --group: only for partitions the group has no committed offset for).',
  },
  {
    name: 'partition',
    value: '<Integer: partition>',
    description: 'Consume only this partition (all partitions otherwise).',
  },
  {
    name: 'offset',
    value: '<String: consume offset>',
    description: 'earliest, latest or an offset; needs --partition.',
    default: 'latest',
  },
  {
    name: 'max-messages',
    value: '<Integer: num_messages>',
    description: 'Exit after consuming this many messages.',
  },
  {
    name: 'timeout-ms',
    value: '<Integer: timeout_ms>',
    description: 'Exit if no message is available for this long.',
  },
  {
    name: 'property',
    value: '<String: prop>',
    description:
      'print.key, print.partition, print.offset, print.timestamp, print.value (true|false), key.separator.',
    repeatable: true,
  },
  { name: 'help', description: 'Print usage information.' },
  { name: 'verbose', description: 'Print stack traces on errors.' },
];

export const CONSOLE_CONSUMER_HELP = formatHelp(
  'Consumes records from a topic and prints them on standard output.',
  SPECS,
);

/** --consumer-property settings the partition consumer has, by their Kafka names. */
function consumerOptions(props: Record<string, string>): Partial<PartitionConsumerOptions> {
  const options: Partial<PartitionConsumerOptions> = {};
  const numeric = (name: string): number | undefined => {
    const raw = props[name];
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0)
      throw new UsageError(`Invalid consumer property ${name}=${raw}`);
    return value;
  };
  const minBytes = numeric('fetch.min.bytes');
  const maxWaitMs = numeric('fetch.max.wait.ms');
  const maxPartitionFetchBytes = numeric('max.partition.fetch.bytes');
  const requestTimeoutMs = numeric('request.timeout.ms');
  if (minBytes !== undefined) options.minBytes = minBytes;
  if (maxWaitMs !== undefined) options.maxWaitMs = maxWaitMs;
  if (maxPartitionFetchBytes !== undefined) options.maxPartitionFetchBytes = maxPartitionFetchBytes;
  if (requestTimeoutMs !== undefined) options.requestTimeoutMs = requestTimeoutMs;
  for (const name of Object.keys(props)) {
    if (!CONSUMER_PROPERTIES.includes(name)) throw new UsageError(`Unknown consumer property '${name}'`);
  }
  return options;
}

const CONSUMER_PROPERTIES = [
  'fetch.min.bytes',
  'fetch.max.wait.ms',
  'max.partition.fetch.bytes',
  'request.timeout.ms',
  'group.id',
];

/** The group from --group or --consumer-property group.id (which must agree, as in Kafka). */
function groupIdOf(flag: string | undefined, props: Record<string, string>): string | undefined {
  const property = props['group.id'];
  if (flag !== undefined && property !== undefined && flag !== property) {
    throw new UsageError(
      "The group ids provided in different places (directly using '--group', via '--consumer-property') do not match.",
    );
  }
  return flag ?? property;
}

/** The partition consumer's fetch settings under the consumer group's option names. */
function groupFetchOptions(options: Partial<PartitionConsumerOptions>): Partial<ConsumerGroupOptions> {
  const result: Partial<ConsumerGroupOptions> = {};
  if (options.minBytes !== undefined) result.fetchMinBytes = options.minBytes;
  if (options.maxWaitMs !== undefined) result.fetchMaxWaitMs = options.maxWaitMs;
  if (options.maxPartitionFetchBytes !== undefined)
    result.maxPartitionFetchBytes = options.maxPartitionFetchBytes;
  if (options.requestTimeoutMs !== undefined) result.requestTimeoutMs = options.requestTimeoutMs;
  return result;
}

interface PrintOptions {
  printKey: boolean;
  printValue: boolean;
  printPartition: boolean;
  printOffset: boolean;
  printTimestamp: boolean;
  separator: string;
}

function formatRecord(record: ConsumedRecord, options: PrintOptions): string {
  const fields: string[] = [];
  if (options.printTimestamp) fields.push(`CreateTime:${record.timestamp}`);
  if (options.printPartition) fields.push(`Partition:${record.partition}`);
  if (options.printOffset) fields.push(`Offset:${record.offset}`);
  if (options.printKey) fields.push(record.key === null ? 'null' : record.key.toString('utf8'));
  if (options.printValue) fields.push(record.value === null ? 'null' : record.value.toString('utf8'));
  return `${fields.join(options.separator)}\n`;
}

export async function consoleConsumerCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(args, SPECS);
  if (flags.has('help')) {
    io.out(CONSOLE_CONSUMER_HELP);
    return 0;
  }
  const topic = flags.get('topic');
  const whitelist = flags.get('whitelist');
  if ((topic === undefined) === (whitelist === undefined)) {
    throw new UsageError('Exactly one of --topic or --whitelist is required');
  }
  if (whitelist !== undefined && flags.has('partition')) {
    throw new UsageError('Option --partition needs --topic, not --whitelist');
  }
  let whitelistPattern: RegExp | undefined;
  if (whitelist !== undefined) {
    try {
      // Kafka's whitelist: a regular expression over the whole topic name; ',' separates alternatives.
      whitelistPattern = new RegExp(`^(?:${whitelist.replaceAll(',', '|')})$`);
    } catch {
      throw new UsageError(`Invalid --whitelist '${whitelist}': not a regular expression`);
    }
  }
  const consumerProps = keyValues(flags, 'consumer-property');
  const fetchOptions = consumerOptions(consumerProps);
  const groupId = groupIdOf(flags.get('group'), consumerProps);
  if (groupId !== undefined && flags.has('partition')) {
    throw new UsageError('Options --group and --partition cannot be specified together.');
  }
  const partitionFlag = intFlag(flags, 'partition');
  const maxMessages = intFlag(flags, 'max-messages');
  const timeoutMs = intFlag(flags, 'timeout-ms');
  const offsetFlag = flags.has('offset') ? flags.get('offset') : undefined;
  if (offsetFlag !== undefined && partitionFlag === undefined) {
    throw new UsageError('The partition is required when offset is specified.');
  }
  if (offsetFlag !== undefined && flags.has('from-beginning')) {
    throw new UsageError("Options --from-beginning and --offset can't be used together");
  }
  let from: 'oldest' | 'newest' | number = flags.has('from-beginning') ? 'oldest' : 'newest';
  if (offsetFlag === 'earliest') from = 'oldest';
  else if (offsetFlag !== undefined && offsetFlag !== 'latest') {
    const offset = Number(offsetFlag);
    if (!Number.isInteger(offset) || offset < 0) throw new UsageError(`Invalid --offset '${offsetFlag}'`);
    from = offset;
  }
  const props = keyValues(flags, 'property');
  const print: PrintOptions = {
    printKey: props['print.key'] === 'true',
    printValue: props['print.value'] !== 'false',
    printPartition: props['print.partition'] === 'true',
    printOffset: props['print.offset'] === 'true',
    printTimestamp: props['print.timestamp'] === 'true',
    separator: props['key.separator'] ?? '\t',
  };
  if (groupId !== undefined) {
    return consumeAsGroupMember(flags, io, {
      groupId,
      topics: whitelistPattern ?? [topic as string],
      fromBeginning: flags.has('from-beginning'),
      fetchOptions: groupFetchOptions(fetchOptions),
      maxMessages,
      timeoutMs,
      print,
    });
  }

  const client = connectFromFlags(flags, { allowZookeeper: false });
  let processed = 0;
  const consumers: PartitionConsumer[] = [];
  const stop = () => {
    for (const c of consumers) c.close();
  };
  let idleTimer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const resetIdle = () => {
    if (timeoutMs === undefined) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
  };
  io.signal.addEventListener('abort', stop, { once: true });
  try {
    const admin = client.admin({ timeoutMs: 15_000 });
    const topics =
      whitelistPattern !== undefined
        ? (await admin.describeTopics()).filter((t) => !t.isInternal && whitelistPattern.test(t.name))
        : await admin.describeTopics([topic as string]);
    for (const info of topics) {
      const partitions =
        partitionFlag !== undefined ? [partitionFlag] : info.partitions.map((p) => p.partition);
      for (const partition of partitions) {
        consumers.push(
          client.consumer({
            topic: info.name,
            partition,
            from,
            autoOffsetReset: from === 'oldest' ? 'earliest' : 'latest',
            ...fetchOptions,
          }),
        );
      }
    }
    if (io.signal.aborted) stop();
    resetIdle();
    await Promise.all(
      consumers.map(async (consumer) => {
        for await (const batch of consumer.batches()) {
          for (const record of batch) {
            if (maxMessages !== undefined && processed >= maxMessages) break;
            io.out(formatRecord(record, print));
            processed++;
          }
          resetIdle();
          if (maxMessages !== undefined && processed >= maxMessages) stop();
        }
      }),
    );
    if (timedOut) io.err(TIMEOUT_MESSAGE());
  } finally {
    clearTimeout(idleTimer);
    io.signal.removeEventListener('abort', stop);
    io.err(`Processed a total of ${processed} messages\n`);
    await client.close();
  }
  return 0;
}

const TIMEOUT_MESSAGE = () =>
  `[${new Date().toISOString()}] ERROR Error processing message, terminating consumer process: TimeoutException\n`;

/**
 * --group: one member of the group, reading what the coordinator assigns it. Records are taken one at a
 * time, so the offsets committed on exit are exactly those of the records printed (--max-messages
 * leaves the rest for the group's next reader). --from-beginning is auto.offset.reset=earliest: it
 * applies only where the group has no committed offset, as in Kafka.
 */
async function consumeAsGroupMember(
  flags: ReturnType<typeof parseFlags>,
  io: CommandIO,
  options: {
    groupId: string;
    topics: string[] | RegExp;
    fromBeginning: boolean;
    fetchOptions: Partial<ConsumerGroupOptions>;
    maxMessages: number | undefined;
    timeoutMs: number | undefined;
    print: PrintOptions;
  },
): Promise<number> {
  const client = connectFromFlags(flags, { allowZookeeper: false });
  let processed = 0;
  let timedOut = false;
  let idleTimer: NodeJS.Timeout | undefined;
  try {
    const group = client.consumerGroup({
      ...options.fetchOptions,
      groupId: options.groupId,
      topics: options.topics,
      autoOffsetReset: options.fromBeginning ? 'earliest' : 'latest',
      // The client id Kafka's console consumer gets (consumer-<group>-<n>); member ids start with it.
      clientId: `consumer-${options.groupId}-1`,
    });
    const stop = () => {
      void group.close();
    };
    const resetIdle = () => {
      if (options.timeoutMs === undefined) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        timedOut = true;
        stop();
      }, options.timeoutMs);
    };
    io.signal.addEventListener('abort', stop, { once: true });
    try {
      if (io.signal.aborted) stop();
      resetIdle();
      if (options.maxMessages === undefined || options.maxMessages > 0) {
        for await (const record of group.records()) {
          io.out(formatRecord(record, options.print));
          processed++;
          resetIdle();
          if (options.maxMessages !== undefined && processed >= options.maxMessages) break;
        }
      }
      // Commits the position after the last printed record, then leaves the group.
      await group.close();
    } finally {
      io.signal.removeEventListener('abort', stop);
    }
    if (timedOut) io.err(TIMEOUT_MESSAGE());
  } finally {
    clearTimeout(idleTimer);
    io.err(`Processed a total of ${processed} messages\n`);
    await client.close();
  }
  return 0;
}
