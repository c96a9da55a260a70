// The generic Kafka codec against hand-checked bytes: a real client's ApiVersions v3 request
// (librdkafka 2.0.2, captured from kcat), classic and flexible encodings, tagged fields, and the
// bounds every length read off the wire must respect.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeMessage,
  encodeMessage,
  ProtocolDecodeError,
  Reader,
  Writer,
} from '../../../src/api/kafka/protocol/codec.ts';
import {
  decodeRequestHeaderPrefix,
  decodeRequestHeaderTags,
} from '../../../src/api/kafka/protocol/headers.ts';
import {
  API_VERSIONS,
  CREATE_TOPICS,
  METADATA,
  PRODUCE,
  SUPPORTED_APIS,
} from '../../../src/api/kafka/protocol/messages/index.ts';
import { inRange } from '../../../src/api/kafka/protocol/schema.ts';

function encode(schema: Parameters<typeof encodeMessage>[0], version: number, message: object): Buffer {
  const writer = new Writer();
  encodeMessage(schema, version, message, writer);
  return writer.toBuffer();
}

describe('Kafka protocol codec', () => {
  it('decodes the ApiVersions v3 request librdkafka sends', () => {
    // size 36 | api 18 v3 | correlation 1 | client id "rdkafka" | header tags 0 |
    // compact "librdkafka" | compact "2.0.2" | body tags 0
    const frame = Buffer.from(
      '000000240012000300000001000772646b61666b61000b6c696272646b61666b6106322e302e3200',
      'hex',
    );
    assert.equal(frame.readInt32BE(0), frame.length - 4);
    const reader = new Reader(frame, 4);
    const header = decodeRequestHeaderPrefix(reader);
    assert.deepEqual(header, { apiKey: 18, apiVersion: 3, correlationId: 1, clientId: 'rdkafka' });
    decodeRequestHeaderTags(reader);
    const body = decodeMessage(API_VERSIONS.request, 3, reader);
    assert.deepEqual(body, { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' });
    assert.equal(reader.remaining, 0);
  });

  it('encodes an ApiVersions v0 and v3 response byte for byte', () => {
    const message = {
      errorCode: 0,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
      throttleTimeMs: 7,
    };
    // v0: error i16 | array i32 count | key, min, max i16 (no throttle time)
    assert.equal(
      encode(API_VERSIONS.response, 0, message).toString('hex'),
      '0000' + '00000001' + '001200000003',
    );
    // v3: error | compact count (1+1) | key, min, max | element tags | throttle i32 | tags
    assert.equal(
      encode(API_VERSIONS.response, 3, message).toString('hex'),
      '0000' + '02' + '001200000003' + '00' + '00000007' + '00',
    );
  });

  it('round-trips a Metadata request: v0 empty = all, v1 null, v9 compact', () => {
    assert.deepEqual(decodeMessage(METADATA.request, 0, new Reader(Buffer.from('00000000', 'hex'))), {
      topics: [],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(decodeMessage(METADATA.request, 1, new Reader(Buffer.from('ffffffff', 'hex'))).topics, null);
    const v9 = encode(METADATA.request, 9, {
      topics: [{ name: 'ab' }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: true,
    });
    // compact array (1+1) | compact string "ab" (2+1) | element tags | auto | cluster ops | topic ops | tags
    assert.equal(v9.toString('hex'), '02' + '036162' + '00' + '00' + '00' + '01' + '00');
    assert.deepEqual(decodeMessage(METADATA.request, 9, new Reader(v9)).topics, [{ name: 'ab' }]);
  });

  it('carries produce records as the same bytes, classic lengths', () => {
    const records = Buffer.from('0102030405', 'hex');
    const bytes = encode(PRODUCE.request, 3, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 't', partitionData: [{ index: 0, records }] }],
    });
    assert.equal(
      bytes.toString('hex'),
      'ffff' +
        'ffff' +
        '000003e8' +
        '00000001' +
        '000174' +
        '00000001' +
        '00000000' +
        '00000005' +
        '0102030405',
    );
    const decoded = decodeMessage(PRODUCE.request, 3, new Reader(bytes));
    assert.deepEqual(decoded.topicData[0].partitionData[0].records, records);
  });

  it('writes tagged fields only when set, and skips unknown tags when reading', () => {
    const base = {
      name: 't',
      errorCode: 0,
      errorMessage: null,
      numPartitions: 1,
      replicationFactor: 1,
      configs: null,
    };
    const plain = encode(CREATE_TOPICS.response, 5, { throttleTimeMs: 0, topics: [base] });
    // throttle | count 1+1 | "t" | error | message null (0) | partitions | rf | configs null | tags 0 | tags 0
    assert.equal(
      plain.toString('hex'),
      '00000000' + '02' + '0274' + '0000' + '00' + '00000001' + '0001' + '00' + '00' + '00',
    );
    const tagged = encode(CREATE_TOPICS.response, 5, {
      throttleTimeMs: 0,
      topics: [{ ...base, topicConfigErrorCode: 29 }],
    });
    // element tags: count 1 | tag 0 | size 2 | 0x001d
    assert.ok(tagged.toString('hex').endsWith('01' + '00' + '02' + '001d' + '00'));
    assert.equal(
      decodeMessage(CREATE_TOPICS.response, 5, new Reader(tagged)).topics[0].topicConfigErrorCode,
      29,
    );
    // An unknown tag (7, 3 bytes) is skipped.
    const unknown = Buffer.concat([
      plain.subarray(0, plain.length - 2),
      Buffer.from('01070361626300', 'hex'),
    ]);
    assert.equal(decodeMessage(CREATE_TOPICS.response, 5, new Reader(unknown)).topics[0].name, 't');
  });

  it('refuses lengths beyond the frame before allocating', () => {
    const cases = [
      '7fffffff', // metadata v1: 2^31-1 topics in 4 bytes
      '00000001' + '7fff', // one topic whose name claims 32767 bytes
      '00000001' + 'fffe', // a negative string length
    ];
    for (const hex of cases) {
      assert.throws(
        () => decodeMessage(METADATA.request, 1, new Reader(Buffer.from(hex, 'hex'))),
        ProtocolDecodeError,
      );
    }
    // Flexible: a compact array count of 2^28 and an over-long varint.
    assert.throws(
      () => decodeMessage(METADATA.request, 9, new Reader(Buffer.from('8080808001', 'hex'))),
      ProtocolDecodeError,
    );
    assert.throws(
      () => decodeMessage(METADATA.request, 9, new Reader(Buffer.from('ffffffffff01', 'hex'))),
      ProtocolDecodeError,
    );
    // A non-nullable string that is null.
    assert.throws(
      () => decodeMessage(METADATA.request, 1, new Reader(Buffer.from('00000001ffff', 'hex'))),
      ProtocolDecodeError,
    );
  });
});

describe('Kafka message schemas', () => {
  it('round-trip a filled message at every version served, classic and flexible', () => {
    type Fields = Parameters<typeof encodeMessage>[0]['fields'];
    // A value for every field on the wire at `version` (absent fields decode to their defaults).
    const fill = (fields: Fields, version: number): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const f of fields) {
        if (!inRange(f.versions, version)) continue;
        const sample: Record<string, unknown> = {
          bool: true,
          int8: 3,
          int16: 300,
          uint16: 60000,
          int32: 70000,
          int64: 2 ** 40,
          string: `s-${f.name}`,
          bytes: Buffer.from('bb', 'hex'),
          records: Buffer.from('cc', 'hex'),
          '[]int32': [1, 2],
          '[]int64': [2 ** 33],
          '[]string': ['a', 'b'],
        };
        if (f.type === '[]struct') out[f.name] = [fill(f.fields ?? [], version)];
        else if (f.type === 'struct') out[f.name] = fill(f.fields ?? [], version);
        else out[f.name] = sample[f.type];
      }
      return out;
    };
    const stripAbsent = (fields: Fields, version: number, value: Record<string, unknown>): unknown => {
      const out: Record<string, unknown> = {};
      for (const f of fields) {
        if (!inRange(f.versions, version)) continue;
        const v = value[f.name];
        if (f.type === '[]struct')
          out[f.name] = (v as Record<string, unknown>[]).map((e) => stripAbsent(f.fields ?? [], version, e));
        else if (f.type === 'struct')
          out[f.name] = stripAbsent(f.fields ?? [], version, v as Record<string, unknown>);
        else out[f.name] = v;
      }
      return out;
    };
    let checked = 0;
    for (const api of SUPPORTED_APIS.values()) {
      for (let version = api.minVersion; version <= api.maxVersion; version++) {
        for (const schema of [api.request, api.response]) {
          const message = fill(schema.fields, version);
          const bytes = encode(schema, version, message);
          const reader = new Reader(bytes);
          const decoded = decodeMessage(schema, version, reader);
          assert.equal(reader.remaining, 0, `${schema.name} v${version} leaves no bytes`);
          assert.deepEqual(
            stripAbsent(schema.fields, version, decoded),
            message,
            `${schema.name} v${version}`,
          );
          checked++;
        }
      }
    }
    assert.ok(checked >= 100, `${checked} schema versions checked`);
  });
});
