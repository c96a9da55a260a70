// Hostile input at the Kafka listener: random frames, valid requests with bytes flipped, cut short or
// lengths inflated, and frame sizes up to 2^31-1. The broker must not crash, its memory must stay
// bounded, and a fresh connection must still be answered.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startCluster, type TestCluster } from '../helpers.ts';

/** Valid requests to mutate: ApiVersions v3 (librdkafka's bytes), Metadata v1 and v9, Produce v3. */
const SEEDS = [
  '0012000300000001000772646b61666b61000b6c696272646b61666b6106322e302e3200',
  '000300010000000200047465737400000001000174',
  '0003000900000003000474657374000203616200000000',
  '00000003000000040004746573740000ffff000003e8000000010001740000000100000000000000050102030405',
].map((hex) => Buffer.from(hex, 'hex'));

function frame(body: Buffer, size = body.length): Buffer {
  const header = Buffer.alloc(4);
  header.writeInt32BE(size);
  return Buffer.concat([header, body]);
}

/** Sends bytes on a fresh connection and waits until the broker answers, closes, or 300 ms pass. */
function throwAt(address: string, bytes: Buffer): Promise<void> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), host);
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.setTimeout(300, done);
    socket.on('error', done);
    socket.on('close', done);
    socket.on('data', () => undefined);
    socket.write(bytes);
  });
}

/** An ApiVersions v0 round trip on a new connection: the listener still serves. */
function apiVersions(address: string): Promise<Buffer> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), host);
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => reject(new Error('no answer')));
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) {
        socket.destroy();
        resolve(all.subarray(4, 4 + all.readInt32BE(0)));
      }
    });
    socket.write(frame(Buffer.from('0012000000000063000466757a7a', 'hex')));
  });
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

describe('Kafka listener under hostile frames', () => {
  let test: TestCluster;
  let address: string;

  before(async () => {
    test = await startCluster({ brokers: 1, kafkaListener: true });
    address = test.cluster.brokers[0]?.kafkaAddress ?? '';
  });
  after(async () => test?.stop());

  it('survives random and mutated frames, stays bounded, and serves the next connection', async () => {
    const broker = test.cluster.brokers[0]!;
    const rssBefore = rssBytes(broker.pid ?? 0);
    const mutated = fc
      .tuple(
        fc.constantFrom(...SEEDS),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(80),
      )
      .map(([seed, flips, cut]) => {
        const body = Buffer.from(seed);
        for (const [at, byte] of flips) body[at % body.length] = byte;
        return frame(body.subarray(0, Math.max(0, body.length - (cut % (body.length + 1)))));
      });
    const random = fc.uint8Array({ maxLength: 200 }).map((bytes) => frame(Buffer.from(bytes)));
    const rawBytes = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes));
    const hugeSize = fc
      .integer({ min: 0x7fff_0000, max: 0x7fff_ffff })
      .map((size) => frame(Buffer.from(SEEDS[0]!), size));
    const negativeSize = fc
      .integer({ min: -0x8000_0000, max: -1 })
      .map((size) => frame(Buffer.alloc(8), size));
    const pipelined = fc
      .array(fc.constantFrom(...SEEDS), { minLength: 2, maxLength: 20 })
      .map((seeds) => Buffer.concat(seeds.map((s) => frame(s))));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(mutated, random, rawBytes, hugeSize, negativeSize, pipelined),
        async (bytes) => {
          await throwAt(address, bytes);
        },
      ),
      { numRuns: 300 },
    );
    assert.ok(broker.running, 'the broker is still running');
    const answer = await apiVersions(address);
    assert.equal(answer.readInt32BE(0), 0x63, 'the correlation id comes back');
    assert.equal(answer.readInt16BE(4), 0, 'ApiVersions answers NONE');
    // Nothing was allocated for the frame sizes claimed: memory grew by far less than one of them.
    const grownBytes = rssBytes(broker.pid ?? 0) - rssBefore;
    assert.ok(grownBytes < 64 * 1024 * 1024, `RSS grew by ${grownBytes} bytes`);
  });

  it('answers a too-new ApiVersions with UNSUPPORTED_VERSION in the v0 shape', async () => {
    const [host, port] = address.split(':');
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const socket = net.connect(Number(port), host);
      const chunks: Buffer[] = [];
      socket.on('error', reject);
      socket.on('data', (d: Buffer) => {
        chunks.push(d);
        const all = Buffer.concat(chunks);
        if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) {
          socket.destroy();
          resolve(all.subarray(4));
        }
      });
      // ApiVersions v9, correlation 7, client "x", then bytes no v0-3 parser could read.
      socket.write(frame(Buffer.from('00120009000000070001780102030405', 'hex')));
    });
    assert.equal(answer.readInt32BE(0), 7);
    assert.equal(answer.readInt16BE(4), 35); // UNSUPPORTED_VERSION
    const count = answer.readInt32BE(6);
    assert.ok(count >= 11);
    assert.equal(answer.length, 4 + 2 + 4 + count * 6, 'v0 shape: no throttle time, no tags');
  });
});
