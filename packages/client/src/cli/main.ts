// The `sluice` command: one subcommand per Kafka script. Errors are one line on stderr and a non-zero
// exit code; --verbose adds the stack trace.
import { readFileSync } from 'node:fs';
import { UsageError } from './args.ts';
import { consoleConsumerCommand } from './console-consumer.ts';
import { consoleProducerCommand } from './console-producer.ts';
import { devClusterCommand } from './dev-cluster.ts';
import type { CommandIO } from './io.ts';
import { topicsCommand } from './topics.ts';

const COMMANDS: Record<string, string> = {
  'server-start':
    'Run a broker: sluice server-start server.properties [--override key=value]*  (kafka-server-start.sh)',
  'dev-cluster': 'Run ZooKeeper and N brokers on 127.0.0.1 for development',
  topics: 'Create, delete, describe, or change a topic  (kafka-topics.sh)',
  'console-producer': 'Send lines from standard input as records  (kafka-console-producer.sh)',
  'console-consumer': 'Print records from a topic  (kafka-console-consumer.sh)',
  'consumer-groups':
    'List, describe, reset offsets of, or delete consumer groups  (kafka-consumer-groups.sh)',
  'producer-perf-test': 'Measure producer throughput and latency  (kafka-producer-perf-test.sh)',
  'consumer-perf-test': 'Measure consumer throughput  (kafka-consumer-perf-test.sh)',
  'broker-health': 'Check that a broker answers and is registered: exit 0 if healthy  (for health checks)',
  completion: 'Print a shell completion script: sluice completion bash|zsh',
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  const lines = [
    'Usage: sluice <command> [options]   (sluice <command> --help for its options)',
    '',
    'Commands:',
  ];
  for (const [name, text] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(width)}${text}`);
  return `${lines.join('\n')}\n`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export async function main(
  argv: readonly string[],
  io: CommandIO,
  stdin: NodeJS.ReadableStream,
): Promise<number> {
  const [command, ...args] = argv;
  const verbose = args.includes('--verbose');
  try {
    switch (command) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(usage());
        return command === undefined ? 1 : 0;
      case '--version':
        io.out(`${version()}\n`);
        return 0;
      case 'server-start': {
        // The broker lives in its own package; only this command loads it.
        const { serverStart } = await import('@sluice/broker');
        return await serverStart(args);
      }
      case 'dev-cluster':
        return await devClusterCommand(args, io);
      case 'topics':
        return await topicsCommand(args, io);
      case 'console-producer':
        return await consoleProducerCommand(args, io, stdin as import('node:stream').Readable);
      case 'console-consumer':
        return await consoleConsumerCommand(args, io);
      case 'consumer-groups':
        return await (await import('./consumer-groups.ts')).consumerGroupsCommand(args, io);
      case 'producer-perf-test':
        return await (await import('./producer-perf-test.ts')).producerPerfTestCommand(args, io);
      case 'consumer-perf-test':
        return await (await import('./consumer-perf-test.ts')).consumerPerfTestCommand(args, io);
      case 'broker-health':
        return await (await import('./health.ts')).brokerHealthCommand(args, io);
      case 'completion':
        return (await import('./completion.ts')).completionCommand(args, io);
      default:
        io.err(`Unknown command '${command}'\n${usage()}`);
        return 1;
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\nTry 'sluice ${command} --help' for the options.\n`);
      return 1;
    }
    const error = err instanceof Error ? err : new Error(String(err));
    io.err(verbose && error.stack ? `${error.stack}\n` : `Error: ${error.message}\n`);
    return 1;
  }
}
