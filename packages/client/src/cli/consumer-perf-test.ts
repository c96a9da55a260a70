// `sluice consumer-perf-test`: Kafka 2.7's kafka-consumer-perf-test.sh. Reads --messages records and
// prints Kafka's header and one summary row (or a row per --reporting-interval with
// --show-detailed-stats), in Kafka's number and date formats.
//
// Consumer groups are not in Sluice yet, so there is no group to join: every partition is read by its
// own partition consumer, all at once, from the beginning (or the end with --from-latest).
// rebalance.time.ms is therefore 0 and fetch.time.ms is the whole run.
import { readFile } from 'node:fs/promises';
import { CONSUMER_DEFAULTS, type PartitionConsumer } from '../partition-consumer.ts';
import { type FlagSpec, formatHelp, intFlag, parseFlags, UsageError } from './args.ts';
import { connectFromFlags } from './connect.ts';
import type { CommandIO } from './io.ts';
import { formatMetrics } from './producer-perf-test.ts';

type NumericOption =
  | 'maxWaitMs'
  | 'minBytes'
  | 'maxPartitionFetchBytes'
  | 'requestTimeoutMs'
  | 'retryBackoffMs';

const CONSUMER_PROPS: Record<string, NumericOption> = {
  'fetch.max.wait.ms': 'maxWaitMs',
  'fetch.min.bytes': 'minBytes',
  'request.timeout.ms': 'requestTimeoutMs',
  'retry.backoff.ms': 'retryBackoffMs',
};
/** The settings this tool uses, with their defaults, for --help. */
const USED_PROPS_HELP = Object.entries(CONSUMER_PROPS)
  .map(([key, option]) => `${key} (${CONSUMER_DEFAULTS[option]})`)
  .join(', ');

export const CONSUMER_PERF_TEST_SPECS: FlagSpec[] = [
  {
    name: 'bootstrap-server',
    value: '<String: server to connect to>',
    description: 'REQUIRED unless --broker-list is given: the broker(s) to connect to (host:port,...).',
  },
  {
    name: 'broker-list',
    value: '<String: broker-list>',
    description: 'DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is given.',
  },
  { name: 'topic', value: '<String: topic>', description: 'REQUIRED: the topic to consume from.' },
  { name: 'messages', value: '<Long: count>', description: 'REQUIRED: the number of messages to consume.' },
  {
    name: 'group',
    value: '<String: gid>',
    description:
      'The group id to consume on. Accepted for compatibility: consumer groups are not in Sluice yet, so ' +
      'every partition is read by a partition consumer from the beginning (or the end with --from-latest).',
  },
  {
    name: 'fetch-size',
    value: '<Integer: size>',
    description: 'The amount of data to fetch from a partition in a single request.',
    default: '1048576',
  },
  {
    name: 'from-latest',
    description: 'Start with the latest message present in the log rather than the earliest message.',
  },
  {
    name: 'timeout',
    value: '<Long: milliseconds>',
    description: 'The maximum allowed time in milliseconds between returned records.',
    default: '10000',
  },
  {
    name: 'show-detailed-stats',
    description: 'Report stats for each reporting interval (instead of one summary row).',
  },
  {
    name: 'reporting-interval',
    value: '<Integer: interval_ms>',
    description: 'Interval in milliseconds at which to print progress info.',
    default: '5000',
  },
  {
    name: 'date-format',
    value: '<String: date format>',
    description: 'The format of the time fields (java.text.SimpleDateFormat letters y M d H m s S).',
    default: 'yyyy-MM-dd HH:mm:ss:SSS',
  },
  { name: 'hide-header', description: 'Skip printing the header for the stats.' },
  {
    name: 'consumer.config',
    value: '<String: config file>',
    description:
      `Consumer config properties file. Used, with their defaults: ${USED_PROPS_HELP}. ` +
      'Others are ignored with a warning.',
  },
  { name: 'print-metrics', description: 'Print out the metrics.' },
  {
    name: 'socket-buffer-size',
    value: '<Integer: size>',
    description: 'Accepted for compatibility; gRPC sizes its own socket buffers.',
    default: '2097152',
  },
  { name: 'threads', value: '<Integer: count>', description: 'Deprecated and ignored, as in Kafka 2.7.' },
  {
    name: 'num-fetch-threads',
    value: '<Integer: count>',
    description: 'Deprecated and ignored, as in Kafka 2.7.',
  },
  { name: 'help', description: 'Print usage information.' },
  { name: 'verbose', description: 'Print stack traces on errors.' },
];

export const CONSUMER_PERF_TEST_HELP = formatHelp(
  "Measures consumer throughput (Kafka's kafka-consumer-perf-test.sh). Without consumer groups (not in " +
    'Sluice yet) it reads all partitions of the topic at once with partition consumers. Ctrl-C stops early ' +
    'with the row so far and exit code 130.',
  CONSUMER_PERF_TEST_SPECS,
);

const HEADER_FIELDS = ', rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec';
const SUMMARY_HEADER = `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec${HEADER_FIELDS}`;
const DETAILED_HEADER = `time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec${HEADER_FIELDS}`;
/** How often the --timeout between records is checked (Kafka's loop polls every 100 ms). */
const TIMEOUT_CHECK_MS = 100;
const MB = 1024 * 1024;

/**
 * Settings Kafka's tool sets itself (its flags win over the file, --fetch-size included) or that only
 * mean something with groups: no warning for them.
 */
const SILENTLY_ACCEPTED = new Set([
  'bootstrap.servers',
  'max.partition.fetch.bytes',
  'group.id',
  'key.deserializer',
  'value.deserializer',
  'auto.offset.reset',
  'check.crcs',
  'receive.buffer.bytes',
  'client.id',
]);

/** Formats a time with the SimpleDateFormat letters Kafka's default uses (local time zone). */
export function formatDate(pattern: string, ms: number): string {
  const d = new Date(ms);
  const fields: Record<string, number> = {
    y: d.getFullYear(),
    M: d.getMonth() + 1,
    d: d.getDate(),
    H: d.getHours(),
    m: d.getMinutes(),
    s: d.getSeconds(),
    S: d.getMilliseconds(),
  };
  return pattern.replace(
    /'([^']*)'|([yMdHmsS])\2*/g,
    (run, quoted: string | undefined, letter: string | undefined) => {
      if (quoted !== undefined) return quoted === '' ? "'" : quoted;
      const value = fields[letter as string] as number;
      // As SimpleDateFormat: "yy" is the year's last two digits; otherwise the run is the minimum width.
      if (letter === 'y' && run.length === 2) return String(value % 100).padStart(2, '0');
      return String(value).padStart(run.length, '0');
    },
  );
}

async function consumerOptions(
  file: string | undefined,
  io: CommandIO,
): Promise<Partial<Record<NumericOption, number>>> {
  if (file === undefined) return {};
  // The broker package owns the one .properties reader; loaded only when a file is given.
  const { parseProperties } = await import('@sluice/broker');
  const options: Partial<Record<NumericOption, number>> = {};
  for (const [key, raw] of parseProperties(await readFile(file, 'utf8'))) {
    const option = CONSUMER_PROPS[key];
    if (option === undefined) {
      if (!SILENTLY_ACCEPTED.has(key)) {
        io.err(`WARNING: The configuration '${key}' was supplied but is not used by Sluice's consumer.\n`);
      }
      continue;
    }
    const value = Number(raw);
    if (raw === '' || !Number.isSafeInteger(value) || value < 0) {
      throw new UsageError(`Invalid value ${raw} for configuration ${key}: Not a number of type INT`);
    }
    options[option] = value;
  }
  return options;
}

export async function consumerPerfTestCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(args, CONSUMER_PERF_TEST_SPECS);
  if (flags.has('help')) {
    io.out(CONSUMER_PERF_TEST_HELP);
    return 0;
  }
  if (flags.positional.length > 0) throw new UsageError(`Unrecognized argument: ${flags.positional[0]}`);
  const topic = flags.get('topic');
  if (topic === undefined) throw new UsageError('Missing required argument --topic');
  const messages = intFlag(flags, 'messages');
  if (messages === undefined) throw new UsageError('Missing required argument --messages');
  if (messages <= 0) throw new UsageError('Option --messages must be a positive integer');
  const reportingIntervalMs = intFlag(flags, 'reporting-interval') ?? 5_000;
  if (reportingIntervalMs <= 0) throw new UsageError('Reporting interval must be greater than 0.');
  const timeoutMs = intFlag(flags, 'timeout') ?? 10_000;
  if (timeoutMs < 0) throw new UsageError('Option --timeout must not be negative');
  const fetchSize = intFlag(flags, 'fetch-size') ?? 1_048_576;
  if (fetchSize <= 0) throw new UsageError('Option --fetch-size must be a positive integer');
  const dateFormat = flags.get('date-format') ?? 'yyyy-MM-dd HH:mm:ss:SSS';
  const detailed = flags.has('show-detailed-stats');
  if (flags.has('threads') || flags.has('num-fetch-threads')) {
    io.err(
      'WARNING: option [threads] and [num-fetch-threads] have been deprecated and will be ignored by the test\n',
    );
  }
  if (flags.has('group')) {
    io.err(
      'WARNING: consumer groups are not in Sluice yet: --group is ignored and every partition is read ' +
        'by a partition consumer\n',
    );
  }
  const extra = await consumerOptions(flags.get('consumer.config'), io);
  const client = connectFromFlags(flags, { allowZookeeper: false });
  const consumers: PartitionConsumer[] = [];
  const stop = () => {
    for (const c of consumers) c.close();
  };
  io.signal.addEventListener('abort', stop, { once: true });
  let watchdog: NodeJS.Timeout | undefined;
  try {
    const [info] = await client.admin({ timeoutMs: 15_000 }).describeTopics([topic]);
    const partitions = info?.partitions.map((p) => p.partition) ?? [];
    if (!flags.has('hide-header')) io.out(`${detailed ? DETAILED_HEADER : SUMMARY_HEADER}\n`);

    const startMs = Date.now();
    let messagesRead = 0;
    let bytesRead = 0;
    let lastReportMs = startMs;
    let lastMessagesRead = 0;
    let lastBytesRead = 0;
    let lastConsumedMs = startMs;
    let timedOut = false;
    for (const partition of partitions) {
      consumers.push(
        client.consumer({
          topic,
          partition,
          from: flags.has('from-latest') ? 'newest' : 'oldest',
          autoOffsetReset: flags.has('from-latest') ? 'latest' : 'earliest',
          ...extra,
          maxPartitionFetchBytes: fetchSize,
        }),
      );
    }
    if (io.signal.aborted) stop();
    watchdog = setInterval(
      () => {
        if (Date.now() - lastConsumedMs > timeoutMs) {
          timedOut = true;
          stop();
        }
      },
      Math.min(TIMEOUT_CHECK_MS, Math.max(1, timeoutMs)),
    );
    const printProgress = (nowMs: number) => {
      const elapsedMs = nowMs - lastReportMs;
      const intervalMb = (bytesRead - lastBytesRead) / MB;
      const intervalMessages = messagesRead - lastMessagesRead;
      // rebalance.time.ms is always 0 here (no group to join), so fetch time is the interval.
      const perSec = (amount: number) => (elapsedMs <= 0 ? 0 : (1000 * amount) / elapsedMs);
      io.out(
        `${formatDate(dateFormat, nowMs)}, 0, ${(bytesRead / MB).toFixed(4)}, ${perSec(intervalMb).toFixed(4)}, ` +
          `${messagesRead}, ${perSec(intervalMessages).toFixed(4)}, 0, ${elapsedMs}, ` +
          `${perSec(intervalMb).toFixed(4)}, ${perSec(intervalMessages).toFixed(4)}\n`,
      );
    };
    await Promise.all(
      consumers.map(async (consumer) => {
        for await (const batch of consumer.batches()) {
          if (messagesRead >= messages) break;
          const nowMs = Date.now();
          lastConsumedMs = nowMs;
          const take = Math.min(batch.length, messages - messagesRead);
          for (let i = 0; i < take; i++) {
            const record = batch[i];
            if (record === undefined) break;
            bytesRead += (record.key?.length ?? 0) + (record.value?.length ?? 0);
          }
          messagesRead += take;
          if (nowMs - lastReportMs >= reportingIntervalMs) {
            if (detailed) printProgress(nowMs);
            lastReportMs = nowMs;
            lastMessagesRead = messagesRead;
            lastBytesRead = bytesRead;
          }
          if (messagesRead >= messages) stop();
        }
      }),
    );
    const endMs = Date.now();
    if (messagesRead < messages && timedOut) {
      io.out(
        `WARNING: Exiting before consuming the expected number of messages: timeout (${timeoutMs} ms) exceeded. ` +
          'You can use the --timeout option to increase the timeout.\n',
      );
    }
    if (!detailed) {
      const elapsedSec = (endMs - startMs) / 1000;
      const fetchTimeMs = endMs - startMs;
      const mb = bytesRead / MB;
      io.out(
        `${formatDate(dateFormat, startMs)}, ${formatDate(dateFormat, endMs)}, ${mb.toFixed(4)}, ` +
          `${(mb / elapsedSec).toFixed(4)}, ${messagesRead}, ${(messagesRead / elapsedSec).toFixed(4)}, ` +
          `0, ${fetchTimeMs}, ${(mb / (fetchTimeMs / 1000)).toFixed(4)}, ` +
          `${(messagesRead / (fetchTimeMs / 1000)).toFixed(4)}\n`,
      );
    }
    if (flags.has('print-metrics')) {
      const elapsedSec = (endMs - startMs) / 1000;
      io.out(
        formatMetrics('consumer-fetch-manager-metrics', 'perf-consumer-client', {
          'bytes-consumed-rate': bytesRead / elapsedSec,
          'bytes-consumed-total': bytesRead,
          'records-consumed-rate': messagesRead / elapsedSec,
          'records-consumed-total': messagesRead,
        }),
      );
    }
  } finally {
    clearInterval(watchdog);
    io.signal.removeEventListener('abort', stop);
    stop();
    await client.close();
  }
  return io.signal.aborted ? 130 : 0;
}
