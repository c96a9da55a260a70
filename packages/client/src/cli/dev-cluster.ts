// `sluice dev-cluster`: a real ZooKeeper and N brokers on 127.0.0.1 until Ctrl-C or SIGTERM. Progress
// goes to stderr; when every broker is registered, one JSON line with the addresses goes to stdout
// (and to --ready-file).
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DevCluster } from '../dev-cluster/cluster.ts';
import { type FlagSpec, formatHelp, intFlag, parseFlags, UsageError } from './args.ts';
import type { CommandIO } from './io.ts';

export const SPECS: FlagSpec[] = [
  { name: 'brokers', value: '<Integer: count>', description: 'How many brokers to start.', default: '3' },
  {
    name: 'data-dir',
    value: '<String: dir>',
    description: 'Where ZooKeeper and the brokers keep their data (emptied first).',
    default: '.sluice-data',
  },
  {
    name: 'zookeeper-port',
    value: '<Integer: port>',
    description: 'ZooKeeper client port; 0 for any free port.',
    default: '2181',
  },
  {
    name: 'base-port',
    value: '<Integer: port>',
    description: 'Broker i listens on base-port + i - 1; 0 for any free ports.',
    default: '9092',
  },
  { name: 'ready-file', value: '<String: file>', description: 'Also write the ready line to this file.' },
  { name: 'keep-data', description: 'Keep the data of an earlier run instead of starting empty.' },
  { name: 'help', description: 'Print usage information.' },
  { name: 'verbose', description: 'Print stack traces on errors.' },
];

export const DEV_CLUSTER_HELP = formatHelp(
  'Runs a local cluster: ZooKeeper and N brokers on 127.0.0.1.',
  SPECS,
);

export async function devClusterCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const flags = parseFlags(args, SPECS);
  if (flags.has('help')) {
    io.out(DEV_CLUSTER_HELP);
    return 0;
  }
  const brokers = intFlag(flags, 'brokers') ?? 3;
  if (brokers < 1 || brokers > 32) throw new UsageError('Option --brokers must be between 1 and 32');
  const cluster = await DevCluster.start({
    brokers,
    dataDir: resolve(flags.get('data-dir') ?? '.sluice-data'),
    zookeeperPort: intFlag(flags, 'zookeeper-port') ?? 2181,
    basePort: intFlag(flags, 'base-port') ?? 9092,
    clean: !flags.has('keep-data'),
    kafkaListener: true,
    onProgress: (message) => io.err(`${message}...\n`),
  });
  try {
    const line = JSON.stringify(cluster.readyInfo());
    io.out(`${line}\n`);
    const readyFile = flags.get('ready-file');
    if (readyFile !== undefined) await writeFile(readyFile, `${line}\n`);
    io.err('cluster ready; Ctrl-C to stop\n');
    await new Promise<void>((done) => {
      if (io.signal.aborted) done();
      io.signal.addEventListener('abort', () => done(), { once: true });
      // A broker that dies on its own is reported, not hidden.
      for (const broker of cluster.brokers) {
        void broker.exited.then((code) => {
          if (!io.signal.aborted)
            io.err(`broker ${broker.id} exited (code ${code}); see ${broker.logFile}\n`);
        });
      }
    });
  } finally {
    io.err('stopping...\n');
    await cluster.stop();
  }
  return 0;
}
