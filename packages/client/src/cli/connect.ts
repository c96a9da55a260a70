// How a tool reaches the cluster: --bootstrap-server (or --broker-list) host:port[,host:port], or
// --zookeeper host:port, as Kafka's tools take them.
import { Sluice } from '../client.ts';
import { type ParsedFlags, UsageError } from './args.ts';

export function connectFromFlags(flags: ParsedFlags, options: { allowZookeeper: boolean }): Sluice {
  const bootstrap = flags.get('bootstrap-server') ?? flags.get('broker-list');
  const zookeeper = options.allowZookeeper ? flags.get('zookeeper') : undefined;
  if (bootstrap !== undefined && zookeeper !== undefined) {
    throw new UsageError('Only one of --bootstrap-server or --zookeeper must be specified');
  }
  if (bootstrap !== undefined) {
    return new Sluice({
      bootstrap: bootstrap
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
      requestTimeoutMs: 10_000,
    });
  }
  if (zookeeper !== undefined) return new Sluice({ zookeeper, requestTimeoutMs: 10_000 });
  throw new UsageError(
    options.allowZookeeper
      ? 'One of --bootstrap-server or --zookeeper must be specified'
      : 'Missing required argument --bootstrap-server',
  );
}
