// ConfigError: a configuration that cannot be used, naming the key at fault. Its message is always
// one line, worded like Kafka's ConfigException, so operators can grep for the key and callers
// (CreateTopics, AlterConfigs) can hand it back as Kafka's INVALID_CONFIG error message.

export class ConfigError extends Error {
  override name = 'ConfigError';
  /** The configuration key at fault, e.g. "num.partitions" or "retention.ms". */
  readonly key: string;

  constructor(key: string, message: string) {
    super(oneLine(message));
    this.key = key;
  }

  /** Kafka's wording: `Invalid value abc for configuration num.partitions: Not a number of type INT`. */
  static invalidValue(key: string, value: unknown, reason: string): ConfigError {
    return new ConfigError(key, `Invalid value ${String(value)} for configuration ${key}: ${reason}`);
  }

  /** Kafka's wording for a required key left out. */
  static missing(key: string): ConfigError {
    return new ConfigError(key, `Missing required configuration "${key}" which has no default value.`);
  }
}

// A value may carry a newline (a `\n` escape in server.properties); one error must stay one log line.
function oneLine(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (code >= 0x20 && code !== 0x7f) out += c;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return out;
}
