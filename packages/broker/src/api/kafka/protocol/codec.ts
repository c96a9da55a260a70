// The one generic encoder and decoder of the Kafka wire protocol: walks a schema (schema.ts) for a
// version. Classic versions use int16-length strings and int32-length arrays and bytes; flexible
// versions use unsigned-varint lengths plus one (0 = null) and end every struct with tagged fields.
// Every length read off the wire is checked against the bytes left in the frame before anything is
// allocated, so a hostile length costs an error, not memory.
import { type Field, type FieldType, inRange, type MessageSchema } from './schema.ts';

/** A frame that does not parse: the connection that sent it is closed. */
export class ProtocolDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolDecodeError';
  }
}

// biome-ignore lint/suspicious/noExplicitAny: decoded messages are schema-shaped plain objects.
export type Message = Record<string, any>;

const MAX_UNSIGNED_VARINT_BYTES = 5;

export class Reader {
  readonly #buf: Buffer;
  #pos: number;
  readonly #end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  #need(bytes: number, what: string): void {
    if (bytes < 0 || bytes > this.#end - this.#pos) {
      throw new ProtocolDecodeError(
        `${what}: needs ${bytes} bytes, ${this.#end - this.#pos} left in the frame`,
      );
    }
  }

  int8(): number {
    this.#need(1, 'int8');
    return this.#buf.readInt8(this.#pos++);
  }

  int16(): number {
    this.#need(2, 'int16');
    const value = this.#buf.readInt16BE(this.#pos);
    this.#pos += 2;
    return value;
  }

  uint16(): number {
    this.#need(2, 'uint16');
    const value = this.#buf.readUInt16BE(this.#pos);
    this.#pos += 2;
    return value;
  }

  int32(): number {
    this.#need(4, 'int32');
    const value = this.#buf.readInt32BE(this.#pos);
    this.#pos += 4;
    return value;
  }

  /** int64 as a number: offsets, timestamps and producer ids fit in 2^53. */
  int64(): number {
    this.#need(8, 'int64');
    const value = Number(this.#buf.readBigInt64BE(this.#pos));
    this.#pos += 8;
    return value;
  }

  unsignedVarint(): number {
    let value = 0;
    for (let i = 0; i < MAX_UNSIGNED_VARINT_BYTES; i++) {
      this.#need(1, 'varint');
      const byte = this.#buf[this.#pos++]!;
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) throw new ProtocolDecodeError('varint overflows 32 bits');
        return value;
      }
    }
    throw new ProtocolDecodeError('varint longer than 5 bytes');
  }

  /** A length bounded by the rest of the frame (checked before any allocation). */
  length(length: number, what: string): number {
    this.#need(length, what);
    return length;
  }

  bytes(length: number): Buffer {
    this.#need(length, 'bytes');
    const slice = this.#buf.subarray(this.#pos, this.#pos + length);
    this.#pos += length;
    return slice;
  }

  string(length: number): string {
    this.#need(length, 'string');
    const value = this.#buf.toString('utf8', this.#pos, this.#pos + length);
    this.#pos += length;
    return value;
  }

  skip(length: number): void {
    this.#need(length, 'tagged field');
    this.#pos += length;
  }
}

/** Builds a message as a list of chunks: large byte fields (record batches) are referenced, not copied. */
export class Writer {
  readonly #chunks: Buffer[] = [];
  #scratch = Buffer.allocUnsafe(256);
  #pos = 0;
  #size = 0;

  get size(): number {
    return this.#size + this.#pos;
  }

  #ensure(bytes: number): void {
    if (this.#pos + bytes <= this.#scratch.length) return;
    this.#flush();
    if (bytes > this.#scratch.length) this.#scratch = Buffer.allocUnsafe(Math.max(bytes, 256));
  }

  #flush(): void {
    if (this.#pos === 0) return;
    this.#chunks.push(this.#scratch.subarray(0, this.#pos));
    this.#size += this.#pos;
    this.#scratch = Buffer.allocUnsafe(this.#scratch.length);
    this.#pos = 0;
  }

  int8(value: number): void {
    this.#ensure(1);
    this.#pos = this.#scratch.writeInt8(value, this.#pos);
  }

  int16(value: number): void {
    this.#ensure(2);
    this.#pos = this.#scratch.writeInt16BE(value, this.#pos);
  }

  uint16(value: number): void {
    this.#ensure(2);
    this.#pos = this.#scratch.writeUInt16BE(value, this.#pos);
  }

  int32(value: number): void {
    this.#ensure(4);
    this.#pos = this.#scratch.writeInt32BE(value, this.#pos);
  }

  int64(value: number): void {
    this.#ensure(8);
    this.#pos = this.#scratch.writeBigInt64BE(BigInt(value), this.#pos);
  }

  unsignedVarint(value: number): void {
    this.#ensure(MAX_UNSIGNED_VARINT_BYTES);
    let v = value;
    while (v >= 0x80) {
      this.#scratch[this.#pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.#scratch[this.#pos++] = v;
  }

  bytes(value: Buffer): void {
    if (value.length >= 1024) {
      this.#flush();
      this.#chunks.push(value);
      this.#size += value.length;
      return;
    }
    this.#ensure(value.length);
    this.#pos += value.copy(this.#scratch, this.#pos);
  }

  chunks(): Buffer[] {
    this.#flush();
    return this.#chunks;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks());
  }
}

function isNullable(field: Field, version: number): boolean {
  return inRange(field.nullableVersions, version);
}

function defaultValue(field: Field, version: number): unknown {
  if (field.default !== undefined) return field.default;
  if (isNullable(field, version)) return null;
  switch (field.type) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
    case 'records':
      return Buffer.alloc(0);
    case 'struct':
      return decodeDefaults(field.fields ?? [], version);
    default:
      return field.type.startsWith('[]') ? [] : 0;
  }
}

function decodeDefaults(fields: readonly Field[], version: number): Message {
  const out: Message = {};
  for (const f of fields) out[f.name] = defaultValue(f, version);
  return out;
}

function isTaggedIn(field: Field, version: number): boolean {
  return field.tag !== undefined && inRange(field.taggedVersions, version);
}

/** Decodes a message body (no header) of `schema` at `version`; the reader must end exactly there. */
export function decodeMessage(schema: MessageSchema, version: number, reader: Reader): Message {
  const flexible = inRange(schema.flexibleVersions, version);
  return decodeStruct(schema.fields, version, flexible, reader);
}

export function decodeStruct(
  fields: readonly Field[],
  version: number,
  flexible: boolean,
  reader: Reader,
): Message {
  const out: Message = {};
  for (const f of fields) {
    out[f.name] =
      inRange(f.versions, version) && !isTaggedIn(f, version)
        ? decodeField(f, f.type, version, flexible, reader)
        : defaultValue(f, version);
  }
  if (flexible) decodeTaggedFields(fields, version, reader, out);
  return out;
}

function decodeTaggedFields(fields: readonly Field[], version: number, reader: Reader, out: Message): void {
  const count = reader.length(reader.unsignedVarint(), 'tagged field count');
  for (let i = 0; i < count; i++) {
    const tag = reader.unsignedVarint();
    const size = reader.length(reader.unsignedVarint(), 'tagged field size');
    const f = fields.find((candidate) => candidate.tag === tag && isTaggedIn(candidate, version));
    if (!f || !inRange(f.versions, version)) {
      reader.skip(size); // Unknown tags are skipped: that is what makes them compatible.
      continue;
    }
    const start = reader.position;
    out[f.name] = decodeField(f, f.type, version, true, reader);
    if (reader.position - start !== size) {
      throw new ProtocolDecodeError(`tagged field ${f.name} is not ${size} bytes`);
    }
  }
}

/** A length or count; -1 is null, anything lower is an error. */
function readLength(flexible: boolean, reader: Reader, classic: 'int16' | 'int32'): number {
  if (flexible) return reader.unsignedVarint() - 1;
  const length = classic === 'int16' ? reader.int16() : reader.int32();
  if (length < -1) throw new ProtocolDecodeError(`negative length ${length}`);
  return length;
}

function decodeField(f: Field, type: FieldType, version: number, flexible: boolean, reader: Reader): unknown {
  switch (type) {
    case 'bool':
      return reader.int8() !== 0;
    case 'int8':
      return reader.int8();
    case 'int16':
      return reader.int16();
    case 'uint16':
      return reader.uint16();
    case 'int32':
      return reader.int32();
    case 'int64':
      return reader.int64();
    case 'string': {
      const length = readLength(flexible, reader, 'int16');
      if (length < 0) return nullOrThrow(f, version);
      return reader.string(reader.length(length, f.name));
    }
    case 'bytes':
    case 'records': {
      const length = readLength(flexible, reader, 'int32');
      if (length < 0) return nullOrThrow(f, version);
      return reader.bytes(reader.length(length, f.name));
    }
    case 'struct':
      return decodeStruct(f.fields ?? [], version, flexible, reader);
    default: {
      const count = readLength(flexible, reader, 'int32');
      if (count < 0) return nullOrThrow(f, version);
      // Every element takes at least one byte: a count above the bytes left is a lie.
      reader.length(count, `${f.name} count`);
      const element = type.slice(2) as FieldType;
      const items: unknown[] = [];
      for (let i = 0; i < count; i++) {
        items.push(
          element === 'struct'
            ? decodeStruct(f.fields ?? [], version, flexible, reader)
            : decodeField(f, element, version, flexible, reader),
        );
      }
      return items;
    }
  }
}

function nullOrThrow(f: Field, version: number): null {
  if (isNullable(f, version)) return null;
  throw new ProtocolDecodeError(`${f.name} is null, which it cannot be in version ${version}`);
}

export function encodeMessage(
  schema: MessageSchema,
  version: number,
  message: Message,
  writer: Writer,
): void {
  const flexible = inRange(schema.flexibleVersions, version);
  encodeStruct(schema.fields, version, flexible, message, writer);
}

function encodeStruct(
  fields: readonly Field[],
  version: number,
  flexible: boolean,
  message: Message,
  writer: Writer,
): void {
  const tagged: Field[] = [];
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    if (isTaggedIn(f, version)) {
      const value = message[f.name];
      if (value !== undefined && value !== f.default) tagged.push(f);
      continue;
    }
    const value = message[f.name] ?? defaultValue(f, version);
    encodeField(f, f.type, version, flexible, value, writer);
  }
  if (!flexible) return;
  tagged.sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0));
  writer.unsignedVarint(tagged.length);
  for (const f of tagged) {
    const inner = new Writer();
    encodeField(f, f.type, version, true, message[f.name], inner);
    writer.unsignedVarint(f.tag ?? 0);
    writer.unsignedVarint(inner.size);
    for (const chunk of inner.chunks()) writer.bytes(chunk);
  }
}

function writeLength(flexible: boolean, writer: Writer, classic: 'int16' | 'int32', length: number): void {
  if (flexible) writer.unsignedVarint(length + 1);
  else if (classic === 'int16') writer.int16(length);
  else writer.int32(length);
}

function encodeField(
  f: Field,
  type: FieldType,
  version: number,
  flexible: boolean,
  value: unknown,
  writer: Writer,
): void {
  if (value === null && type !== 'bool' && !type.startsWith('int') && type !== 'uint16') {
    if (!isNullable(f, version)) throw new Error(`${f.name} cannot be null in version ${version}`);
    writeLength(flexible, writer, type === 'string' ? 'int16' : 'int32', -1);
    return;
  }
  switch (type) {
    case 'bool':
      writer.int8(value ? 1 : 0);
      return;
    case 'int8':
      writer.int8(value as number);
      return;
    case 'int16':
      writer.int16(value as number);
      return;
    case 'uint16':
      writer.uint16(value as number);
      return;
    case 'int32':
      writer.int32(value as number);
      return;
    case 'int64':
      writer.int64(value as number);
      return;
    case 'string': {
      const bytes = Buffer.from(value as string, 'utf8');
      writeLength(flexible, writer, 'int16', bytes.length);
      writer.bytes(bytes);
      return;
    }
    case 'bytes':
    case 'records': {
      const bytes = value as Buffer;
      writeLength(flexible, writer, 'int32', bytes.length);
      writer.bytes(bytes);
      return;
    }
    case 'struct':
      encodeStruct(f.fields ?? [], version, flexible, value as Message, writer);
      return;
    default: {
      const items = value as unknown[];
      writeLength(flexible, writer, 'int32', items.length);
      const element = type.slice(2) as FieldType;
      for (const item of items) {
        if (element === 'struct') encodeStruct(f.fields ?? [], version, flexible, item as Message, writer);
        else encodeField(f, element, version, flexible, item, writer);
      }
    }
  }
}
