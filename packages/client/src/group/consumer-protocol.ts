// Kafka's ConsumerProtocol: the bytes a consumer puts in JoinGroup (Subscription) and the leader puts in
// SyncGroup (Assignment), plus the sticky assignor's user data. They are byte-identical to Kafka's Java
// client (clients/src/main/resources/common/message/ConsumerProtocol{Subscription,Assignment}.json and
// StickyAssignor's STICKY_ASSIGNOR_USER_DATA_V1) and to kafkajs (AssignerProtocol), so all three can share
// a group. Every format is non-flexible: int16-length strings, int32-length arrays and bytes, -1 = null.
//
// Wire grammar (all integers big-endian):
//   Subscription => version:int16 topics:[string] user_data:nullable_bytes
//                   owned_partitions:[topic:string partitions:[int32]]      (version 1+)
//   Assignment   => version:int16 assigned:[topic:string partitions:[int32]] user_data:nullable_bytes
//   StickyAssignorUserData (no version prefix) =>
//                   previous_assignment:[topic:string partitions:[int32]] generation:int32   (V1; V0 lacks it)
//
// Decoding is defensive because these bytes come from other members: every length is checked against
// what is left of the buffer before anything is allocated, and a bad buffer throws KafkaError
// INCONSISTENT_GROUP_PROTOCOL. As Kafka does, a version newer than we know is read by its known prefix
// (later versions only append fields) and trailing bytes are ignored.

import { ErrorCode, KafkaError } from '@sluice/protocol';
import type { Assignment, Subscription, TopicPartitions } from './assignor.ts';

/** The highest Subscription / Assignment version this codec writes (Kafka 2.7's latest). */
export const CONSUMER_PROTOCOL_LATEST_VERSION = 1;
/** Kafka's "no generation" in the sticky user data (AbstractStickyAssignor.DEFAULT_GENERATION). */
export const STICKY_DEFAULT_GENERATION = -1;

const INT16_MAX = 0x7fff;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

export interface DecodedSubscription extends Subscription {
  /** The version the sender wrote (may be above what this codec knows). */
  version: number;
}

export interface DecodedAssignment extends Assignment {
  version: number;
}

/** The sticky assignor's state a member sends in its subscription's user data. */
export interface StickyAssignorUserData {
  previousAssignment: TopicPartitions[];
  /** The generation of `previousAssignment`; null when the sender wrote V0 (no generation field). */
  generation: number | null;
}

function protocolError(what: string, detail: string): KafkaError {
  return new KafkaError(
    ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    `Malformed consumer protocol ${what}: ${detail}`,
  );
}

// --- encoding ------------------------------------------------------------------------------------

/** Collects encoded parts; the sizes are known per part, so one concat at the end. */
class Writer {
  readonly #parts: Buffer[] = [];

  int16(value: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(value, 0);
    this.#parts.push(b);
    return this;
  }

  int32(value: number): this {
    if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
      throw new RangeError(`${value} does not fit in an int32`);
    }
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(value, 0);
    this.#parts.push(b);
    return this;
  }

  string(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    if (bytes.length > INT16_MAX)
      throw new RangeError(`string of ${bytes.length} bytes exceeds ${INT16_MAX}`);
    this.int16(bytes.length);
    this.#parts.push(bytes);
    return this;
  }

  nullableBytes(value: Uint8Array | null): this {
    if (value === null) return this.int32(-1);
    this.int32(value.length);
    this.#parts.push(Buffer.from(value.buffer, value.byteOffset, value.length));
    return this;
  }

  topicPartitions(list: readonly TopicPartitions[]): this {
    this.int32(list.length);
    for (const { topic, partitions } of list) {
      this.string(topic);
      this.int32(partitions.length);
      for (const partition of partitions) this.int32(partition);
    }
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < 0 || version > CONSUMER_PROTOCOL_LATEST_VERSION) {
    throw new RangeError(
      `consumer protocol version ${version} is not one of 0..${CONSUMER_PROTOCOL_LATEST_VERSION}`,
    );
  }
}

/**
 * Kafka's ConsumerProtocolSubscription. Version 0 drops `ownedPartitions` (as Java does); version 1 is
 * what Kafka 2.7 writes.
 */
export function encodeSubscription(sub: Subscription, version = CONSUMER_PROTOCOL_LATEST_VERSION): Buffer {
  checkVersion(version);
  const w = new Writer().int16(version).int32(sub.topics.length);
  for (const topic of sub.topics) w.string(topic);
  w.nullableBytes(sub.userData);
  if (version >= 1) w.topicPartitions(sub.ownedPartitions);
  return w.toBuffer();
}

/** Kafka's ConsumerProtocolAssignment; versions 0 and 1 have the same layout. */
export function encodeAssignment(a: Assignment, version = CONSUMER_PROTOCOL_LATEST_VERSION): Buffer {
  checkVersion(version);
  return new Writer().int16(version).topicPartitions(a.partitions).nullableBytes(a.userData).toBuffer();
}

/**
 * The sticky assignor's user data, always written as V1 (Kafka writes V1 since 2.3). It has no version
 * prefix: readers tell V1 from V0 by whether the generation follows the array.
 */
export function encodeStickyAssignorUserData(data: StickyAssignorUserData): Buffer {
  return new Writer()
    .topicPartitions(data.previousAssignment)
    .int32(data.generation ?? STICKY_DEFAULT_GENERATION)
    .toBuffer();
}

// --- decoding ------------------------------------------------------------------------------------

/** A cursor over untrusted bytes: each read checks what is left first. */
class Reader {
  readonly #buf: Buffer;
  readonly #what: string;
  #offset = 0;

  constructor(buf: Buffer, what: string) {
    this.#buf = buf;
    this.#what = what;
  }

  get remaining(): number {
    return this.#buf.length - this.#offset;
  }

  #need(bytes: number, field: string): void {
    if (bytes > this.remaining) {
      throw protocolError(
        this.#what,
        `${field} needs ${bytes} bytes at offset ${this.#offset}, ${this.remaining} left`,
      );
    }
  }

  int16(field: string): number {
    this.#need(2, field);
    const v = this.#buf.readInt16BE(this.#offset);
    this.#offset += 2;
    return v;
  }

  int32(field: string): number {
    this.#need(4, field);
    const v = this.#buf.readInt32BE(this.#offset);
    this.#offset += 4;
    return v;
  }

  string(field: string): string {
    const length = this.int16(`${field} length`);
    if (length < 0) throw protocolError(this.#what, `non-nullable ${field} is null`);
    this.#need(length, field);
    const v = this.#buf.toString('utf8', this.#offset, this.#offset + length);
    this.#offset += length;
    return v;
  }

  nullableBytes(field: string): Buffer | null {
    const length = this.int32(`${field} length`);
    if (length === -1) return null;
    if (length < 0) throw protocolError(this.#what, `${field} has length ${length}`);
    this.#need(length, field);
    // A copy, so the caller's buffer (often a whole response) is not kept alive by a small slice.
    const v = Buffer.from(this.#buf.subarray(this.#offset, this.#offset + length));
    this.#offset += length;
    return v;
  }

  /** An array length, checked against the bytes left at `minElementBytes` each before any allocation. */
  arrayLength(field: string, minElementBytes: number): number {
    const length = this.int32(`${field} length`);
    if (length < 0) throw protocolError(this.#what, `non-nullable ${field} has length ${length}`);
    if (length * minElementBytes > this.remaining) {
      throw protocolError(
        this.#what,
        `${field} claims ${length} elements but only ${this.remaining} bytes are left`,
      );
    }
    return length;
  }

  topicPartitions(field: string): TopicPartitions[] {
    // Smallest element: an empty topic name (2) and an empty partition array (4).
    const count = this.arrayLength(field, 6);
    const list: TopicPartitions[] = [];
    for (let i = 0; i < count; i++) {
      const topic = this.string(`${field} topic`);
      const partitionCount = this.arrayLength(`${field} partitions`, 4);
      const partitions: number[] = [];
      for (let j = 0; j < partitionCount; j++) partitions.push(this.int32(`${field} partition`));
      list.push({ topic, partitions });
    }
    return list;
  }
}

function readVersion(r: Reader): number {
  const version = r.int16('version');
  if (version < 0)
    throw new KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `Unsupported version ${version}`);
  return version;
}

/** Decodes a member's JoinGroup metadata. Version 0 yields no owned partitions. */
export function decodeSubscription(buf: Buffer): DecodedSubscription {
  const r = new Reader(buf, 'subscription');
  const version = readVersion(r);
  const topicCount = r.arrayLength('topics', 2);
  const topics: string[] = [];
  for (let i = 0; i < topicCount; i++) topics.push(r.string('topic'));
  const userData = r.nullableBytes('user_data');
  const ownedPartitions = version >= 1 ? r.topicPartitions('owned_partitions') : [];
  return { version, topics, userData, ownedPartitions };
}

/**
 * Decodes a SyncGroup assignment. An empty buffer (what the coordinator hands a member the leader gave
 * nothing) is malformed here as in Kafka; the caller decides what an empty assignment means.
 */
export function decodeAssignment(buf: Buffer): DecodedAssignment {
  const r = new Reader(buf, 'assignment');
  const version = readVersion(r);
  const partitions = r.topicPartitions('assigned_partitions');
  const userData = r.nullableBytes('user_data');
  return { version, partitions, userData };
}

/** Reads V1 when the generation follows the previous assignment, V0 when the bytes end there. */
export function decodeStickyAssignorUserData(buf: Buffer): StickyAssignorUserData {
  const r = new Reader(buf, 'sticky assignor user data');
  const previousAssignment = r.topicPartitions('previous_assignment');
  const generation = r.remaining >= 4 ? r.int32('generation') : null;
  return { previousAssignment, generation };
}
