// Request header v1 (api key, version, correlation id, client id) and v2 (v1 plus tagged fields, for
// flexible request versions); response header v0 (correlation id) and v1 (plus tagged fields). The
// client id stays a classic int16-length string even in v2, as in Kafka.
import { decodeStruct, ProtocolDecodeError, type Reader, type Writer } from './codec.ts';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Reads the fixed part every header version shares (v0 has no client id; Kafka clients send v1+). */
export function decodeRequestHeaderPrefix(reader: Reader): RequestHeader {
  const apiKey = reader.int16();
  const apiVersion = reader.int16();
  const correlationId = reader.int32();
  const length = reader.int16();
  let clientId: string | null = null;
  if (length >= 0) clientId = reader.string(reader.length(length, 'client id'));
  else if (length !== -1) throw new ProtocolDecodeError(`client id length ${length}`);
  return { apiKey, apiVersion, correlationId, clientId };
}

/** The tagged fields that end a request header v2 (none are known: all skipped). */
export function decodeRequestHeaderTags(reader: Reader): void {
  decodeStruct([], 0, true, reader);
}

export function encodeResponseHeader(writer: Writer, correlationId: number, flexible: boolean): void {
  writer.int32(correlationId);
  if (flexible) writer.unsignedVarint(0);
}
