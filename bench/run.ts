// `npm run bench`: every benchmark in turn, each printing its figure and its ratio to a physical baseline
// measured in the same run. Sizes are the benchmarks' defaults (1 GiB logs); set SLUICE_BENCH_QUICK=1
// for a short pass with small sizes. Benchmarks report numbers; they assert nothing.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = [
  'log-append.ts',
  'log-read.ts',
  'log-lookup.ts',
  'log-recovery.ts',
  'sdk-producer.ts',
  'sdk-consumer.ts',
  'sdk-consumer-group.ts',
  'replication.ts',
  'kafka-listener.ts',
  'kafka-reference-producer.ts',
  'kafka-reference-consumer.ts',
];

const QUICK_SIZES: Record<string, string> = {
  SLUICE_BENCH_APPEND_BYTES: '64m',
  SLUICE_BENCH_READ_BYTES: '64m',
  SLUICE_BENCH_RECOVERY_BYTES: '64m',
  SLUICE_BENCH_SEGMENTS: '100',
  SLUICE_BENCH_LOOKUPS: '2000',
  SLUICE_BENCH_PRODUCE_RECORDS: '200000',
  SLUICE_BENCH_CONSUME_BYTES: '64m',
  SLUICE_BENCH_GROUP_BYTES: '32m',
  SLUICE_BENCH_REPLICATION_BYTES: '8m',
  SLUICE_BENCH_LATENCY_SECONDS: '5',
  SLUICE_BENCH_KAFKA_BYTES: '32m',
  SLUICE_BENCH_REFERENCE_RECORDS: '200000',
  SLUICE_BENCH_REFERENCE_CONSUME_BYTES: '32m',
};

const only = process.argv.slice(2);
const env = { ...process.env, ...(process.env.SLUICE_BENCH_QUICK === '1' ? QUICK_SIZES : {}) };
let failed = 0;
for (const file of BENCHMARKS) {
  if (only.length > 0 && !only.some((name) => file.startsWith(name))) continue;
  process.stdout.write(`\n## ${file}\n`);
  const result = spawnSync(process.execPath, [fileURLToPath(new URL(file, import.meta.url))], {
    stdio: 'inherit',
    env,
  });
  if (result.status !== 0) {
    failed++;
    process.stderr.write(`${file} exited with ${result.status ?? result.signal}\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
