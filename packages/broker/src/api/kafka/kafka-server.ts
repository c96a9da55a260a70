// The listener for KAFKA:// listeners: Kafka's wire protocol over TCP, so existing Kafka clients work
// unchanged. Frames are an int32 size then the request; the size is checked against
// socket.request.max.bytes before anything is allocated. Requests on one connection are handled
// concurrently (clients pipeline them) but answered in the order they came, as Kafka guarantees. A
// frame that does not parse closes its connection, and only that one.
import net from 'node:net';
import { ErrorCode } from '@sluice/protocol';
import type { Logger } from 'pino';
import { handleRequest, type KafkaApiContext } from './kafka-apis.ts';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  ProtocolDecodeError,
  Reader,
  Writer,
} from './protocol/codec.ts';
import {
  decodeRequestHeaderPrefix,
  decodeRequestHeaderTags,
  encodeResponseHeader,
} from './protocol/headers.ts';
import { API_VERSIONS, SUPPORTED_APIS, supportedApiKeys } from './protocol/messages/index.ts';
import { inRange } from './protocol/schema.ts';

/** Requests a connection may have in flight; past it the socket is paused (back-pressure, not memory). */
const MAX_IN_FLIGHT_PER_CONNECTION = 64;
const SIZE_BYTES = 4;
/** How long a failed connection may take to flush its last answers before it is cut. */
const CLOSE_GRACE_MS = 5_000;

export interface KafkaServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startKafkaServer(
  context: KafkaApiContext,
  host: string,
  port: number,
): Promise<KafkaServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    new KafkaConnection(context, socket);
  });
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`Cannot listen on ${host}:${port}: ${err.message}`)));
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
  server.on('error', (err) => context.logger.error({ err }, 'Kafka listener error'));
  return {
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One client connection: framing, in-order answers, and its end on a bad frame. */
class KafkaConnection {
  readonly #context: KafkaApiContext;
  readonly #socket: net.Socket;
  readonly #logger: Logger;
  /** Kafka's form of the peer address (InetAddress.toString without a host name): "/127.0.0.1". */
  readonly #clientHost: string;
  readonly #abort = new AbortController();
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #frameSize = -1;
  #inFlight = 0;
  /** Answers are written when this chain reaches them: in request order. */
  #tail: Promise<void> = Promise.resolve();
  #closed = false;
  /** Set once a bad frame arrived: nothing more is read. */
  #failed = false;

  constructor(context: KafkaApiContext, socket: net.Socket) {
    this.#context = context;
    this.#socket = socket;
    this.#clientHost = `/${socket.remoteAddress ?? ''}`;
    this.#logger = context.logger.child({ remote: `${socket.remoteAddress}:${socket.remotePort}` });
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('error', (err) => this.#logger.debug({ err }, 'Kafka connection error'));
    socket.once('close', () => {
      this.#closed = true;
      this.#abort.abort();
    });
  }

  #onData(chunk: Buffer): void {
    if (this.#failed) return;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    try {
      for (;;) {
        if (this.#frameSize < 0) {
          if (this.#pendingBytes < SIZE_BYTES) return;
          const size = this.#take(SIZE_BYTES).readInt32BE(0);
          const max = this.#context.config.socketRequestMaxBytes;
          if (size < 0 || size > max) {
            throw new ProtocolDecodeError(
              `Frame of ${size} bytes is outside 0..socket.request.max.bytes (${max})`,
            );
          }
          this.#frameSize = size;
        }
        if (this.#pendingBytes < this.#frameSize) return;
        const frame = this.#take(this.#frameSize);
        this.#frameSize = -1;
        this.#onFrame(frame);
        if (this.#closed || this.#failed) return;
      }
    } catch (err) {
      this.#fail(err);
    }
  }

  /** Removes `bytes` (already buffered) from the front of the pending chunks. */
  #take(bytes: number): Buffer {
    const whole =
      this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    const taken = whole.subarray(0, bytes);
    const rest = whole.subarray(bytes);
    this.#pending = rest.length > 0 ? [rest] : [];
    this.#pendingBytes = rest.length;
    return taken;
  }

  /**
   * Stops reading from a connection that sent something unreadable; answers to the requests before
   * it still go out, in order, then the connection closes.
   */
  #fail(err: unknown): void {
    if (this.#closed || this.#failed) return;
    this.#failed = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#socket.pause();
    this.#logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'closing Kafka connection');
    void this.#tail.then(() => {
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS).unref();
    });
  }

  #onFrame(frame: Buffer): void {
    const reader = new Reader(frame);
    const header = decodeRequestHeaderPrefix(reader);
    const api = SUPPORTED_APIS.get(header.apiKey);
    let response: Promise<{ body: Message; flexible: boolean; version: number } | null>;
    let schema = api?.response;
    if (api && header.apiVersion >= api.minVersion && header.apiVersion <= api.maxVersion) {
      if (inRange(api.request.flexibleVersions, header.apiVersion)) decodeRequestHeaderTags(reader);
      const body = decodeMessage(api.request, header.apiVersion, reader);
      // ApiVersions answers always use response header v0, so any client can read them.
      const flexible = api !== API_VERSIONS && inRange(api.response.flexibleVersions, header.apiVersion);
      const version = header.apiVersion;
      response = handleRequest(this.#context, header, body, this.#abort.signal, this.#clientHost).then(
        (answer) => (answer === null ? null : { body: answer, flexible, version }),
      );
    } else if (header.apiKey === API_VERSIONS.apiKey) {
      // As Kafka: a too-new ApiVersions gets UNSUPPORTED_VERSION in the v0 shape, with the real list.
      schema = API_VERSIONS.response;
      response = Promise.resolve({
        body: { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: supportedApiKeys() },
        flexible: false,
        version: 0,
      });
    } else {
      // As Kafka: a request this broker cannot parse (unknown api or version) ends the connection.
      throw new ProtocolDecodeError(
        `Unsupported API ${header.apiKey} version ${header.apiVersion} (client ${header.clientId})`,
      );
    }
    const responseSchema = schema;
    if (!responseSchema) throw new Error('no response schema');
    this.#inFlight++;
    if (this.#inFlight >= MAX_IN_FLIGHT_PER_CONNECTION) this.#socket.pause();
    const settled = response.then(
      (value) => ({ ok: true as const, value }),
      (err: unknown) => ({ ok: false as const, err }),
    );
    this.#tail = this.#tail.then(async () => {
      const result = await settled;
      this.#inFlight--;
      if (this.#inFlight < MAX_IN_FLIGHT_PER_CONNECTION && !this.#closed && !this.#failed)
        this.#socket.resume();
      if (this.#closed || this.#socket.writableEnded) return;
      if (!result.ok) {
        this.#logger.error({ err: result.err, apiKey: header.apiKey }, 'Kafka request failed');
        this.#fail(result.err);
        return;
      }
      if (result.value === null) return; // acks=0: Kafka sends no answer.
      const writer = new Writer();
      writer.int32(0); // size, patched below
      encodeResponseHeader(writer, header.correlationId, result.value.flexible);
      encodeMessage(responseSchema, result.value.version, result.value.body, writer);
      const chunks = writer.chunks();
      chunks[0]!.writeInt32BE(writer.size - SIZE_BYTES, 0);
      this.#socket.cork();
      for (const chunk of chunks) this.#socket.write(chunk);
      this.#socket.uncork();
    });
  }
}
