// `sluice console-producer`: Kafka's kafka-console-producer.sh. Reads standard input, one record a
// line, and sends them in order; a failed send is reported on stderr and the exit code is non-zero.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Acks, ProducerRecord } from '../producer.ts';
import { type FlagSpec, formatHelp, keyValues, parseFlags, UsageError } from './args.ts';
import { connectFromFlags } from './connect.ts';
import type { CommandIO } from './io.ts';

export const SPECS: FlagSpec[] = [
  {
    name: 'bootstrap-server',
    value: '<String: server to connect to>',
    description: 'A broker to connect to (host:port of its GRPC listener).',
  },
  {
    name: 'broker-list',
    value: '<String: broker-list>',
    description: 'Deprecated alias of --bootstrap-server.',
  },
  { name: 'topic', value: '<String: topic>', description: 'The topic to produce messages to.' },
  {
    name: 'request-required-acks',
    value: '<String: request required acks>',
    description: 'The required acks of the producer requests: 0, 1, -1 or all.',
    default: '1',
  },
  {
    name: 'property',
    value: '<String: prop>',
    description: 'parse.key=true|false, key.separator=<sep> (default tab), ignore.error=true|false.',
    repeatable: true,
  },
  {
    name: 'producer-property',
    value: '<String: producer_prop>',
    description:
      'Producer settings as key=value: acks, delivery.timeout.ms, request.timeout.ms, retry.backoff.ms.',
    repeatable: true,
  },
  {
    name: 'compression-codec',
    value: '<String: compression-codec>',
    description: 'none, gzip, snappy, lz4 or zstd.',
    default: 'none',
  },
  { name: 'sync', description: 'Send each line and wait for its acknowledgement before reading the next.' },
  {
    name: 'batch-size',
    value: '<Integer: size>',
    description: 'Lines sent per request when not --sync.',
    default: '200',
  },
  { name: 'help', description: 'Print usage information.' },
  { name: 'verbose', description: 'Print stack traces on errors.' },
];

export const CONSOLE_PRODUCER_HELP = formatHelp(
  'Reads lines from standard input and sends each as a record.',
  SPECS,
);

const COMPRESSION_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
type CompressionCodecName = (typeof COMPRESSION_CODECS)[number];

function parseAcks(value: string): Acks {
  if (value === 'all' || value === '-1') return -1;
  if (value === '0') return 0;
  if (value === '1') return 1;
  throw new UsageError(`Invalid acks '${value}': expected 0, 1, -1 or all`);
}

export async function consoleProducerCommand(
  args: readonly string[],
  io: CommandIO,
  stdin: Readable,
): Promise<number> {
  const flags = parseFlags(args, SPECS);
  if (flags.has('help')) {
    io.out(CONSOLE_PRODUCER_HELP);
    return 0;
  }
  const topic = flags.get('topic');
  if (topic === undefined) throw new UsageError('Missing required argument --topic');
  const properties = keyValues(flags, 'property');
  const producerProps = keyValues(flags, 'producer-property');
  const parseKey = properties['parse.key'] === 'true';
  const separator = properties['key.separator'] ?? '\t';
  const ignoreError = properties['ignore.error'] === 'true';
  const acks = parseAcks(producerProps.acks ?? flags.get('request-required-acks') ?? '1');
  const batchSize = flags.has('sync') ? 1 : Math.max(1, Number(flags.get('batch-size')));
  const compression = producerProps['compression.type'] ?? flags.get('compression-codec') ?? 'none';
  if (!COMPRESSION_CODECS.includes(compression as CompressionCodecName)) {
    throw new UsageError(
      `Invalid compression codec '${compression}': expected ${COMPRESSION_CODECS.join(', ')}`,
    );
  }
  const client = connectFromFlags(flags, { allowZookeeper: false });
  const producer = client.producer({
    compression: compression as CompressionCodecName,
    acks,
    ...(producerProps['delivery.timeout.ms']
      ? { deliveryTimeoutMs: Number(producerProps['delivery.timeout.ms']) }
      : {}),
    ...(producerProps['request.timeout.ms']
      ? { requestTimeoutMs: Number(producerProps['request.timeout.ms']) }
      : {}),
    ...(producerProps['retry.backoff.ms']
      ? { retryBackoffMs: Number(producerProps['retry.backoff.ms']) }
      : {}),
  });
  let failures = 0;
  let pending: ProducerRecord[] = [];
  // Batches go out one after another, so records keep their input order within each partition.
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    try {
      await producer.send(batch);
    } catch (err) {
      failures += batch.length;
      io.err(`ERROR when sending ${batch.length} message(s) to topic ${topic}: ${(err as Error).message}\n`);
      if (!ignoreError) throw err;
    }
  };
  const lines = createInterface({ input: stdin, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) {
      if (io.signal.aborted) break;
      let key: string | null = null;
      let value = line;
      if (parseKey) {
        const at = line.indexOf(separator);
        if (at < 0) throw new UsageError(`No key separator found on line: ${line}`);
        key = line.slice(0, at);
        value = line.slice(at + separator.length);
      }
      pending.push({ topic, key, value });
      if (pending.length >= batchSize) await flush();
    }
    await flush();
  } catch (err) {
    if (failures === 0) throw err;
  } finally {
    lines.close();
    await client.close();
  }
  return failures > 0 ? 1 : 0;
}
