// The shape of a configuration definition (one row of the broker or topic table) and the parsing of a
// raw string into its typed value, with the type rules and error texts of Kafka's ConfigDef: values are
// trimmed, numbers must fit their Java type, booleans are true/false in any case, lists split on commas.
//
// Java longs become JS numbers. Every long Kafka uses is a count of ms, bytes or messages where values
// past 2^53 mean "no limit", so a long beyond Number.MAX_SAFE_INTEGER (Long.MAX_VALUE included) is
// clamped to it, and formatConfigValue prints it back as Long.MAX_VALUE.

import { ConfigError } from './config-error.ts';

export type ConfigType =
  | 'int'
  | 'short'
  | 'long'
  | 'double'
  | 'boolean'
  | 'string'
  | 'list'
  | 'class'
  | 'password';
export type Importance = 'high' | 'medium' | 'low';
export type ConfigValue = number | boolean | string | readonly string[] | null;

/**
 * What Sluice does with a key:
 * - 'used': Sluice acts on it;
 * - 'accepted': a Kafka tuning knob with no meaning here (threads, socket buffers, purgatories), accepted
 *   silently so an existing server.properties loads unchanged;
 * - 'unsupported': a Kafka feature Sluice lacks (TLS, SASL, authorizers, plug-in classes); validated like
 *   Kafka does, and a warning is given when it is set because it has no effect.
 */
export type Support = 'used' | 'accepted' | 'unsupported';

export type Validator =
  /** Numbers: ConfigDef.Range (atLeast / between). */
  | { readonly kind: 'range'; readonly min?: number; readonly max?: number }
  /** Strings: ValidString.in; lists: ValidList.in (each element). Case-sensitive unless ignoreCase. */
  | { readonly kind: 'in'; readonly values: readonly string[]; readonly ignoreCase?: boolean }
  /** Strings: ConfigDef.NonEmptyString. */
  | { readonly kind: 'nonEmpty' }
  /** Strings: Kafka's ApiVersionValidator ("2.7", "2.7-IV2", "0.10.2"). */
  | { readonly kind: 'apiVersion' }
  /** Lists: Kafka's ThrottledReplicaListValidator ("*" or partition:broker pairs). */
  | { readonly kind: 'throttledReplicas' };

/** Marks a required key (Kafka's NO_DEFAULT_VALUE): leaving it out is an error. */
export const NO_DEFAULT: unique symbol = Symbol('NO_DEFAULT');

export interface ConfigDefinition {
  readonly name: string;
  readonly type: ConfigType;
  /** Kafka 2.7's default; null = unset (often resolved from another key); NO_DEFAULT = required. */
  readonly default: ConfigValue | typeof NO_DEFAULT;
  readonly validator?: Validator;
  readonly importance: Importance;
  readonly support: Support;
  /** One line, for --help and the docs. */
  readonly doc: string;
}

/** Java's Long.MAX_VALUE as Sluice holds it (see the file comment). */
export const LONG_MAX_VALUE = Number.MAX_SAFE_INTEGER;
const JAVA_LONG_MAX_TEXT = '9223372036854775807';

const INTEGER_LIMITS: Readonly<Record<'int' | 'short' | 'long', readonly [bigint, bigint]>> = {
  short: [-(2n ** 15n), 2n ** 15n - 1n],
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
};

const DOUBLE_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?$/;
const API_VERSION_PATTERN = /^\d+\.\d+(\.\d+)?(-IV\d+)?$/;
const THROTTLED_REPLICA_PATTERN = /^\d+:\d+$/;

/** Parses and validates one raw value; throws ConfigError with Kafka's message on failure. */
export function parseConfigValue(definition: ConfigDefinition, raw: string): ConfigValue {
  const value = parseType(definition, raw.trim());
  if (definition.validator !== undefined) validate(definition, value, definition.validator);
  return value;
}

/** Checks a typed value (a default, or one built in code) against the definition's validator. */
export function validateConfigValue(definition: ConfigDefinition, value: ConfigValue): void {
  if (value !== null && definition.validator !== undefined) validate(definition, value, definition.validator);
}

/** Renders a typed value the way Kafka prints it: lists comma-joined, passwords hidden. */
export function formatConfigValue(definition: ConfigDefinition, value: ConfigValue): string | null {
  if (value === null) return null;
  if (definition.type === 'password') return '[hidden]';
  if (typeof value === 'object') return value.join(',');
  if (definition.type === 'long' && value === LONG_MAX_VALUE) return JAVA_LONG_MAX_TEXT;
  return String(value);
}

function parseType(definition: ConfigDefinition, trimmed: string): Exclude<ConfigValue, null> {
  const { name, type } = definition;
  switch (type) {
    case 'int':
    case 'short':
    case 'long':
      return parseInteger(name, type, trimmed);
    case 'double': {
      const special = trimmed === 'NaN' || trimmed === 'Infinity' || trimmed === '-Infinity';
      if (!special && !DOUBLE_PATTERN.test(trimmed)) throw notANumber(name, trimmed, type);
      return Number(trimmed.replace(/[dDfF]$/, ''));
    }
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      throw ConfigError.invalidValue(name, trimmed, 'Expected value to be either true or false');
    }
    case 'list':
      return trimmed === '' ? [] : trimmed.split(/\s*,\s*/);
    case 'string':
    case 'class':
    case 'password':
      return trimmed;
  }
}

function parseInteger(name: string, type: 'int' | 'short' | 'long', trimmed: string): number {
  if (!/^[+-]?\d+$/.test(trimmed)) throw notANumber(name, trimmed, type);
  const parsed = BigInt(trimmed);
  const [min, max] = INTEGER_LIMITS[type];
  if (parsed < min || parsed > max) throw notANumber(name, trimmed, type);
  if (parsed > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (parsed < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(parsed);
}

function notANumber(name: string, trimmed: string, type: ConfigType): ConfigError {
  return ConfigError.invalidValue(name, trimmed, `Not a number of type ${type.toUpperCase()}`);
}

function validate(
  definition: ConfigDefinition,
  value: Exclude<ConfigValue, null>,
  validator: Validator,
): void {
  const { name } = definition;
  const shown = definition.type === 'password' ? '[hidden]' : value;
  switch (validator.kind) {
    case 'range': {
      if (typeof value !== 'number') throw wrongValidator(definition);
      if (validator.min !== undefined && !(value >= validator.min)) {
        throw ConfigError.invalidValue(name, shown, `Value must be at least ${validator.min}`);
      }
      if (validator.max !== undefined && !(value <= validator.max)) {
        throw ConfigError.invalidValue(name, shown, `Value must be no more than ${validator.max}`);
      }
      return;
    }
    case 'in': {
      const items = typeof value === 'string' ? [value] : value;
      if (typeof items !== 'object') throw wrongValidator(definition);
      const allowed = validator.ignoreCase ? validator.values.map((v) => v.toLowerCase()) : validator.values;
      for (const item of items) {
        const candidate = validator.ignoreCase ? item.toLowerCase() : item;
        if (!allowed.includes(candidate)) {
          throw ConfigError.invalidValue(name, item, `String must be one of: ${validator.values.join(', ')}`);
        }
      }
      return;
    }
    case 'nonEmpty':
      if (value === '') throw ConfigError.invalidValue(name, value, 'String may not be empty');
      return;
    case 'apiVersion':
      if (typeof value !== 'string' || !API_VERSION_PATTERN.test(value)) {
        throw ConfigError.invalidValue(name, value, `Version \`${String(value)}\` is not a valid version`);
      }
      return;
    case 'throttledReplicas': {
      if (typeof value !== 'object') throw wrongValidator(definition);
      const wildcard = value.length === 1 && value[0] === '*';
      if (!wildcard && !value.every((item) => THROTTLED_REPLICA_PATTERN.test(item))) {
        throw ConfigError.invalidValue(
          name,
          value.join(','),
          `${name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`,
        );
      }
      return;
    }
  }
}

// A table row pairing a validator with a type it cannot check is a bug in the table, not bad input.
function wrongValidator(definition: ConfigDefinition): Error {
  return new Error(`config table bug: ${definition.name} (${definition.type}) has a mismatched validator`);
}

export interface TypedReader {
  number(name: string): number;
  optionalNumber(name: string): number | null;
  boolean(name: string): boolean;
  string(name: string): string;
  optionalString(name: string): string | null;
  list(name: string): readonly string[];
}

/**
 * Typed access to parsed values. The definition table fixes each key's type, so a mismatch is a bug in
 * the code reading it, not bad input: it throws a plain Error.
 */
export function typedReader(values: ReadonlyMap<string, ConfigValue>): TypedReader {
  const bug = (name: string, expected: string) =>
    new Error(`config bug: ${name} is ${JSON.stringify(values.get(name))}, expected ${expected}`);
  return {
    number(name: string): number {
      const value = values.get(name);
      if (typeof value !== 'number') throw bug(name, 'a number');
      return value;
    },
    optionalNumber(name: string): number | null {
      const value = values.get(name);
      if (value !== null && typeof value !== 'number') throw bug(name, 'a number or null');
      return value;
    },
    boolean(name: string): boolean {
      const value = values.get(name);
      if (typeof value !== 'boolean') throw bug(name, 'a boolean');
      return value;
    },
    string(name: string): string {
      const value = values.get(name);
      if (typeof value !== 'string') throw bug(name, 'a string');
      return value;
    },
    optionalString(name: string): string | null {
      const value = values.get(name);
      if (value !== null && typeof value !== 'string') throw bug(name, 'a string or null');
      return value;
    },
    list(name: string): readonly string[] {
      const value = values.get(name);
      if (!Array.isArray(value)) throw bug(name, 'a list');
      return value;
    },
  };
}
