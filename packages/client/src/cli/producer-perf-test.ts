// `sluice producer-perf-test`: Kafka's kafka-producer-perf-test.sh. Sends --num-records records of
// --record-size bytes (or payloads from --payload-file) as fast as the cluster takes them or paced to
// --throughput records/s, and prints Kafka's progress lines every 5 s and Kafka's summary line, with
// latency measured per record from send to acknowledgement.
//
// Kafka's producer batches in the background (batch.size, linger.ms); the Sluice producer sends what
// one send() call is given. So this tool is the batcher: it hands the producer chunks of about
// batch.size bytes and keeps several in flight (max.in.flight.requests.per.connection per broker,
// bounded by buffer.memory), which is what keeps Kafka's pipe full too.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ErrorCode, KafkaError, RECORD_BATCH_HEADER_BYTES } from '@sluice/protocol';
import type { Admin } from '../admin.ts';
import { Sluice } from '../client.ts';
import { isRetriable } from '../errors.ts';
import { type Acks, PRODUCER_DEFAULTS, type ProducerOptions, type ProducerRecord } from '../producer.ts';
import { delay } from '../retry.ts';
import { type FlagSpec, formatHelp, parseFlags, UsageError } from './args.ts';
import type { CommandIO } from './io.ts';

/** Kafka's producer defaults for the settings this tool uses itself. */
const TOOL_DEFAULTS = {
  batchSizeBytes: 16_384,
  lingerMs: 0,
  bufferMemoryBytes: 33_554_432,
  maxInFlightPerConnection: 5,
  maxBlockMs: 60_000,
  clientId: 'perf-producer-client',
  /** The client's metadata.max.age.ms default, Kafka's too. */
  metadataMaxAgeMs: 300_000,
};

/** The settings this tool uses, with their defaults, for --help. */
const USED_PROPS_HELP = Object.entries({
  acks: PRODUCER_DEFAULTS.acks,
  'batch.size': TOOL_DEFAULTS.batchSizeBytes,
  'linger.ms': TOOL_DEFAULTS.lingerMs,
  'buffer.memory': TOOL_DEFAULTS.bufferMemoryBytes,
  'max.in.flight.requests.per.connection': TOOL_DEFAULTS.maxInFlightPerConnection,
  'max.block.ms': TOOL_DEFAULTS.maxBlockMs,
  'delivery.timeout.ms': PRODUCER_DEFAULTS.deliveryTimeoutMs,
  'request.timeout.ms': PRODUCER_DEFAULTS.requestTimeoutMs,
  'retry.backoff.ms': PRODUCER_DEFAULTS.retryBackoffMs,
  'metadata.max.age.ms': TOOL_DEFAULTS.metadataMaxAgeMs,
  'client.id': TOOL_DEFAULTS.clientId,
})
  .map(([key, value]) => `${key} (${value})`)
  .join(', ');

/** Settings that Kafka's tool sets itself and that mean nothing here: accepted without a warning. */
const SILENTLY_ACCEPTED = new Set(['key.serializer', 'value.serializer']);

const KNOWN_PROPS = new Set([
  'bootstrap.servers',
  'acks',
  'batch.size',
  'linger.ms',
  'buffer.memory',
  'max.in.flight.requests.per.connection',
  'max.block.ms',
  'delivery.timeout.ms',
  'request.timeout.ms',
  'retry.backoff.ms',
  'metadata.max.age.ms',
  'client.id',
]);

export const PRODUCER_PERF_TEST_SPECS: FlagSpec[] = [
  { name: 'topic', value: '<String: topic>', description: 'REQUIRED: produce messages to this topic.' },
  {
    name: 'num-records',
    value: '<Long: num-records>',
    description: 'REQUIRED: number of messages to produce.',
  },
  {
    name: 'record-size',
    value: '<Integer: record-size>',
    description: 'Message size in bytes. Give exactly one of --record-size or --payload-file.',
  },
  {
    name: 'payload-file',
    value: '<String: payload-file>',
    description:
      'File to read the message payloads from (UTF-8 text); each record takes one of them at random. ' +
      'Give exactly one of --record-size or --payload-file.',
  },
  {
    name: 'payload-delimiter',
    value: '<String: payload-delimiter>',
    description: 'Separates the payloads in --payload-file (a plain string; \\n stands for a newline).',
    default: '\\n',
  },
  {
    name: 'throughput',
    value: '<Double: throughput>',
    description: 'REQUIRED: throttle to approximately this many records/sec; -1 for no limit.',
  },
  {
    name: 'producer-props',
    value: '<String: prop-name=prop-value ...>',
    description:
      'Producer settings, one or more key=value after the flag; these win over --producer.config. ' +
      `bootstrap.servers is required. Used, with their defaults: ${USED_PROPS_HELP}. ` +
      'Others are ignored with a warning.',
    repeatable: true,
  },
  {
    name: 'producer.config',
    value: '<String: config-file>',
    description: 'Producer config properties file.',
  },
  { name: 'print-metrics', description: 'Print the producer metrics at the end of the test.' },
  { name: 'help', description: 'Print usage information.' },
  { name: 'verbose', description: 'Print stack traces on errors.' },
];

export const PRODUCER_PERF_TEST_HELP = formatHelp(
  "Measures producer throughput and latency (Kafka's kafka-producer-perf-test.sh). Progress every 5 s, " +
    'then one summary line. Ctrl-C stops early: the summary is printed and the exit code is 130.',
  PRODUCER_PERF_TEST_SPECS,
);

/** Bytes a record adds to a batch beyond its value (length, attributes, deltas, null key, no headers). */
const RECORD_OVERHEAD_BYTES = 10;
/** Kafka's Stats keeps at most this many latency samples for the percentiles. */
const MAX_LATENCY_SAMPLES = 500_000;
const REPORTING_INTERVAL_MS = 5_000;
const WARMUP_BACKOFF_MS = 100;
const MAX_WARMUP_BACKOFF_MS = 1_000;

interface ToolSettings {
  bootstrap: string[];
  producer: ProducerOptions;
  metadataMaxAgeMs: number | undefined;
  batchSizeBytes: number;
  lingerMs: number;
  bufferMemoryBytes: number;
  maxInFlightPerConnection: number;
  maxBlockMs: number;
  clientId: string;
}

/**
 * Kafka takes `--producer-props a=1 b=2` (several values after one flag). Rewrites that into one
 * `--producer-props` per value so the common flag parser can read it.
 */
function expandProducerProps(args: readonly string[]): string[] {
  const out: string[] = [];
  let collecting = false;
  let collected = 0;
  const endCollecting = () => {
    if (collecting && collected === 0) out.push('--producer-props');
    collecting = false;
  };
  for (const arg of args) {
    if (arg === '--producer-props') {
      endCollecting();
      collecting = true;
      collected = 0;
      continue;
    }
    if (arg.startsWith('--')) endCollecting();
    if (collecting) {
      out.push('--producer-props', arg);
      collected++;
    } else {
      out.push(arg);
    }
  }
  endCollecting();
  return out;
}

function positiveInt(raw: string, what: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new UsageError(`${what} must be a positive integer`);
  return value;
}

/** A numeric producer setting, rejected the way Kafka's ConfigDef words it. */
function intProp(props: Map<string, string>, key: string, min: number): number | undefined {
  const raw = props.get(key);
  if (raw === undefined) return undefined;
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isSafeInteger(value)) {
    throw new UsageError(`Invalid value ${raw} for configuration ${key}: Not a number of type INT`);
  }
  if (value < min)
    throw new UsageError(`Invalid value ${raw} for configuration ${key}: Value must be at least ${min}`);
  return value;
}

async function readProducerProps(flags: ReturnType<typeof parseFlags>): Promise<Map<string, string>> {
  const props = new Map<string, string>();
  const configFile = flags.get('producer.config');
  if (configFile !== undefined) {
    // The broker package owns the one .properties reader; loaded only when a file is given.
    const { parseProperties } = await import('@sluice/broker');
    for (const [key, value] of parseProperties(await readFile(configFile, 'utf8'))) props.set(key, value);
  }
  for (const pair of flags.all('producer-props')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`Invalid property: ${pair}`);
    props.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return props;
}

function toolSettings(props: Map<string, string>, io: CommandIO): ToolSettings {
  const servers = props.get('bootstrap.servers');
  if (servers === undefined || servers.trim() === '') {
    throw new UsageError('Missing required configuration "bootstrap.servers" which has no default value.');
  }
  for (const key of props.keys()) {
    if (!KNOWN_PROPS.has(key) && !SILENTLY_ACCEPTED.has(key)) {
      io.err(`WARNING: The configuration '${key}' was supplied but is not used by Sluice's producer.\n`);
    }
  }
  const acksRaw = props.get('acks')?.trim();
  const acks = acksRaw === undefined ? undefined : acksRaw === 'all' ? 'all' : (Number(acksRaw) as Acks);
  const deliveryTimeoutMs = intProp(props, 'delivery.timeout.ms', 1);
  const requestTimeoutMs = intProp(props, 'request.timeout.ms', 1);
  const retryBackoffMs = intProp(props, 'retry.backoff.ms', 0);
  return {
    bootstrap: servers
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
    producer: {
      ...(acks !== undefined ? { acks } : {}),
      ...(deliveryTimeoutMs !== undefined ? { deliveryTimeoutMs } : {}),
      ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}),
      ...(retryBackoffMs !== undefined ? { retryBackoffMs } : {}),
    },
    metadataMaxAgeMs: intProp(props, 'metadata.max.age.ms', 0),
    batchSizeBytes: intProp(props, 'batch.size', 0) ?? TOOL_DEFAULTS.batchSizeBytes,
    lingerMs: intProp(props, 'linger.ms', 0) ?? TOOL_DEFAULTS.lingerMs,
    bufferMemoryBytes: intProp(props, 'buffer.memory', 0) ?? TOOL_DEFAULTS.bufferMemoryBytes,
    maxInFlightPerConnection:
      intProp(props, 'max.in.flight.requests.per.connection', 1) ?? TOOL_DEFAULTS.maxInFlightPerConnection,
    maxBlockMs: intProp(props, 'max.block.ms', 0) ?? TOOL_DEFAULTS.maxBlockMs,
    clientId: props.get('client.id') ?? TOOL_DEFAULTS.clientId,
  };
}

/** Payloads as Kafka's tool makes them: one buffer of random capital letters, or a file's pieces. */
async function loadPayloads(
  flags: ReturnType<typeof parseFlags>,
  io: CommandIO,
): Promise<{ payloads: Buffer[]; averageBytes: number }> {
  const sizeFlag = flags.get('record-size');
  const file = flags.get('payload-file');
  if ((sizeFlag === undefined) === (file === undefined)) {
    throw new UsageError('Give exactly one of --record-size or --payload-file');
  }
  if (sizeFlag !== undefined) {
    const size = positiveInt(sizeFlag, 'Option --record-size');
    const payload = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i++) payload[i] = 65 + Math.floor(Math.random() * 26);
    return { payloads: [payload], averageBytes: size };
  }
  const path = resolve(file as string);
  io.out(`Reading payloads from: ${path}\n`);
  const text = await readFile(path, 'utf8').catch(() => '');
  if (text.length === 0) throw new Error('File does not exist or empty file provided.');
  const rawDelimiter = flags.get('payload-delimiter') ?? '\\n';
  const delimiter = rawDelimiter === '\\n' ? '\n' : rawDelimiter;
  const pieces = text.split(delimiter);
  // As Java's String.split: trailing empty pieces are dropped.
  while (pieces.length > 0 && pieces.at(-1) === '') pieces.pop();
  if (pieces.length === 0) throw new Error('File does not exist or empty file provided.');
  io.out(`Number of messages read: ${pieces.length}\n`);
  const payloads = pieces.map((p) => Buffer.from(p, 'utf8'));
  return { payloads, averageBytes: payloads.reduce((sum, p) => sum + p.length, 0) / payloads.length };
}

/**
 * Kafka's producer statistics: totals, a 5-second window, and up to 500,000 latencies sampled every
 * (numRecords / 500,000)th record by send index, for the percentiles.
 */
class ProducerStats {
  readonly #startMs: number;
  readonly #sampling: number;
  readonly #latencies: Int32Array;
  readonly #print: (line: string) => void;
  #sampled = 0;
  #count = 0;
  #bytes = 0;
  #totalLatencyMs = 0;
  #maxLatencyMs = 0;
  #windowStartMs: number;
  #windowCount = 0;
  #windowBytes = 0;
  #windowTotalLatencyMs = 0;
  #windowMaxLatencyMs = 0;

  constructor(numRecords: number, nowMs: number, print: (line: string) => void) {
    this.#startMs = nowMs;
    this.#windowStartMs = nowMs;
    this.#sampling = Math.floor(numRecords / Math.min(numRecords, MAX_LATENCY_SAMPLES));
    this.#latencies = new Int32Array(Math.floor(numRecords / this.#sampling) + 1);
    this.#print = print;
  }

  /** Records acknowledged so far. */
  get count(): number {
    return this.#count;
  }

  /** Payload bytes acknowledged so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** `count` records from send index `firstIndex`, `bytes` of payload in all, acknowledged after `latencyMs`. */
  recordAcked(firstIndex: number, count: number, bytes: number, latencyMs: number, nowMs: number): void {
    this.#count += count;
    this.#bytes += bytes;
    this.#totalLatencyMs += latencyMs * count;
    this.#maxLatencyMs = Math.max(this.#maxLatencyMs, latencyMs);
    this.#windowCount += count;
    this.#windowBytes += bytes;
    this.#windowTotalLatencyMs += latencyMs * count;
    this.#windowMaxLatencyMs = Math.max(this.#windowMaxLatencyMs, latencyMs);
    const firstSampled = Math.ceil(firstIndex / this.#sampling) * this.#sampling;
    for (let i = firstSampled; i < firstIndex + count; i += this.#sampling) {
      this.#latencies[this.#sampled++] = latencyMs;
    }
    if (nowMs - this.#windowStartMs >= REPORTING_INTERVAL_MS) {
      this.#printWindow(nowMs);
      this.#windowStartMs = nowMs;
      this.#windowCount = 0;
      this.#windowBytes = 0;
      this.#windowTotalLatencyMs = 0;
      this.#windowMaxLatencyMs = 0;
    }
  }

  #printWindow(nowMs: number): void {
    const elapsedMs = nowMs - this.#windowStartMs;
    const recordsPerSec = (1000 * this.#windowCount) / elapsedMs;
    const mbPerSec = (1000 * this.#windowBytes) / elapsedMs / (1024 * 1024);
    this.#print(
      `${this.#windowCount} records sent, ${recordsPerSec.toFixed(1)} records/sec (${mbPerSec.toFixed(2)} MB/sec), ` +
        `${(this.#windowTotalLatencyMs / this.#windowCount).toFixed(1)} ms avg latency, ` +
        `${this.#windowMaxLatencyMs.toFixed(1)} ms max latency.\n`,
    );
  }

  elapsedMs(nowMs: number): number {
    return nowMs - this.#startMs;
  }

  summary(nowMs: number): string {
    const elapsedMs = nowMs - this.#startMs;
    const recordsPerSec = (1000 * this.#count) / elapsedMs;
    const mbPerSec = (1000 * this.#bytes) / elapsedMs / (1024 * 1024);
    const size = Math.min(this.#sampled, this.#latencies.length);
    const sorted = this.#latencies.subarray(0, size).sort();
    // Kafka reads the sample at floor(p * size); with no samples that is the array's initial 0.
    const percentile = (p: number) => (size === 0 ? 0 : (sorted[Math.floor(p * size)] ?? 0));
    return (
      `${this.#count} records sent, ${recordsPerSec.toFixed(6)} records/sec (${mbPerSec.toFixed(2)} MB/sec), ` +
      `${(this.#totalLatencyMs / this.#count).toFixed(2)} ms avg latency, ${this.#maxLatencyMs.toFixed(2)} ms max latency, ` +
      `${percentile(0.5)} ms 50th, ${percentile(0.95)} ms 95th, ${percentile(0.99)} ms 99th, ${percentile(0.999)} ms 99.9th.\n`
    );
  }
}

/** Paces records like Kafka's ThroughputThrottler: record i is sent no earlier than start + i / rate. */
class Pacer {
  readonly #startMs: number;
  readonly #recordsPerSec: number;

  constructor(startMs: number, recordsPerSec: number) {
    this.#startMs = startMs;
    this.#recordsPerSec = recordsPerSec;
  }

  dueAtMs(index: number): number {
    return this.#startMs + (index * 1000) / this.#recordsPerSec;
  }

  /** How many records, counting from index 0, may have been sent by `nowMs`. */
  dueCount(nowMs: number): number {
    return Math.floor(((nowMs - this.#startMs) * this.#recordsPerSec) / 1000) + 1;
  }
}

/**
 * Waits for the topic's metadata (Kafka's producer blocks up to max.block.ms for it) and returns the
 * number of brokers (0 if interrupted). A topic that does not exist yet is fine: the first send
 * creates it, as Kafka's auto-creation does.
 */
async function awaitCluster(admin: Admin, topic: string, maxBlockMs: number, io: CommandIO): Promise<number> {
  const deadlineMs = Date.now() + maxBlockMs;
  let backoffMs = WARMUP_BACKOFF_MS;
  let warned = false;
  for (;;) {
    try {
      await admin.describeTopics([topic]).catch((err: unknown) => {
        if (!KafkaError.is(err, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) throw err;
      });
      return (await admin.describeCluster()).brokers.length;
    } catch (err) {
      if (!isRetriable(err) || Date.now() >= deadlineMs || io.signal.aborted) throw err;
      if (!warned) {
        io.err(`WARNING: ${(err as Error).message}; retrying for up to max.block.ms=${maxBlockMs} ms\n`);
        warned = true;
      }
      await delay(Math.min(backoffMs, Math.max(0, deadlineMs - Date.now())), io.signal);
      if (io.signal.aborted) return 0;
      backoffMs = Math.min(backoffMs * 2, MAX_WARMUP_BACKOFF_MS);
    }
  }
}

interface SendTotals {
  requests: number;
  requestLatencyTotalMs: number;
  requestLatencyMaxMs: number;
  recordSizeMax: number;
}

/**
 * Kafka's ToolsUtils.printMetrics layout (group:name:{tags}, sorted, values to 3 decimals), for the
 * metrics the perf tools measure themselves. Shared with consumer-perf-test.
 */
export function formatMetrics(group: string, clientId: string, values: Record<string, number>): string {
  const rows = Object.entries(values)
    .map(([name, value]) => [`${group}:${name}:{client-id=${clientId}}`, value] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = [`\n${'Metric Name'.padEnd(width)}   Value`];
  for (const [name, value] of rows) lines.push(`${name.padEnd(width)} : ${value.toFixed(3)}`);
  return `${lines.join('\n')}\n`;
}

export async function producerPerfTestCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(expandProducerProps(args), PRODUCER_PERF_TEST_SPECS);
  if (flags.has('help')) {
    io.out(PRODUCER_PERF_TEST_HELP);
    return 0;
  }
  if (flags.positional.length > 0) throw new UsageError(`Unrecognized argument: ${flags.positional[0]}`);
  const topic = flags.get('topic');
  if (topic === undefined) throw new UsageError('Missing required argument --topic');
  const numRecordsFlag = flags.get('num-records');
  if (numRecordsFlag === undefined) throw new UsageError('Missing required argument --num-records');
  const numRecords = positiveInt(numRecordsFlag, 'Option --num-records');
  const throughputFlag = flags.get('throughput');
  if (throughputFlag === undefined) throw new UsageError('Missing required argument --throughput');
  const throughput = Number(throughputFlag);
  if (!Number.isFinite(throughput) || throughput === 0) {
    throw new UsageError(`Option --throughput: '${throughputFlag}' is not a positive number or -1`);
  }
  if (flags.all('producer-props').length === 0 && !flags.has('producer.config')) {
    throw new UsageError('Either --producer-props or --producer.config must be specified.');
  }
  const settings = toolSettings(await readProducerProps(flags), io);
  const { payloads, averageBytes } = await loadPayloads(flags, io);

  const client = new Sluice({
    bootstrap: settings.bootstrap,
    requestTimeoutMs: settings.producer.requestTimeoutMs ?? 10_000,
    ...(settings.metadataMaxAgeMs !== undefined ? { metadataMaxAgeMs: settings.metadataMaxAgeMs } : {}),
  });
  let failure: unknown;
  const totals: SendTotals = {
    requests: 0,
    requestLatencyTotalMs: 0,
    requestLatencyMaxMs: 0,
    recordSizeMax: 0,
  };
  try {
    const producer = client.producer(settings.producer);
    const brokers = await awaitCluster(client.admin(), topic, settings.maxBlockMs, io);
    if (io.signal.aborted) return 130;

    const chunkRecords = Math.max(
      1,
      Math.floor(
        (settings.batchSizeBytes - RECORD_BATCH_HEADER_BYTES) / (averageBytes + RECORD_OVERHEAD_BYTES),
      ),
    );
    const chunkBytes = chunkRecords * (averageBytes + RECORD_OVERHEAD_BYTES);
    const maxInFlight = Math.max(
      1,
      Math.min(
        settings.maxInFlightPerConnection * Math.max(1, brokers),
        Math.floor(settings.bufferMemoryBytes / chunkBytes),
      ),
    );
    const startMs = Date.now();
    const runStats = new ProducerStats(numRecords, startMs, io.out);
    const pacer = throughput > 0 ? new Pacer(startMs, throughput) : undefined;
    const inFlight = new Set<Promise<void>>();
    let next = 0;
    while (next < numRecords && failure === undefined && !io.signal.aborted) {
      if (inFlight.size >= maxInFlight) {
        await Promise.race(inFlight);
        continue;
      }
      let count = Math.min(chunkRecords, numRecords - next);
      if (pacer) {
        // linger.ms: a chunk waits for more records to come due, up to that long after its first one.
        const sendAtMs = Math.min(pacer.dueAtMs(next + count - 1), pacer.dueAtMs(next) + settings.lingerMs);
        const waitMs = sendAtMs - Date.now();
        if (waitMs > 0) {
          await delay(waitMs, io.signal);
          continue;
        }
        count = Math.max(1, Math.min(count, pacer.dueCount(Date.now()) - next));
      }
      const records: ProducerRecord[] = new Array(count);
      let bytes = 0;
      for (let i = 0; i < count; i++) {
        const value =
          payloads.length === 1
            ? (payloads[0] as Buffer)
            : (payloads[Math.floor(Math.random() * payloads.length)] as Buffer);
        bytes += value.length;
        if (value.length > totals.recordSizeMax) totals.recordSizeMax = value.length;
        records[i] = { topic, value };
      }
      const firstIndex = next;
      next += count;
      const sentAtMs = Date.now();
      const sending: Promise<void> = producer.send(records).then(
        () => {
          const nowMs = Date.now();
          const latencyMs = nowMs - sentAtMs;
          totals.requests++;
          totals.requestLatencyTotalMs += latencyMs;
          totals.requestLatencyMaxMs = Math.max(totals.requestLatencyMaxMs, latencyMs);
          runStats.recordAcked(firstIndex, count, bytes, latencyMs, nowMs);
        },
        (err: unknown) => {
          // A perf run with lost records measures nothing: stop sending, report the first failure.
          failure ??= err;
        },
      );
      inFlight.add(sending);
      void sending.finally(() => inFlight.delete(sending));
    }
    await Promise.all(inFlight);
    const endMs = Date.now();
    io.out(runStats.summary(endMs));
    if (flags.has('print-metrics')) {
      const elapsedSec = runStats.elapsedMs(endMs) / 1000;
      io.out(
        formatMetrics('producer-metrics', settings.clientId, {
          'record-send-total': runStats.count,
          'record-send-rate': runStats.count / elapsedSec,
          'record-error-total': next - runStats.count,
          'record-size-avg': runStats.count === 0 ? 0 : runStats.bytes / runStats.count,
          'record-size-max': totals.recordSizeMax,
          'records-per-request-avg': totals.requests === 0 ? 0 : runStats.count / totals.requests,
          'request-total': totals.requests,
          'request-rate': totals.requests / elapsedSec,
          'request-latency-avg': totals.requests === 0 ? 0 : totals.requestLatencyTotalMs / totals.requests,
          'request-latency-max': totals.requestLatencyMaxMs,
          'byte-rate': runStats.bytes / elapsedSec,
        }),
      );
    }
  } finally {
    await client.close();
  }
  if (failure !== undefined) throw failure;
  return io.signal.aborted ? 130 : 0;
}
