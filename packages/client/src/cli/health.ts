// `sluice broker-health`: is this broker up? For container health checks, systemd and load balancers.
// Healthy = the broker answers a Metadata call on its GRPC listener AND lists itself among the live
// brokers, i.e. it is registered in ZooKeeper and its metadata view has caught up. One line on stdout,
// exit 0 when healthy, 1 when not (2 for a usage error), within --timeout-ms.
//
// The address and id come either from flags (--bootstrap-server, --broker-id) or from the broker's own
// configuration (--config server.properties [--override k=v]...), read with the broker's loader: the
// first GRPC listener, with a wildcard host probed on 127.0.0.1, and broker.id, or the id kept in
// meta.properties when broker.id is generated.
//
// Runs as `sluice broker-health ...`, and also directly as `node .../cli/health.ts ...` (the Docker
// image's HEALTHCHECK does that, so it needs nothing but this file's imports).
import { ConnectionPool } from '../connection-pool.ts';
import { type FlagSpec, formatHelp, intFlag, parseFlags, UsageError } from './args.ts';
import type { CommandIO } from './io.ts';

export const SPECS: FlagSpec[] = [
  {
    name: 'bootstrap-server',
    value: '<String: host:port>',
    description: "The broker's GRPC listener to probe.",
  },
  {
    name: 'broker-id',
    value: '<Integer: id>',
    description: 'Also require this broker id among the live brokers in the answer.',
  },
  {
    name: 'config',
    value: '<String: server.properties>',
    description: "Take the address and id from the broker's own configuration instead.",
  },
  {
    name: 'override',
    value: '<String: key=value>',
    description: 'With --config: a property override, as given to server-start.',
    repeatable: true,
  },
  {
    name: 'timeout-ms',
    value: '<Integer: ms>',
    description: 'Give up (unhealthy) after this long.',
    default: '5000',
  },
  { name: 'help', description: 'Print usage information.' },
  { name: 'verbose', description: 'Print stack traces on errors.' },
];

export const BROKER_HEALTH_HELP = formatHelp(
  'Checks that a broker answers and is registered: exit 0 when healthy, 1 when not.',
  SPECS,
);

interface Target {
  address: string;
  brokerId: number | null;
}

const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]']);

/** The probe target from a server.properties file and its overrides, read as the broker reads them. */
async function targetFromConfig(file: string, overrides: readonly string[]): Promise<Target> {
  const { readFile } = await import('node:fs/promises');
  const broker = await import('@sluice/broker');
  const props = broker.parseProperties(await readFile(file, 'utf8'));
  for (const [key, value] of broker.parseOverrides(overrides)) props.set(key, value);
  const config = broker.loadBrokerConfig(props, { warn: () => undefined });
  const listener = config.listeners.find((l) => l.protocol === 'GRPC');
  if (!listener) throw new UsageError(`${file} has no GRPC listener to probe`);
  if (listener.port === 0)
    throw new UsageError(`the GRPC listener in ${file} has port 0: probe it by address`);
  const host = WILDCARD_HOSTS.has(listener.host) ? '127.0.0.1' : listener.host;
  let brokerId: number | null = config.brokerId >= 0 ? config.brokerId : null;
  if (brokerId === null) {
    for (const dir of config.logDirs) {
      const meta = await broker.readMetaProperties(dir).catch(() => null);
      if (meta) {
        brokerId = meta.brokerId;
        break;
      }
    }
    // No id yet: the broker has not got as far as generating one, so it cannot be healthy.
    if (brokerId === null) brokerId = -1;
  }
  return {
    address: host.includes(':') ? `[${host}]:${listener.port}` : `${host}:${listener.port}`,
    brokerId,
  };
}

export async function brokerHealthCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(args, SPECS);
  if (flags.has('help')) {
    io.out(BROKER_HEALTH_HELP);
    return 0;
  }
  const timeoutMs = intFlag(flags, 'timeout-ms') ?? 5000;
  const file = flags.get('config');
  const bootstrap = flags.get('bootstrap-server');
  if ((file === undefined) === (bootstrap === undefined)) {
    throw new UsageError('Exactly one of --bootstrap-server or --config must be specified');
  }
  const target: Target =
    file !== undefined
      ? await targetFromConfig(file, flags.all('override'))
      : { address: bootstrap as string, brokerId: intFlag(flags, 'broker-id') ?? null };
  if (target.brokerId === -1) {
    io.out(`unhealthy: no broker id yet (broker.id unset and no meta.properties in log.dirs)\n`);
    return 1;
  }
  const pool = new ConnectionPool();
  try {
    const answer = await pool.call(
      target.address,
      'Metadata',
      { topics: [], all_topics: false, allow_auto_topic_creation: false },
      timeoutMs,
    );
    const live = answer.brokers.map((b) => b.node_id).sort((a, b) => a - b);
    const who = target.brokerId === null ? 'broker' : `broker ${target.brokerId}`;
    if (target.brokerId !== null && !live.includes(target.brokerId)) {
      io.out(
        `unhealthy: ${who} at ${target.address} answers but is not among the live brokers [${live.join(',')}]\n`,
      );
      return 1;
    }
    io.out(
      `healthy: ${who} at ${target.address}, cluster ${answer.cluster_id}, live brokers [${live.join(',')}], controller ${answer.controller_id}\n`,
    );
    return 0;
  } catch (err) {
    io.out(`unhealthy: ${target.address}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    pool.close();
  }
}

// Run directly (`node health.ts ...`): the same command, without the CLI's dispatcher.
if (import.meta.main) {
  const io: CommandIO = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    signal: new AbortController().signal,
  };
  let code: number;
  try {
    code = await brokerHealthCommand(process.argv.slice(2), io);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.err(`${message}\n`);
    code = err instanceof UsageError ? 2 : 1;
  }
  process.exit(code);
}
