// Parsing of listeners / advertised.listeners (`NAME://host:port,...`) and of
// listener.security.protocol.map, with Kafka's rules: names are case-insensitive (upper-cased), each
// listener has a distinct name, an IPv6 host may be bracketed, an empty host means every interface.
// Sluice's twist: the map sends a listener name to a wire protocol, GRPC or KAFKA, rather than to
// Kafka's security protocols, so `INTERNAL://:9093` with `INTERNAL:GRPC` is a second gRPC listener.

import { ConfigError } from './config-error.ts';
import { LISTENER_PROTOCOLS } from './definitions.ts';

export type ListenerProtocol = (typeof LISTENER_PROTOCOLS)[number];

export interface Listener {
  /** Upper-cased listener name, e.g. "GRPC" or "INTERNAL". */
  readonly name: string;
  readonly protocol: ListenerProtocol;
  /** '' (or 0.0.0.0) in listeners = every interface; in advertisedListeners always a real host. */
  readonly host: string;
  /** 0 in listeners = an ephemeral port, chosen at bind time. */
  readonly port: number;
}

const LISTENER_PATTERN = /^([A-Za-z0-9_-]+):\/\/\[?([0-9A-Za-z\-%._:]*?)\]?:(\d+)$/;
const MAX_PORT = 65535;

/** Parses `NAME:PROTOCOL,...`; throws ConfigError naming `key` on a malformed entry. */
export function parseProtocolMap(key: string, text: string): ReadonlyMap<string, ListenerProtocol> {
  const map = new Map<string, ListenerProtocol>();
  for (const entry of splitCsv(text)) {
    const colon = entry.indexOf(':');
    if (colon <= 0 || colon === entry.length - 1) {
      throw ConfigError.invalidValue(key, text, `Map entry '${entry}' should be of the form NAME:PROTOCOL`);
    }
    const name = entry.slice(0, colon).trim().toUpperCase();
    const protocol = entry
      .slice(colon + 1)
      .trim()
      .toUpperCase();
    if (!isListenerProtocol(protocol)) {
      throw ConfigError.invalidValue(
        key,
        text,
        `Unknown protocol ${protocol} for listener ${name}; Sluice listeners speak ${LISTENER_PROTOCOLS.join(' or ')}`,
      );
    }
    map.set(name, protocol);
  }
  return map;
}

/**
 * Parses a comma-separated listener list. `requireDistinctPorts` is Kafka's check for `listeners`
 * (two sockets cannot bind one port); advertised listeners may share a port behind different hosts.
 */
export function parseListeners(
  key: string,
  text: string,
  protocols: ReadonlyMap<string, ListenerProtocol>,
  requireDistinctPorts: boolean,
): Listener[] {
  const listeners: Listener[] = [];
  for (const entry of splitCsv(text)) {
    const listener = parseListener(key, text, entry, protocols);
    if (listeners.some((other) => other.name === listener.name)) {
      throw ConfigError.invalidValue(
        key,
        text,
        `Each listener must have a different name; ${listener.name} repeats`,
      );
    }
    const portTaken = listeners.some((other) => other.port === listener.port && listener.port !== 0);
    if (requireDistinctPorts && portTaken) {
      throw ConfigError.invalidValue(
        key,
        text,
        `Each listener must have a different port; ${listener.port} repeats`,
      );
    }
    listeners.push(listener);
  }
  return listeners;
}

function parseListener(
  key: string,
  text: string,
  entry: string,
  protocols: ReadonlyMap<string, ListenerProtocol>,
): Listener {
  const match = LISTENER_PATTERN.exec(entry);
  if (match === null) {
    throw ConfigError.invalidValue(
      key,
      text,
      `Unable to parse ${entry} to a listener (expected NAME://host:port)`,
    );
  }
  const name = match[1]!.toUpperCase();
  const host = match[2]!;
  const port = Number(match[3]);
  if (port > MAX_PORT) {
    throw ConfigError.invalidValue(key, text, `Port ${port} of ${entry} is out of range 0..${MAX_PORT}`);
  }
  const protocol = protocols.get(name);
  if (protocol === undefined) {
    throw ConfigError.invalidValue(
      key,
      text,
      `No protocol defined for listener ${name}; map it to ${LISTENER_PROTOCOLS.join(' or ')} in listener.security.protocol.map`,
    );
  }
  return { name, protocol, host, port };
}

function isListenerProtocol(text: string): text is ListenerProtocol {
  return (LISTENER_PROTOCOLS as readonly string[]).includes(text);
}

/** Kafka's CoreUtils.parseCsvList: split on commas with surrounding whitespace, drop empty items. */
export function splitCsv(text: string): string[] {
  return text
    .trim()
    .split(/\s*,\s*/)
    .filter((item) => item !== '');
}
