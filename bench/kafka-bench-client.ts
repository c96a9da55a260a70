// A minimal Kafka wire-protocol client for bench/kafka-listener.ts: requests encoded with the broker's
// own data-driven codec, int32 size-prefixed frames on one socket, correlation ids, any number of
// requests pipelined (the broker answers in order). Non-flexible versions only (request header v1,
// response header v0): enough for Produce v8 and Fetch v11. Not a client library: no retries, no
// metadata, no reconnection.
import net from 'node:net';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  Reader,
  Writer,
} from '../packages/broker/src/api/kafka/protocol/codec.ts';
import type { ApiSchemas } from '../packages/broker/src/api/kafka/protocol/schema.ts';
import { inRange } from '../packages/broker/src/api/kafka/protocol/schema.ts';

const SIZE_BYTES = 4;
const CLIENT_ID = Buffer.from('sluice-bench');

interface Waiting {
  readonly api: ApiSchemas;
  readonly version: number;
  resolve(message: Message): void;
  reject(err: Error): void;
}

export class KafkaBenchClient {
  readonly #socket: net.Socket;
  /** In request order: the broker answers in the order it was asked. */
  readonly #waiting = new Map<number, Waiting>();
  #nextCorrelationId = 1;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #frameSize = -1;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('error', (err) => this.#failAll(err));
    socket.on('close', () => this.#failAll(new Error('connection closed')));
  }

  static async connect(address: string): Promise<KafkaBenchClient> {
    const colon = address.lastIndexOf(':');
    const socket = net.connect(Number(address.slice(colon + 1)), address.slice(0, colon));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new KafkaBenchClient(socket);
  }

  request(api: ApiSchemas, version: number, body: Message): Promise<Message> {
    if (inRange(api.request.flexibleVersions, version))
      throw new Error('flexible versions are not supported');
    const correlationId = this.#nextCorrelationId++;
    const writer = new Writer();
    writer.int32(0); // size, patched below
    writer.int16(api.apiKey);
    writer.int16(version);
    writer.int32(correlationId);
    writer.int16(CLIENT_ID.length);
    writer.bytes(CLIENT_ID);
    encodeMessage(api.request, version, body, writer);
    const chunks = writer.chunks();
    chunks[0]!.writeInt32BE(writer.size - SIZE_BYTES, 0);
    const answer = new Promise<Message>((resolve, reject) => {
      this.#waiting.set(correlationId, { api, version, resolve, reject });
    });
    this.#socket.cork();
    for (const chunk of chunks) this.#socket.write(chunk);
    this.#socket.uncork();
    return answer;
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    for (;;) {
      if (this.#frameSize < 0) {
        if (this.#pendingBytes < SIZE_BYTES) return;
        this.#frameSize = this.#take(SIZE_BYTES).readInt32BE(0);
      }
      if (this.#pendingBytes < this.#frameSize) return;
      const frame = this.#take(this.#frameSize);
      this.#frameSize = -1;
      const reader = new Reader(frame);
      const correlationId = reader.int32();
      const waiting = this.#waiting.get(correlationId);
      if (!waiting) {
        this.#failAll(new Error(`answer to unknown correlation id ${correlationId}`));
        return;
      }
      this.#waiting.delete(correlationId);
      try {
        waiting.resolve(decodeMessage(waiting.api.response, waiting.version, reader));
      } catch (err) {
        waiting.reject(err as Error);
      }
    }
  }

  #take(bytes: number): Buffer {
    const whole =
      this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    const rest = whole.subarray(bytes);
    this.#pending = rest.length > 0 ? [rest] : [];
    this.#pendingBytes = rest.length;
    return whole.subarray(0, bytes);
  }

  #failAll(err: Error): void {
    for (const waiting of this.#waiting.values()) waiting.reject(err);
    this.#waiting.clear();
    this.#socket.destroy();
  }
}
