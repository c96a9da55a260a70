// Shared by the SDK benchmarks: a 3-broker cluster on this machine (the dev-cluster harness), the
// producer workload that sdk-producer.ts and kafka-reference-producer.ts time, the partition-consumer
// read that sdk-consumer.ts and kafka-reference-consumer.ts time, and the physical baseline every SDK
// figure is divided by: the same bytes through a loopback TCP socket between this process and a child
// process, in the same chunk size, with nothing else done to them.
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Sluice } from '@sluice/client';
import { DevCluster } from '@sluice/client/dev-cluster';
import { encodeRecordBatch, sluiceProto } from '@sluice/protocol';

/** Records per batch when filling a partition: ~1 MiB batches of 100-byte records on disk. */
const RECORDS_PER_FILL_BATCH = 8_000;

export async function benchCluster(
  brokers = 3,
  options: { kafkaListener?: boolean; brokerProperties?: Record<string, string> } = {},
): Promise<{ cluster: DevCluster; stop: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const cluster = await DevCluster.start({
    dataDir,
    zookeeperPort: 0,
    basePort: 0,
    brokers,
    kafkaListener: options.kafkaListener ?? false,
    ...(options.brokerProperties ? { brokerProperties: options.brokerProperties } : {}),
  });
  return {
    cluster,
    async stop() {
      await cluster.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** One producer's workload: null keys, values of recordBytes, acks=1, a topic of replication factor 1. */
export interface ProducerWorkload {
  records: number;
  recordBytes: number;
  partitions: number;
  lingerMs: number;
  batchBytes: number;
}

/** A producer's or a consumer's pace. */
export interface Throughput {
  recordsPerSecond: number;
  /** Bytes of values per second (keys are null, so these are the records' payload). */
  bytesPerSecond: number;
}

/**
 * Creates `topic` and times the SDK producer over gRPC through `workload`: from the first produce call
 * until flush() has every acknowledgement. One record sent before the clock starts fetches metadata and
 * opens the connections, so the figure is the steady pipeline, not the first round trip.
 */
export async function sdkProducerThroughput(
  bootstrap: string[],
  topic: string,
  workload: ProducerWorkload,
): Promise<Throughput> {
  const sluice = new Sluice({ bootstrap });
  try {
    await sluice.admin().createTopic({ topic, numPartitions: workload.partitions, replicationFactor: 1 });
    const producer = sluice.producer({
      acks: 1,
      lingerMs: workload.lingerMs,
      batchSizeBytes: workload.batchBytes,
    });
    const value = Buffer.alloc(workload.recordBytes, 'x');
    await producer.send({ topic, value });
    let errors = 0;
    const onReport = (err: Error | null) => {
      if (err) errors++;
    };
    const start = performance.now();
    for (let i = 0; i < workload.records; i++) await producer.produce({ topic, value }, onReport);
    await producer.flush();
    const seconds = (performance.now() - start) / 1000;
    if (errors > 0) throw new Error(`${errors} records failed`);
    await producer.close();
    return {
      recordsPerSecond: workload.records / seconds,
      bytesPerSecond: (workload.records * workload.recordBytes) / seconds,
    };
  } finally {
    await sluice.close();
  }
}

/** What fillPartition wrote: the records and the bytes of batches on disk. */
export interface FilledPartition {
  records: number;
  logBytes: number;
}

/**
 * Creates `topic` with one partition and fills it with at least `totalBytes` of `recordBytes`-byte
 * values: one pre-encoded batch of RECORDS_PER_FILL_BATCH records appended over and over by plain gRPC
 * Produce calls to the leader, 4 in flight (the broker assigns offsets; these bytes are what consumers
 * read). Not part of any figure.
 */
export async function fillPartition(
  cluster: DevCluster,
  topic: string,
  totalBytes: number,
  recordBytes: number,
): Promise<FilledPartition> {
  const sluice = new Sluice({ bootstrap: cluster.bootstrap });
  try {
    await sluice.admin().createTopic({ topic, numPartitions: 1, replicationFactor: 1 });
    const value = Buffer.alloc(recordBytes, 'x');
    const batch = encodeRecordBatch(
      Array.from({ length: RECORDS_PER_FILL_BATCH }, () => ({ key: null, value })),
    );
    const batches = Math.ceil(totalBytes / batch.length);
    const [described] = await sluice.admin().describeTopics([topic]);
    const leader = cluster.broker(described?.partitions[0]?.leader ?? 1).grpcAddress;
    const Service = sluiceProto().sluice.v1.Sluice;
    const raw = new Service(leader, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    });
    const produceOnce = () =>
      new Promise<void>((resolve, reject) => {
        raw.Produce(
          {
            acks: 1,
            timeout_ms: 30_000,
            topics: [{ name: topic, partitions: [{ index: 0, records: batch }] }],
          },
          (err, response) => {
            const code = response?.responses[0]?.partitions[0]?.error_code ?? -1;
            if (err || code !== 0) reject(err ?? new Error(`produce error ${code}`));
            else resolve();
          },
        );
      });
    try {
      for (let b = 0; b < batches; b += 4) {
        await Promise.all(Array.from({ length: Math.min(4, batches - b) }, produceOnce));
      }
    } finally {
      raw.close();
    }
    return { records: batches * RECORDS_PER_FILL_BATCH, logBytes: batches * batch.length };
  } finally {
    await sluice.close();
  }
}

export interface ConsumerRead extends Throughput {
  /** Bytes of values read. */
  valueBytes: number;
  seconds: number;
}

/**
 * Times one SDK partition consumer over gRPC reading the `records` of partition 0 of `topic` once, from
 * offset 0, in fetches of up to maxPartitionFetchBytes: from the first fetch (metadata and connection
 * included) until the last record is in hand.
 */
export async function sdkConsumerThroughput(
  bootstrap: string[],
  topic: string,
  records: number,
  maxPartitionFetchBytes: number,
): Promise<ConsumerRead> {
  const sluice = new Sluice({ bootstrap });
  try {
    const consumer = sluice.consumer({ topic, partition: 0, from: 'oldest', maxPartitionFetchBytes });
    let read = 0;
    let valueBytes = 0;
    let seconds: number;
    const start = performance.now();
    try {
      for await (const fetched of consumer.batches()) {
        read += fetched.length;
        for (const record of fetched) valueBytes += record.value?.length ?? 0;
        if (read >= records) break;
      }
      seconds = (performance.now() - start) / 1000;
    } finally {
      consumer.close();
    }
    if (read !== records) throw new Error(`${topic}: the consumer read ${read} records, not ${records}`);
    return {
      recordsPerSecond: read / seconds,
      bytesPerSecond: valueBytes / seconds,
      valueBytes,
      seconds,
    };
  } finally {
    await sluice.close();
  }
}

/**
 * Bytes per second of `totalBytes` written in `chunkBytes` writes through a loopback socket to a child
 * process that counts them and answers when it has them all: the most any networked path on this
 * machine can carry, before any protocol, encoding or disk.
 */
export async function loopbackBytesPerSecond(totalBytes: number, chunkBytes: number): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const child = fork(join(import.meta.dirname, 'loopback-sink.ts'), [String(port), String(totalBytes)], {
    stdio: 'inherit',
  });
  const socket = await new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const chunk = Buffer.alloc(chunkBytes, 7);
  const done = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  const start = performance.now();
  let sent = 0;
  while (sent < totalBytes) {
    const n = Math.min(chunkBytes, totalBytes - sent);
    if (!socket.write(n === chunkBytes ? chunk : chunk.subarray(0, n))) {
      await new Promise((resolve) => socket.once('drain', resolve));
    }
    sent += n;
  }
  await done;
  const seconds = (performance.now() - start) / 1000;
  socket.destroy();
  server.close();
  child.kill();
  return totalBytes / seconds;
}

export function mb(bytesPerSecond: number): string {
  return (bytesPerSecond / 1_000_000).toFixed(1);
}
