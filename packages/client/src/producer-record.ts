// What an application hands the producer and what it gets back: the record, its delivery report and
// the metadata of a stored record. Kept apart from the producer so that the accumulator, which holds
// records' callbacks, needs nothing of the producer itself.
import type { RecordHeader } from '@sluice/protocol';

export interface ProducerRecord {
  topic: string;
  key?: string | Buffer | null;
  value: string | Buffer | null;
  /** Explicit partition; otherwise the partitioner decides. */
  partition?: number;
  headers?: Record<string, string | Buffer | null>;
  /** CreateTime in ms; default now. */
  timestamp?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks=0: the broker does not answer. */
  offset: number;
  /** The record's CreateTime, or the broker's LogAppendTime when the topic uses it. */
  timestamp: number;
}

/** A delivery report: the error, or the record's metadata. */
export type DeliveryCallback = (err: Error | null, metadata: RecordMetadata | null) => void;

export function toBuffer(value: string | Buffer | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/** The record's headers in batch form; undefined when it has none (the common case allocates nothing). */
export function toRecordHeaders(headers: ProducerRecord['headers']): RecordHeader[] | undefined {
  if (headers === undefined) return undefined;
  const out: RecordHeader[] = [];
  for (const key in headers) {
    if (Object.hasOwn(headers, key)) out.push({ key, value: toBuffer(headers[key]) });
  }
  return out.length === 0 ? undefined : out;
}
