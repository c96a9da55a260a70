// The shape of a Kafka message schema, as data (the idea of Kafka's clients/src/main/resources/common/
// message/*.json, written by us in TypeScript). One generic codec (codec.ts) walks these for a given
// version: no per-message encoding code, which is where wire bugs live.

/** A version range: "0+", "3-5" or "none". */
export type VersionRange = string;

export type ScalarType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'int64'
  | 'string'
  | 'bytes'
  | 'records';

export type FieldType =
  | ScalarType
  | '[]int32'
  | '[]int64'
  | '[]string'
  /** An array of structs: the element's fields are `fields`. */
  | '[]struct'
  /** A nested struct: its fields are `fields`. */
  | 'struct';

export interface Field {
  /** camelCase: the key of the decoded object. */
  readonly name: string;
  readonly type: FieldType;
  /** The versions the field is on the wire in (outside them it decodes to its default). */
  readonly versions: VersionRange;
  readonly nullableVersions?: VersionRange;
  /** Only as a tagged field, in these versions (flexible versions only). */
  readonly tag?: number;
  readonly taggedVersions?: VersionRange;
  readonly fields?: readonly Field[];
  /** Value when absent from the version; else 0, false, '', [] or null (when nullable). */
  readonly default?: number | boolean | string | null;
}

export interface MessageSchema {
  readonly apiKey: number;
  readonly name: string;
  readonly type: 'request' | 'response';
  /** The versions Sluice implements for this API (a subset of Kafka's). */
  readonly validVersions: VersionRange;
  /** Versions using compact strings, arrays and bytes and tagged fields. */
  readonly flexibleVersions: VersionRange;
  readonly fields: readonly Field[];
}

/** An API as served: its request and response schema, and the versions answered. */
export interface ApiSchemas {
  readonly apiKey: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly request: MessageSchema;
  readonly response: MessageSchema;
}

export function inRange(range: VersionRange | undefined, version: number): boolean {
  if (range === undefined || range === 'none') return false;
  if (range.endsWith('+')) return version >= Number(range.slice(0, -1));
  const dash = range.indexOf('-');
  if (dash < 0) return version === Number(range);
  return version >= Number(range.slice(0, dash)) && version <= Number(range.slice(dash + 1));
}

/** The lowest and highest version of "a-b" or "a" ("a+" is not a closed range). */
export function bounds(range: VersionRange): { min: number; max: number } {
  const dash = range.indexOf('-');
  if (dash < 0) return { min: Number(range), max: Number(range) };
  return { min: Number(range.slice(0, dash)), max: Number(range.slice(dash + 1)) };
}

/** Compact helper for schema tables: field(name, type, versions, extra). */
export function field(
  name: string,
  type: FieldType,
  versions: VersionRange,
  extra: Omit<Field, 'name' | 'type' | 'versions'> = {},
): Field {
  return { name, type, versions, ...extra };
}
