import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatConfigValue,
  LONG_MAX_VALUE,
  NO_DEFAULT,
  parseConfigValue,
} from '../../src/config/config-def.ts';
import { BROKER_CONFIG_DEFINITIONS, brokerConfigDefinition } from '../../src/config/definitions.ts';
import { TOPIC_CONFIG_DEFINITIONS } from '../../src/config/topic-config.ts';

// Kafka 2.7's defaults (kafka.server.Defaults), written out independently of the table under test.
const KAFKA_DEFAULTS: Record<string, unknown> = {
  'broker.id': -1,
  'broker.id.generation.enable': true,
  'reserved.broker.max.id': 1000,
  'log.dir': '/tmp/kafka-logs',
  'log.dirs': null,
  'num.partitions': 1,
  'default.replication.factor': 1,
  'min.insync.replicas': 1,
  'zookeeper.session.timeout.ms': 18000,
  'zookeeper.connection.timeout.ms': null,
  'zookeeper.max.in.flight.requests': 10,
  'log.segment.bytes': 1073741824,
  'log.roll.ms': null,
  'log.roll.hours': 168,
  'log.index.size.max.bytes': 10485760,
  'log.index.interval.bytes': 4096,
  'log.retention.ms': null,
  'log.retention.minutes': null,
  'log.retention.hours': 168,
  'log.retention.bytes': -1,
  'log.retention.check.interval.ms': 300000,
  'log.segment.delete.delay.ms': 60000,
  'log.flush.interval.messages': LONG_MAX_VALUE,
  'log.flush.interval.ms': null,
  'log.flush.scheduler.interval.ms': LONG_MAX_VALUE,
  'log.flush.offset.checkpoint.interval.ms': 60000,
  'log.cleanup.policy': ['delete'],
  'log.message.timestamp.type': 'CreateTime',
  'auto.create.topics.enable': true,
  'delete.topic.enable': true,
  'auto.leader.rebalance.enable': true,
  'leader.imbalance.check.interval.seconds': 300,
  'leader.imbalance.per.broker.percentage': 10,
  'message.max.bytes': 1048588,
  'replica.lag.time.max.ms': 30000,
  'replica.fetch.wait.max.ms': 500,
  'replica.fetch.min.bytes': 1,
  'replica.fetch.max.bytes': 1048576,
  'replica.fetch.response.max.bytes': 10485760,
  'replica.high.watermark.checkpoint.interval.ms': 5000,
  'num.replica.fetchers': 1,
  'unclean.leader.election.enable': false,
  'controlled.shutdown.enable': true,
  'controlled.shutdown.max.retries': 3,
  'controlled.shutdown.retry.backoff.ms': 5000,
  'offsets.topic.replication.factor': 3,
  'offsets.topic.num.partitions': 50,
  'offsets.retention.minutes': 10080,
  'offsets.commit.timeout.ms': 5000,
  'group.initial.rebalance.delay.ms': 3000,
  'group.min.session.timeout.ms': 6000,
  'group.max.session.timeout.ms': 1800000,
  'num.network.threads': 3,
  'num.io.threads': 8,
  'socket.request.max.bytes': 104857600,
  'socket.send.buffer.bytes': 102400,
  'socket.receive.buffer.bytes': 102400,
  'request.timeout.ms': 30000,
  'compression.type': 'producer',
  'num.recovery.threads.per.data.dir': 1,
  'log.cleaner.enable': true,
  'queued.max.requests': 500,
  'broker.rack': null,
  listeners: 'GRPC://:9092',
  'advertised.listeners': null,
};

describe('broker config definitions', () => {
  test('have the names and defaults of Kafka 2.7', () => {
    for (const [name, expected] of Object.entries(KAFKA_DEFAULTS)) {
      const definition = brokerConfigDefinition(name);
      assert.ok(definition, `${name} is defined`);
      assert.deepEqual(definition.default, expected, name);
    }
  });

  test('zookeeper.connect is the only required key', () => {
    const required = BROKER_CONFIG_DEFINITIONS.filter((definition) => definition.default === NO_DEFAULT);
    assert.deepEqual(
      required.map((definition) => definition.name),
      ['zookeeper.connect'],
    );
  });

  test('names are unique and lower-case dotted', () => {
    const names = BROKER_CONFIG_DEFINITIONS.map((definition) => definition.name);
    assert.equal(new Set(names).size, names.length);
    for (const name of names) assert.match(name, /^[a-z]+(\.[a-z]+)*$/, name);
  });

  test('every default passes its own type and validator (round trip through its text)', () => {
    for (const definition of [...BROKER_CONFIG_DEFINITIONS, ...TOPIC_CONFIG_DEFINITIONS]) {
      if (definition.default === NO_DEFAULT || definition.default === null) continue;
      if (definition.type === 'password') continue;
      const text = formatConfigValue(definition, definition.default);
      assert.notEqual(text, null);
      assert.deepEqual(parseConfigValue(definition, text!), definition.default, definition.name);
    }
  });

  test('every row has a one-line doc', () => {
    for (const definition of [...BROKER_CONFIG_DEFINITIONS, ...TOPIC_CONFIG_DEFINITIONS]) {
      assert.ok(definition.doc.length > 0 && !definition.doc.includes('\n'), definition.name);
    }
  });
});

describe('parseConfigValue', () => {
  const int = brokerConfigDefinition('num.partitions')!;
  const long = brokerConfigDefinition('log.retention.bytes')!;
  const short = brokerConfigDefinition('offsets.topic.replication.factor')!;
  const double = brokerConfigDefinition('log.cleaner.min.cleanable.ratio')!;
  const bool = brokerConfigDefinition('delete.topic.enable')!;
  const list = brokerConfigDefinition('log.cleanup.policy')!;

  test('trims and parses numbers within their Java type', () => {
    assert.equal(parseConfigValue(int, ' 12 '), 12);
    assert.equal(parseConfigValue(int, '+3'), 3);
    assert.equal(parseConfigValue(int, '2147483647'), 2147483647);
    assert.throws(() => parseConfigValue(int, '2147483648'), /Not a number of type INT$/);
    assert.throws(() => parseConfigValue(short, '32768'), /Not a number of type SHORT$/);
    assert.throws(() => parseConfigValue(int, '1.5'), /Not a number of type INT$/);
    assert.throws(() => parseConfigValue(int, ''), /Not a number of type INT$/);
    assert.equal(parseConfigValue(long, '-1'), -1);
    assert.throws(() => parseConfigValue(long, '9223372036854775808'), /Not a number of type LONG$/);
  });

  test('maps longs past 2^53, Long.MAX_VALUE included, to Number.MAX_SAFE_INTEGER', () => {
    assert.equal(parseConfigValue(long, '9223372036854775807'), Number.MAX_SAFE_INTEGER);
    assert.equal(parseConfigValue(long, '9007199254740993'), Number.MAX_SAFE_INTEGER);
    assert.equal(parseConfigValue(long, '-9223372036854775808'), Number.MIN_SAFE_INTEGER);
    assert.equal(formatConfigValue(long, LONG_MAX_VALUE), '9223372036854775807');
  });

  test('parses doubles', () => {
    assert.equal(parseConfigValue(double, '0.25'), 0.25);
    assert.equal(parseConfigValue(double, '1e-1'), 0.1);
    assert.throws(() => parseConfigValue(double, 'half'), /Not a number of type DOUBLE$/);
  });

  test('parses booleans in any case, nothing else', () => {
    assert.equal(parseConfigValue(bool, 'TRUE'), true);
    assert.equal(parseConfigValue(bool, ' false '), false);
    assert.throws(
      () => parseConfigValue(bool, 'yes'),
      /^ConfigError: Invalid value yes for configuration delete.topic.enable: Expected value to be either true or false$/,
    );
  });

  test('splits lists on commas with whitespace; an empty text is an empty list', () => {
    assert.deepEqual(parseConfigValue(list, 'compact , delete'), ['compact', 'delete']);
    assert.deepEqual(parseConfigValue(list, '  '), []);
    assert.throws(() => parseConfigValue(list, 'compact,,delete'), /Invalid value {2}for configuration/);
  });

  test('hides password values in errors', () => {
    const password = brokerConfigDefinition('ssl.keystore.password')!;
    assert.equal(parseConfigValue(password, 's3cret'), 's3cret');
    assert.equal(formatConfigValue(password, 's3cret'), '[hidden]');
  });
});
