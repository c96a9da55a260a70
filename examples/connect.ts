// Where the examples find the cluster: SLUICE_BOOTSTRAP (comma-separated broker gRPC addresses) or
// SLUICE_ZOOKEEPER (a ZooKeeper connect string), the way the Kafka tutorials pass brokers or ZooKeeper.
import { Sluice } from '@sluice/client';

export function connect(): Sluice {
  const zookeeper = process.env.SLUICE_ZOOKEEPER;
  if (zookeeper) return new Sluice({ zookeeper });
  const bootstrap = (process.env.SLUICE_BOOTSTRAP ?? '127.0.0.1:9092').split(',').filter(Boolean);
  return new Sluice({ bootstrap });
}

/** The n-th command-line argument, or a default. */
export function arg(n: number, fallback: string): string {
  return process.argv[2 + n] ?? fallback;
}
