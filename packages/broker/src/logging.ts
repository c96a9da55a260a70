// The broker's logger: pino JSON lines on stdout, one child per component, every line with the broker id.
import pino, { type Logger } from 'pino';

export function createRootLogger(options: { level?: string; destination?: number } = {}): Logger {
  return pino(
    { level: options.level ?? process.env.SLUICE_LOG_LEVEL ?? 'info', base: { pid: process.pid } },
    pino.destination({ dest: options.destination ?? 1, sync: false }),
  );
}
