// The Kafka listener's framing on its own (no cluster): pipelined requests answered in order, an
// oversized or malformed frame closing only its own connection.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { KafkaApiContext } from '../../../src/api/kafka/kafka-apis.ts';
import { type KafkaServer, startKafkaServer } from '../../../src/api/kafka/kafka-server.ts';

function frame(hex: string): Buffer {
  const body = Buffer.from(hex, 'hex');
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** ApiVersions at `version` with `correlationId`, client id "t" (v3 adds empty software name/version). */
function apiVersions(version: number, correlationId: number): Buffer {
  const header = `0012${version.toString(16).padStart(4, '0')}${correlationId.toString(16).padStart(8, '0')}000174`;
  return frame(version >= 3 ? `${header}00010100` : header);
}

/** Collects answers until `count` frames arrived or the connection closed. */
function exchange(
  port: number,
  bytes: Buffer,
  count: number,
): Promise<{ frames: Buffer[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    const frames: Buffer[] = [];
    socket.setTimeout(5_000, () => reject(new Error('timed out')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ frames, closed: true }));
    socket.on('data', (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        frames.push(buffered.subarray(4, 4 + buffered.readInt32BE(0)));
        buffered = buffered.subarray(4 + buffered.readInt32BE(0));
      }
      if (frames.length >= count) {
        socket.destroy();
        resolve({ frames, closed: false });
      }
    });
    socket.write(bytes);
  });
}

describe('Kafka listener framing', () => {
  let server: KafkaServer;

  before(async () => {
    const context = {
      config: { socketRequestMaxBytes: 1024 },
      logger: pino({ level: 'silent' }),
    } as unknown as KafkaApiContext;
    server = await startKafkaServer(context, '127.0.0.1', 0);
  });
  after(async () => server?.close());

  it('answers pipelined requests in order, each with its correlation id', async () => {
    const requests = Array.from({ length: 40 }, (_, i) => apiVersions(i % 4, 1000 + i));
    const { frames } = await exchange(server.port, Buffer.concat(requests), 40);
    assert.deepEqual(
      frames.map((f) => f.readInt32BE(0)),
      requests.map((_, i) => 1000 + i),
    );
    for (const f of frames) assert.equal(f.readInt16BE(4), 0);
  });

  it('closes a connection whose frame exceeds socket.request.max.bytes, and serves the next', async () => {
    const size = Buffer.alloc(4);
    size.writeInt32BE(1025);
    const refused = await exchange(server.port, Buffer.concat([size, Buffer.alloc(16)]), 1);
    assert.deepEqual(refused, { frames: [], closed: true });
    const served = await exchange(server.port, apiVersions(3, 5), 1);
    assert.equal(served.frames[0]?.readInt32BE(0), 5);
  });

  it('closes a connection on an unknown api, after answering what came before it', async () => {
    const unknown = frame('7fff000000000009000174');
    const result = await exchange(
      server.port,
      Buffer.concat([apiVersions(1, 8), unknown, apiVersions(1, 10)]),
      3,
    );
    assert.equal(result.closed, true);
    assert.deepEqual(
      result.frames.map((f) => f.readInt32BE(0)),
      [8],
    );
  });
});
