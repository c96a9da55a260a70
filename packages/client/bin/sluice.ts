#!/usr/bin/env node
// The `sluice` binary: Ctrl-C and SIGTERM abort the running command cleanly; a second one exits at once.
import { main } from '../src/cli/main.ts';

const controller = new AbortController();
const [command] = process.argv.slice(2);
// server-start handles its own signals (controlled shutdown of the broker).
if (command !== 'server-start') {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (controller.signal.aborted) process.exit(130);
      controller.abort();
    });
  }
  // Output piped to `head` closes early: that is a normal end, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
}

const code = await main(
  process.argv.slice(2),
  {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    signal: controller.signal,
  },
  process.stdin,
);
process.exitCode = code;
if (command === 'server-start') process.exit(code);
