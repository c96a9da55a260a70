// The records of __consumer_offsets, in Kafka 2.7's layout (GroupMetadataManager's schemas), so the
// topic reads the same to Kafka's tools (kafka-console-consumer with its offsets formatter) and a log
// copied between the two systems loads:
//   offset commit key    (version 1): group string, topic string, partition int32
//   offset commit value  (version 3): offset int64, leader_epoch int32, metadata string, commit_timestamp int64
//                        (versions 0-2 are read too)
//   group metadata key   (version 2): group string
//   group metadata value (version 3): protocol_type string, generation int32, protocol string?, leader string?,
//                        current_state_timestamp int64, members [member_id, group_instance_id?, client_id,
//                        client_host, rebalance_timeout int32, session_timeout int32, subscription bytes,
//                        assignment bytes]
// Strings are int16-length-prefixed UTF-8 (-1: null), bytes int32-length-prefixed, arrays int32-counted.
// A null value is a tombstone: the offset or group is gone.

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
const OFFSET_COMMIT_VALUE_VERSION = 3;
const GROUP_METADATA_VALUE_VERSION = 3;

export interface OffsetKey {
  type: 'offset';
  group: string;
  topic: string;
  partition: number;
}

export interface GroupKey {
  type: 'group';
  group: string;
}

export interface OffsetAndMetadata {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** Only from value versions 1 (explicit retention); -1 otherwise. */
  expireTimestampMs: number;
}

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface StoredGroup {
  protocolType: string;
  generationId: number;
  protocolName: string | null;
  leaderId: string | null;
  currentStateTimestampMs: number;
  members: StoredMember[];
}

/** A record of __consumer_offsets that could not be read: logged and skipped by the loader. */
export class OffsetsRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OffsetsRecordError';
  }
}

// ---------------------------------------------------------------------------------------------------
// Writing

class Writer {
  readonly #chunks: Buffer[] = [];

  int16(value: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(value);
    this.#chunks.push(b);
    return this;
  }

  int32(value: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(value);
    this.#chunks.push(b);
    return this;
  }

  int64(value: number): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt(value));
    this.#chunks.push(b);
    return this;
  }

  string(value: string | null): this {
    if (value === null) return this.int16(-1);
    const bytes = Buffer.from(value, 'utf8');
    this.int16(bytes.length);
    this.#chunks.push(bytes);
    return this;
  }

  bytes(value: Buffer): this {
    this.int32(value.length);
    this.#chunks.push(value);
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

export function encodeOffsetKey(group: string, topic: string, partition: number): Buffer {
  return new Writer().int16(OFFSET_COMMIT_KEY_VERSION).string(group).string(topic).int32(partition).done();
}

export function encodeGroupKey(group: string): Buffer {
  return new Writer().int16(GROUP_METADATA_KEY_VERSION).string(group).done();
}

export function encodeOffsetValue(value: OffsetAndMetadata): Buffer {
  return new Writer()
    .int16(OFFSET_COMMIT_VALUE_VERSION)
    .int64(value.offset)
    .int32(value.leaderEpoch)
    .string(value.metadata)
    .int64(value.commitTimestampMs)
    .done();
}

export function encodeGroupValue(group: StoredGroup): Buffer {
  const writer = new Writer()
    .int16(GROUP_METADATA_VALUE_VERSION)
    .string(group.protocolType)
    .int32(group.generationId)
    .string(group.protocolName)
    .string(group.leaderId)
    .int64(group.currentStateTimestampMs)
    .int32(group.members.length);
  for (const member of group.members) {
    writer
      .string(member.memberId)
      .string(member.groupInstanceId)
      .string(member.clientId)
      .string(member.clientHost)
      .int32(member.rebalanceTimeoutMs)
      .int32(member.sessionTimeoutMs)
      .bytes(member.subscription)
      .bytes(member.assignment);
  }
  return writer.done();
}

// ---------------------------------------------------------------------------------------------------
// Reading: every length is checked against the bytes left before anything is sliced or allocated.

class Reader {
  #position = 0;
  readonly #buf: Buffer;

  constructor(buf: Buffer) {
    this.#buf = buf;
  }

  #need(bytes: number, what: string): void {
    if (bytes < 0 || this.#position + bytes > this.#buf.length) {
      throw new OffsetsRecordError(`truncated ${what} at byte ${this.#position} of ${this.#buf.length}`);
    }
  }

  int16(what: string): number {
    this.#need(2, what);
    const v = this.#buf.readInt16BE(this.#position);
    this.#position += 2;
    return v;
  }

  int32(what: string): number {
    this.#need(4, what);
    const v = this.#buf.readInt32BE(this.#position);
    this.#position += 4;
    return v;
  }

  int64(what: string): number {
    this.#need(8, what);
    const v = Number(this.#buf.readBigInt64BE(this.#position));
    this.#position += 8;
    return v;
  }

  nullableString(what: string): string | null {
    const length = this.int16(what);
    if (length === -1) return null;
    this.#need(length, what);
    const v = this.#buf.toString('utf8', this.#position, this.#position + length);
    this.#position += length;
    return v;
  }

  string(what: string): string {
    const v = this.nullableString(what);
    if (v === null) throw new OffsetsRecordError(`null ${what}`);
    return v;
  }

  bytes(what: string): Buffer {
    const length = this.int32(what);
    if (length === -1) return Buffer.alloc(0);
    this.#need(length, what);
    // A copy: the record's buffer is a view into a whole read of the log.
    const v = Buffer.from(this.#buf.subarray(this.#position, this.#position + length));
    this.#position += length;
    return v;
  }

  /** An array count, bounded by the bytes left (each element takes at least `minElementBytes`). */
  count(what: string, minElementBytes: number): number {
    const n = this.int32(what);
    if (n < 0 || n * minElementBytes > this.#buf.length - this.#position) {
      throw new OffsetsRecordError(`bad ${what} count ${n}`);
    }
    return n;
  }
}

export function decodeKey(key: Buffer): OffsetKey | GroupKey {
  const reader = new Reader(key);
  const version = reader.int16('key version');
  if (version === 0 || version === 1) {
    return {
      type: 'offset',
      group: reader.string('group'),
      topic: reader.string('topic'),
      partition: reader.int32('partition'),
    };
  }
  if (version === 2) return { type: 'group', group: reader.string('group') };
  throw new OffsetsRecordError(`unknown key version ${version}`);
}

export function decodeOffsetValue(value: Buffer): OffsetAndMetadata {
  const reader = new Reader(value);
  const version = reader.int16('offset value version');
  if (version < 0 || version > 3) throw new OffsetsRecordError(`unknown offset value version ${version}`);
  const offset = reader.int64('offset');
  const leaderEpoch = version >= 3 ? reader.int32('leader epoch') : -1;
  const metadata = reader.string('metadata');
  const commitTimestampMs = reader.int64('commit timestamp');
  const expireTimestampMs = version === 1 ? reader.int64('expire timestamp') : -1;
  return { offset, leaderEpoch, metadata, commitTimestampMs, expireTimestampMs };
}

export function decodeGroupValue(value: Buffer): StoredGroup {
  const reader = new Reader(value);
  const version = reader.int16('group value version');
  if (version < 0 || version > 3) throw new OffsetsRecordError(`unknown group value version ${version}`);
  const protocolType = reader.string('protocol type');
  const generationId = reader.int32('generation');
  const protocolName = reader.nullableString('protocol');
  const leaderId = reader.nullableString('leader');
  const currentStateTimestampMs = version >= 2 ? reader.int64('state timestamp') : -1;
  const memberCount = reader.count('members', 2);
  const members: StoredMember[] = [];
  for (let i = 0; i < memberCount; i++) {
    const memberId = reader.string('member id');
    const groupInstanceId = version >= 3 ? reader.nullableString('group instance id') : null;
    const clientId = reader.string('client id');
    const clientHost = reader.string('client host');
    const rebalanceTimeoutMs = version >= 1 ? reader.int32('rebalance timeout') : -1;
    const sessionTimeoutMs = reader.int32('session timeout');
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeoutMs: rebalanceTimeoutMs === -1 ? sessionTimeoutMs : rebalanceTimeoutMs,
      sessionTimeoutMs,
      subscription: reader.bytes('subscription'),
      assignment: reader.bytes('assignment'),
    });
  }
  return { protocolType, generationId, protocolName, leaderId, currentStateTimestampMs, members };
}

/**
 * The __consumer_offsets partition of a group: abs(Java's String.hashCode(group)) mod the partition
 * count, exactly as Kafka, so a group has the same coordinator partition on both systems.
 */
export function offsetsPartitionFor(groupId: string, partitionCount: number): number {
  let hash = 0;
  for (let i = 0; i < groupId.length; i++) hash = (Math.imul(hash, 31) + groupId.charCodeAt(i)) | 0;
  return (hash & 0x7fffffff) % partitionCount;
}
