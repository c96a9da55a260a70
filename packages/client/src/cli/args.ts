// Command-line flags the way Kafka's tools take them (joptsimple): `--name value` or `--name=value`,
// repeatable options collected in order, and every flag described for --help with its default.
export interface FlagSpec {
  name: string;
  /** Placeholder for the value, e.g. '<String: topic>'; absent for a boolean switch. */
  value?: string;
  description: string;
  default?: string;
  /** May be given more than once (e.g. --property). */
  repeatable?: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedFlags {
  has(name: string): boolean;
  get(name: string): string | undefined;
  all(name: string): string[];
  positional: string[];
}

export function parseFlags(args: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`${arg} is not a recognized option`);
    let value = 'true';
    if (spec.value !== undefined) {
      if (eq > 0) value = arg.slice(eq + 1);
      else {
        const next = args[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2)) {
          throw new UsageError(`Option --${name} requires an argument`);
        }
        value = next;
        i++;
      }
    } else if (eq > 0) {
      throw new UsageError(`Option --${name} does not take an argument`);
    }
    const list = values.get(name) ?? [];
    if (list.length > 0 && !spec.repeatable && spec.value !== undefined) {
      throw new UsageError(`Option --${name} was given more than once`);
    }
    list.push(value);
    values.set(name, list);
  }
  return {
    has: (name) => values.has(name),
    get: (name) => values.get(name)?.at(-1) ?? byName.get(name)?.default,
    all: (name) => values.get(name) ?? [],
    positional,
  };
}

export function formatHelp(summary: string, specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => [`--${s.name}${s.value ? ` ${s.value}` : ''}`, s.description, s.default]);
  const width = Math.max(...rows.map((r) => (r[0] as string).length), 'Option'.length) + 2;
  const lines = [summary, '', `${'Option'.padEnd(width)}Description`, `${'------'.padEnd(width)}-----------`];
  for (const [flag, description, def] of rows) {
    lines.push(
      `${(flag as string).padEnd(width)}${description}${def !== undefined ? ` (default: ${def})` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Parses an integer flag, with the flag's name in the error. */
export function intFlag(flags: ParsedFlags, name: string): number | undefined {
  const raw = flags.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new UsageError(`Option --${name}: '${raw}' is not an integer`);
  return value;
}

/** `k=v` pairs from repeatable flags such as --config and --property. */
export function keyValues(flags: ParsedFlags, name: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of flags.all(name)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`Option --${name}: expected key=value, got '${pair}'`);
    result[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return result;
}
