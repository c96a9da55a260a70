// Reads Java .properties text the way Kafka reads server.properties (java.util.Properties.load),
// and the `--override key=value` arguments that kafka-server-start.sh accepts after the file.
//
// Grammar kept from Properties.load:
// - natural lines end at \n, \r or \r\n; a line ending in an odd number of backslashes continues on
//   the next line, whose leading whitespace is dropped;
// - a line whose first non-blank character is '#' or '!' is a comment (and never continues);
// - the key ends at the first unescaped '=', ':' or whitespace; whitespace and at most one '=' or ':'
//   separate it from the value;
// - escapes: \t \n \r \f, \uXXXX, and a backslash before any other character stands for that character
//   (so \\ \= \: \# \<space> work in keys and values).
// Unlike Properties, values are trimmed here: Kafka trims every value when it parses it (ConfigDef),
// so trimming once at the source gives the same result and a clean `raw` map.

import { ConfigError } from './config-error.ts';

/** Parses .properties text. A key given twice keeps its last value, as in Java. */
export function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  for (const { line, lineNumber } of logicalLines(source)) {
    const [key, value] = splitKeyValue(line, lineNumber);
    props.set(key, value);
  }
  return props;
}

/**
 * Parses the values of `--override key=value` command-line options, in order (a later one wins).
 * Pass only the values, e.g. `parseArgs({ options: { override: { type: 'string', multiple: true } } })
 * .values.override`. The key and value are split at the first '='; the value may be empty.
 */
export function parseOverrides(args: readonly string[]): Map<string, string> {
  const overrides = new Map<string, string>();
  for (const arg of args) {
    const equals = arg.indexOf('=');
    const key = equals < 0 ? arg.trim() : arg.slice(0, equals).trim();
    if (equals < 0) {
      throw new ConfigError(key, `Invalid --override '${arg}': expected key=value`);
    }
    if (key === '') {
      throw new ConfigError(key, `Invalid --override '${arg}': the key is empty`);
    }
    overrides.set(key, arg.slice(equals + 1).trim());
  }
  return overrides;
}

interface LogicalLine {
  line: string;
  /** 1-based number of the natural line the logical line starts on, for error messages. */
  lineNumber: number;
}

function* logicalLines(source: string): Generator<LogicalLine> {
  const naturalLines = source.split(/\r\n|\r|\n/);
  let pending: LogicalLine | null = null;
  for (let index = 0; index < naturalLines.length; index++) {
    const natural = stripLeadingWhitespace(naturalLines[index]!);
    if (pending === null) {
      if (natural === '' || natural.startsWith('#') || natural.startsWith('!')) continue;
      pending = { line: '', lineNumber: index + 1 };
    }
    if (endsWithContinuation(natural)) {
      pending.line += natural.slice(0, -1);
      continue;
    }
    pending.line += natural;
    yield pending;
    pending = null;
  }
  // A file may end on a continuation backslash; Java keeps what was read.
  if (pending !== null) yield pending;
}

function isWhitespace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\f';
}

function stripLeadingWhitespace(text: string): string {
  let start = 0;
  while (start < text.length && isWhitespace(text[start])) start++;
  return text.slice(start);
}

function endsWithContinuation(text: string): boolean {
  let backslashes = 0;
  for (let i = text.length - 1; i >= 0 && text[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

function splitKeyValue(line: string, lineNumber: number): [string, string] {
  let keyEnd = 0;
  let valueStart = line.length;
  let hasSeparator = false;
  let precedingBackslash = false;
  while (keyEnd < line.length) {
    const c = line[keyEnd];
    if (!precedingBackslash && (c === '=' || c === ':')) {
      valueStart = keyEnd + 1;
      hasSeparator = true;
      break;
    }
    if (!precedingBackslash && isWhitespace(c)) {
      valueStart = keyEnd + 1;
      break;
    }
    precedingBackslash = c === '\\' ? !precedingBackslash : false;
    keyEnd++;
  }
  while (valueStart < line.length) {
    const c = line[valueStart];
    if (!isWhitespace(c)) {
      if (hasSeparator || (c !== '=' && c !== ':')) break;
      hasSeparator = true;
    }
    valueStart++;
  }
  const key = decodeEscapes(line.slice(0, keyEnd), lineNumber, null);
  const value = decodeEscapes(line.slice(valueStart), lineNumber, key).trim();
  return [key, value];
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function decodeEscapes(text: string, lineNumber: number, key: string | null): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    i++;
    if (i >= text.length) break;
    const escaped = text[i]!;
    if (escaped === 'u') {
      const hex = text.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        const where = key === null ? 'a key' : `the value of ${key}`;
        throw new ConfigError(key ?? '', `Malformed \\uxxxx encoding in ${where} on line ${lineNumber}`);
      }
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
      continue;
    }
    out += SIMPLE_ESCAPES[escaped] ?? escaped;
  }
  return out;
}
