// `sluice server-start <server.properties> [--override key=value ...]`: runs one broker in this process
// until SIGTERM or SIGINT. Configuration errors are one line on stderr and exit code 1.
import { readFile } from 'node:fs/promises';
import {
  type BrokerConfig,
  ConfigError,
  loadBrokerConfig,
  parseOverrides,
  parseProperties,
} from './config/index.ts';
import { createRootLogger } from './logging.ts';
import { Broker, BrokerStartupError } from './server.ts';

const USAGE = 'USAGE: sluice server-start server.properties [--override property=value]*';

export async function serverStart(args: readonly string[]): Promise<number> {
  const [file, ...rest] = args;
  if (file === undefined || file === '--help' || file === '-h') {
    process.stderr.write(`${USAGE}\n`);
    return file === undefined ? 1 : 0;
  }
  const overrideArgs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--override' && rest[i + 1] !== undefined) overrideArgs.push(rest[++i] as string);
    else {
      process.stderr.write(`Unknown argument ${rest[i]}\n${USAGE}\n`);
      return 1;
    }
  }
  const logger = createRootLogger();
  let config: BrokerConfig;
  try {
    const props = parseProperties(await readFile(file, 'utf8'));
    for (const [key, value] of parseOverrides(overrideArgs)) props.set(key, value);
    config = loadBrokerConfig(props, { warn: (message) => logger.warn(message) });
  } catch (err) {
    const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`${message}\n`);
    logger.flush();
    return 1;
  }
  const broker = new Broker(config, logger);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= broker.stop();
    return stopping;
  };
  const exited = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'signal received');
      stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  try {
    await broker.start();
  } catch (err) {
    const message =
      err instanceof BrokerStartupError ? err.message : err instanceof Error ? err.message : String(err);
    if (!(err instanceof BrokerStartupError)) logger.error({ err }, 'start-up failed');
    process.stderr.write(`Broker failed to start: ${message}\n`);
    await stop().catch(() => undefined);
    logger.flush();
    return 1;
  }
  const code = await exited;
  logger.flush();
  return code;
}
