// `sluice console-consumer` flag checks for --group, which fail before any connection is made.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/cli/args.ts';
import { CONSOLE_CONSUMER_HELP, consoleConsumerCommand } from '../../src/cli/console-consumer.ts';
import type { CommandIO } from '../../src/cli/io.ts';

const io: CommandIO = { out: () => {}, err: () => {}, signal: new AbortController().signal };
const base = ['--bootstrap-server', '127.0.0.1:1', '--topic', 't'];

describe('console-consumer --group', () => {
  test('--help describes --group', () => {
    assert.match(CONSOLE_CONSUMER_HELP, /--group <String: consumer group id>/);
  });

  test('cannot go with --partition', async () => {
    await assert.rejects(
      consoleConsumerCommand([...base, '--group', 'g', '--partition', '0'], io),
      (err: Error) =>
        err instanceof UsageError && /--group and --partition cannot be specified together/.test(err.message),
    );
  });

  test('--group and group.id must agree', async () => {
    await assert.rejects(
      consoleConsumerCommand([...base, '--group', 'g', '--consumer-property', 'group.id=h'], io),
      /The group ids provided in different places .* do not match/,
    );
  });
});
