// Replication cost: produce throughput on 3 brokers, 6 partitions, for 100 B and 1 KiB records, with
// RF=1 acks=1 against RF=3 acks=all (min.insync.replicas=2) in the same run; the ratio is the share of
// the unreplicated throughput that replication keeps (every byte is written three times and crosses
// two more sockets, all on this one machine). Then end-to-end latency (send to a consumer's receipt) of
// RF=3 acks=all at a fixed moderate rate: p50, p99, p99.9.
// Sizes: SLUICE_BENCH_REPLICATION_BYTES (default 64m of values per case), SLUICE_BENCH_LATENCY_RATE
// (records/s, default 1000), SLUICE_BENCH_LATENCY_SECONDS (default 10).
import { Sluice } from '@sluice/client';
import { envSize } from './log-common.ts';
import { benchCluster, mb } from './sdk-common.ts';

const TOTAL_BYTES = envSize('SLUICE_BENCH_REPLICATION_BYTES', 64 * 1024 * 1024);
const LATENCY_RATE = envSize('SLUICE_BENCH_LATENCY_RATE', 1000);
const LATENCY_SECONDS = envSize('SLUICE_BENCH_LATENCY_SECONDS', 10);
const PARTITIONS = 6;

const { cluster, stop } = await benchCluster(3);
const sluice = new Sluice({ bootstrap: cluster.bootstrap });

async function throughput(topic: string, replicationFactor: number, acks: 1 | 'all', recordBytes: number) {
  await sluice.admin().createTopic({
    topic,
    numPartitions: PARTITIONS,
    replicationFactor,
    configs: { 'min.insync.replicas': replicationFactor === 3 ? '2' : '1' },
  });
  const producer = sluice.producer({ acks, lingerMs: 5, batchSizeBytes: 16_384 });
  const value = Buffer.alloc(recordBytes, 'x');
  await producer.send({ topic, value });
  const records = Math.max(1, Math.floor(TOTAL_BYTES / recordBytes));
  let errors = 0;
  const onReport = (err: Error | null) => {
    if (err) errors++;
  };
  const start = performance.now();
  for (let i = 0; i < records; i++) await producer.produce({ topic, value }, onReport);
  await producer.flush();
  const seconds = (performance.now() - start) / 1000;
  await producer.close();
  if (errors > 0) throw new Error(`${errors} records failed`);
  return { records, recordsPerSecond: records / seconds, bytesPerSecond: (records * recordBytes) / seconds };
}

async function latency(): Promise<number[]> {
  const topic = 'latency';
  await sluice.admin().createTopic({
    topic,
    numPartitions: PARTITIONS,
    replicationFactor: 3,
    configs: { 'min.insync.replicas': '2' },
  });
  const producer = sluice.producer({ acks: 'all', lingerMs: 0 });
  await producer.send({ topic, value: 'warm-up', partition: 0 });
  const samples: number[] = [];
  const total = LATENCY_RATE * LATENCY_SECONDS;
  const consumers = Array.from({ length: PARTITIONS }, (_, partition) =>
    sluice.consumer({ topic, partition, from: 'newest', maxWaitMs: 100 }),
  );
  const reading = consumers.map(async (consumer) => {
    for await (const record of consumer) {
      const sent = Number(record.value?.toString());
      if (Number.isFinite(sent)) samples.push(performance.timeOrigin + performance.now() - sent);
      if (samples.length >= total) break;
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 500)); // consumers positioned
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / LATENCY_RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    void producer.produce({ topic, value: String(performance.timeOrigin + performance.now()) }, () => {});
  }
  await producer.flush();
  const deadline = setTimeout(() => {
    for (const consumer of consumers) consumer.close();
  }, 30_000);
  await Promise.race([Promise.all(reading), new Promise((resolve) => setTimeout(resolve, 30_000))]);
  clearTimeout(deadline);
  for (const consumer of consumers) consumer.close();
  await producer.close();
  return samples.sort((a, b) => a - b);
}

function percentile(sorted: number[], p: number): string {
  if (sorted.length === 0) return 'n/a';
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!.toFixed(1);
}

try {
  for (const recordBytes of [100, 1024]) {
    const plain = await throughput(`plain-${recordBytes}`, 1, 1, recordBytes);
    const replicated = await throughput(`replicated-${recordBytes}`, 3, 'all', recordBytes);
    console.log(
      `produce ${recordBytes} B x ${plain.records}, 3 brokers, ${PARTITIONS} partitions: ` +
        `RF=1 acks=1 ${Math.round(plain.recordsPerSecond)} records/s (${mb(plain.bytesPerSecond)} MB/s); ` +
        `RF=3 acks=all ${Math.round(replicated.recordsPerSecond)} records/s (${mb(replicated.bytesPerSecond)} MB/s); ` +
        `ratio ${(replicated.bytesPerSecond / plain.bytesPerSecond).toFixed(3)}`,
    );
  }
  const samples = await latency();
  console.log(
    `end-to-end latency, RF=3 acks=all, ${LATENCY_RATE} records/s for ${LATENCY_SECONDS} s (${samples.length} samples): ` +
      `p50 ${percentile(samples, 50)} ms, p99 ${percentile(samples, 99)} ms, p99.9 ${percentile(samples, 99.9)} ms`,
  );
} finally {
  await sluice.close();
  await stop();
}
