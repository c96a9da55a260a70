// Kafka listener against the gRPC path: the same broker, the same topic layout (6 partitions, RF 1,
// acks=1), the same pre-encoded RecordBatch v2 bytes (100-byte records in ~16 KiB batches), the same
// number of requests in flight (8, one batch per partition per request), in the same run. Produce then
// Fetch (everything back from offset 0, 1 MiB per partition and 8 MiB per request) over each path.
// Printed: MB/s of batches and records/s per path, the ratio Kafka/gRPC (the goal: within 10%), and
// each path's ratio to the loopback-socket baseline (sdk-common.ts) for the same bytes in the same
// request size. The Kafka side is a minimal client built on the broker's own codec (Produce v8,
// Fetch v11, pipelined on one connection), so it measures the listener, not a client library.
// Size: SLUICE_BENCH_KAFKA_BYTES (default 256 MiB per path); SLUICE_BENCH_KAFKA_RECORD_BYTES (default
// 100); SLUICE_BENCH_KAFKA_IN_FLIGHT (default 8); SLUICE_BENCH_KAFKA_ROUNDS (default 2, each path
// measured once per round, the order alternating).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Sluice } from '@sluice/client';
import { DevCluster } from '@sluice/client/dev-cluster';
import { sluiceProto } from '@sluice/protocol';
import { FETCH, PRODUCE } from '../packages/broker/src/api/kafka/protocol/messages/index.ts';
import { KafkaBenchClient } from './kafka-bench-client.ts';
import { envSize, MiB, makeBatches } from './log-common.ts';
import { loopbackBytesPerSecond, mb } from './sdk-common.ts';

const TOTAL_BYTES = envSize('SLUICE_BENCH_KAFKA_BYTES', 256 * MiB);
const RECORD_BYTES = envSize('SLUICE_BENCH_KAFKA_RECORD_BYTES', 100);
const IN_FLIGHT = envSize('SLUICE_BENCH_KAFKA_IN_FLIGHT', 8);
const ROUNDS = envSize('SLUICE_BENCH_KAFKA_ROUNDS', 2);
const PARTITIONS = 6;
const BATCH_BYTES = 16_384;
const PARTITION_FETCH_BYTES = MiB;
const FETCH_BYTES = 8 * MiB;
const PRODUCE_VERSION = 8;
const FETCH_VERSION = 11;
const TIMEOUT_MS = 30_000;

/** One batch per partition, reused by every request on both paths: as many records as fit 16 KiB. */
const batches = fittingBatches();
const batchBytes = batches[0]!.length;
const recordsPerBatch = batches[0]!.readInt32BE(57);
const requestBytes = batchBytes * PARTITIONS;
const requests = Math.max(1, Math.ceil(TOTAL_BYTES / requestBytes));
/** Batches each fetch request asks per partition: the 1 MiB partition limit holds this many whole. */
const batchesPerFetch = Math.max(1, Math.floor(PARTITION_FETCH_BYTES / batchBytes));

function fittingBatches(): Buffer[] {
  for (let target = BATCH_BYTES; ; target -= RECORD_BYTES) {
    const built = makeBatches(PARTITIONS, RECORD_BYTES, target);
    if (built.every((b) => b.length <= BATCH_BYTES) || target <= RECORD_BYTES) return built;
  }
}

interface Path {
  readonly name: string;
  produce(topic: string): Promise<void>;
  /** Batches of `topic` whose base offset is in [fromOffset, toOffset), per partition asked. */
  fetch(topic: string, fromOffset: number, toOffset: number, partitions: number[]): Promise<FetchedBytes>;
}

interface FetchedBytes {
  wireBytes: number;
  batches: number;
  batchBytes: number;
}

/** Counts the whole batches in a fetched record set below `toOffset` (a trailing partial one is not). */
function countBatches(records: Buffer | null, toOffset: number, into: FetchedBytes): void {
  if (records === null) return;
  into.wireBytes += records.length;
  let pos = 0;
  while (pos + 12 <= records.length) {
    const baseOffset = Number(records.readBigInt64BE(pos));
    const length = 12 + records.readInt32BE(pos + 8);
    if (pos + length > records.length || baseOffset >= toOffset) break;
    into.batches++;
    into.batchBytes += length;
    pos += length;
  }
}

async function runPool(count: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

function grpcPath(address: string): Path & { close(): void } {
  const Service = sluiceProto().sluice.v1.Sluice;
  const client = new Service(address, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': 64 * MiB,
    'grpc.max_receive_message_length': 64 * MiB,
  });
  return {
    name: 'grpc',
    produce: (topic) =>
      new Promise<void>((resolve, reject) => {
        client.Produce(
          {
            acks: 1,
            timeout_ms: TIMEOUT_MS,
            topics: [{ name: topic, partitions: batches.map((records, index) => ({ index, records })) }],
          },
          (err, response) => {
            const failed = response?.responses[0]?.partitions.find((p) => p.error_code !== 0);
            if (err || failed || !response) reject(err ?? new Error(`produce error ${failed?.error_code}`));
            else resolve();
          },
        );
      }),
    fetch: (topic, fromOffset, toOffset, partitions) =>
      new Promise<FetchedBytes>((resolve, reject) => {
        client.Fetch(
          {
            replica_id: -1,
            max_wait_ms: 500,
            min_bytes: 1,
            max_bytes: FETCH_BYTES,
            topics: [
              {
                topic,
                partitions: partitions.map((partition) => ({
                  partition,
                  current_leader_epoch: -1,
                  fetch_offset: fromOffset,
                  partition_max_bytes: PARTITION_FETCH_BYTES,
                })),
              },
            ],
          },
          (err, response) => {
            if (err || !response) return reject(err ?? new Error('no fetch response'));
            const fetched: FetchedBytes = { wireBytes: 0, batches: 0, batchBytes: 0 };
            for (const t of response.responses) {
              for (const p of t.partitions) {
                if (p.error_code !== 0) return reject(new Error(`fetch error ${p.error_code}`));
                countBatches(p.records, toOffset, fetched);
              }
            }
            resolve(fetched);
          },
        );
      }),
    close: () => client.close(),
  };
}

function kafkaPath(client: KafkaBenchClient): Path {
  return {
    name: 'kafka',
    async produce(topic) {
      const response = await client.request(PRODUCE, PRODUCE_VERSION, {
        transactionalId: null,
        acks: 1,
        timeoutMs: TIMEOUT_MS,
        topicData: [{ name: topic, partitionData: batches.map((records, index) => ({ index, records })) }],
      });
      for (const t of response.responses) {
        for (const p of t.partitionResponses) {
          if (p.errorCode !== 0) throw new Error(`produce error ${p.errorCode}`);
        }
      }
    },
    async fetch(topic, fromOffset, toOffset, partitions) {
      const response = await client.request(FETCH, FETCH_VERSION, {
        replicaId: -1,
        maxWaitMs: 500,
        minBytes: 1,
        maxBytes: FETCH_BYTES,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic,
            partitions: partitions.map((partition) => ({
              partition,
              currentLeaderEpoch: -1,
              fetchOffset: fromOffset,
              logStartOffset: -1,
              partitionMaxBytes: PARTITION_FETCH_BYTES,
            })),
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      });
      const fetched: FetchedBytes = { wireBytes: 0, batches: 0, batchBytes: 0 };
      for (const t of response.responses) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode}`);
          countBatches(p.records, toOffset, fetched);
        }
      }
      return fetched;
    },
  };
}

/**
 * Retries one produce until every leader of the new topic answers (also warms both sides up). Returns
 * the attempts: a failed one may still have appended its batch to some partitions.
 */
async function warmUp(path: Path, topic: string): Promise<number> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (let attempts = 1; ; attempts++) {
    try {
      await path.produce(topic);
      return attempts;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

interface Figures {
  produceSeconds: number;
  fetchSeconds: number;
  fetchedBatches: number;
  fetchedBytes: number;
}

async function measure(path: Path, topic: string): Promise<Figures> {
  const warmUpBatches = await warmUp(path, topic);
  let start = performance.now();
  await runPool(requests, () => path.produce(topic));
  const produceSeconds = (performance.now() - start) / 1000;
  // Every partition holds 1..warmUpBatches warm-up batches plus `requests` batches, each of
  // `recordsPerBatch` records, so fetch k reads the batches from offset k * batchesPerFetch *
  // recordsPerBatch: IN_FLIGHT fetches in flight, none reading what another does.
  const fetches = Math.ceil((requests + warmUpBatches) / batchesPerFetch);
  const all = Array.from({ length: PARTITIONS }, (_, p) => p);
  const total: FetchedBytes = { wireBytes: 0, batches: 0, batchBytes: 0 };
  start = performance.now();
  await runPool(fetches, async (k) => {
    const from = k * batchesPerFetch * recordsPerBatch;
    const fetched = await path.fetch(topic, from, from + batchesPerFetch * recordsPerBatch, all);
    total.wireBytes += fetched.wireBytes;
    total.batches += fetched.batches;
    total.batchBytes += fetched.batchBytes;
  });
  const fetchSeconds = (performance.now() - start) / 1000;
  const least = (requests + 1) * PARTITIONS;
  if (total.batches < least || total.batches > (requests + warmUpBatches) * PARTITIONS) {
    throw new Error(`${path.name} fetched ${total.batches} batches, produced at least ${least}`);
  }
  return { produceSeconds, fetchSeconds, fetchedBatches: total.batches, fetchedBytes: total.batchBytes };
}

interface Run {
  name: string;
  batches: number;
  seconds: number;
}

/** One line per path (MB/s of batches, records/s, ratio to the loopback socket), then Kafka/gRPC. */
function report(operation: string, baseline: number, runs: [Run, Run]): void {
  const rates = runs.map((run) => (run.batches * batchBytes) / run.seconds);
  runs.forEach((run, i) => {
    const bytes = run.batches * batchBytes;
    console.log(
      `${operation} ${run.name}: ${mb(bytes)} MB of batches: ${mb(rates[i]!)} MB/s, ` +
        `${Math.round((run.batches * recordsPerBatch) / run.seconds)} records/s; ` +
        `loopback socket ${mb(baseline)} MB/s; ratio ${(rates[i]! / baseline).toFixed(3)}`,
    );
  });
  console.log(`${operation}: ratio kafka/grpc ${(rates[1]! / rates[0]!).toFixed(3)}`);
}

const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
const cluster = await DevCluster.start({
  dataDir,
  zookeeperPort: 0,
  basePort: 0,
  brokers: 1,
  kafkaListener: true,
});
const sluice = new Sluice({ bootstrap: cluster.bootstrap });
const broker = cluster.broker(1);
const kafkaAddress = broker.kafkaAddress;
if (kafkaAddress === undefined) throw new Error('the broker has no Kafka listener');
const grpcClient = grpcPath(broker.grpcAddress);
const kafkaClient = await KafkaBenchClient.connect(kafkaAddress);
try {
  // Rounds alternate which path goes first, so neither alone pays for a cold broker; figures are summed.
  const zero = (): Figures => ({ produceSeconds: 0, fetchSeconds: 0, fetchedBatches: 0, fetchedBytes: 0 });
  const grpcFigures = zero();
  const kafkaFigures = zero();
  const kafka = kafkaPath(kafkaClient);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [grpcClient, kafka] : [kafka, grpcClient];
    for (const path of order) {
      const topic = `bench-${path.name}-${round}`;
      await sluice.admin().createTopic({ topic, numPartitions: PARTITIONS, replicationFactor: 1 });
      const figures = await measure(path, topic);
      const into = path === kafka ? kafkaFigures : grpcFigures;
      into.produceSeconds += figures.produceSeconds;
      into.fetchSeconds += figures.fetchSeconds;
      into.fetchedBatches += figures.fetchedBatches;
      into.fetchedBytes += figures.fetchedBytes;
    }
  }
  const produced = ROUNDS * requests * PARTITIONS;
  const produceBaseline = await loopbackBytesPerSecond(produced * batchBytes, requestBytes);
  const fetchBaseline = await loopbackBytesPerSecond(
    grpcFigures.fetchedBytes,
    batchesPerFetch * requestBytes,
  );
  console.log(
    `${RECORD_BYTES} B records, ${recordsPerBatch} per ${batchBytes} B batch, ${PARTITIONS} partitions, ` +
      `acks=1, ${IN_FLIGHT} requests in flight, 1 broker, ${ROUNDS} rounds per path`,
  );
  report('produce', produceBaseline, [
    { name: 'grpc', batches: produced, seconds: grpcFigures.produceSeconds },
    { name: 'kafka', batches: produced, seconds: kafkaFigures.produceSeconds },
  ]);
  report('fetch', fetchBaseline, [
    { name: 'grpc', batches: grpcFigures.fetchedBatches, seconds: grpcFigures.fetchSeconds },
    { name: 'kafka', batches: kafkaFigures.fetchedBatches, seconds: kafkaFigures.fetchSeconds },
  ]);
} finally {
  kafkaClient.close();
  grpcClient.close();
  await sluice.close();
  await cluster.stop();
  await rm(dataDir, { recursive: true, force: true });
}
