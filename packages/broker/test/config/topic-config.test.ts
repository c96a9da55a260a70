import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BrokerConfig } from '../../src/config/broker-config.ts';
import { loadBrokerConfig } from '../../src/config/broker-config.ts';
import { NO_DEFAULT } from '../../src/config/config-def.ts';
import { ConfigError } from '../../src/config/config-error.ts';
import { brokerConfigDefinition } from '../../src/config/definitions.ts';
import {
  describeTopicConfigs,
  effectiveTopicConfig,
  TOPIC_CONFIG_DEFINITIONS,
  validateTopicConfigs,
} from '../../src/config/topic-config.ts';

function broker(props: Record<string, string> = {}): BrokerConfig {
  return loadBrokerConfig(new Map(Object.entries({ 'zookeeper.connect': 'zk:2181', ...props })), {
    warn: () => {},
    hostname: 'h',
  });
}

function assertConfigError(run: () => unknown, key: string, message: string | RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.key, key);
    assert.ok(!error.message.includes('\n'));
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe('topic config definitions', () => {
  test('are Kafka 2.7 topic config names, sorted, each tied to a broker key that exists', () => {
    const names = TOPIC_CONFIG_DEFINITIONS.map((definition) => definition.name);
    assert.deepEqual(names, [...names].sort());
    assert.equal(new Set(names).size, names.length);
    for (const name of [
      'cleanup.policy',
      'compression.type',
      'delete.retention.ms',
      'file.delete.delay.ms',
      'flush.messages',
      'flush.ms',
      'index.interval.bytes',
      'max.compaction.lag.ms',
      'max.message.bytes',
      'message.timestamp.difference.max.ms',
      'message.timestamp.type',
      'min.cleanable.dirty.ratio',
      'min.compaction.lag.ms',
      'min.insync.replicas',
      'preallocate',
      'retention.bytes',
      'retention.ms',
      'segment.bytes',
      'segment.index.bytes',
      'segment.jitter.ms',
      'segment.ms',
      'unclean.leader.election.enable',
    ]) {
      assert.ok(names.includes(name), name);
    }
    for (const definition of TOPIC_CONFIG_DEFINITIONS) {
      if (definition.brokerKey !== null)
        assert.ok(brokerConfigDefinition(definition.brokerKey), definition.brokerKey);
    }
  });

  test("a default broker gives every topic config Kafka's topic default", () => {
    const defaults = broker();
    for (const definition of TOPIC_CONFIG_DEFINITIONS) {
      assert.notEqual(definition.default, NO_DEFAULT);
      assert.deepEqual(definition.inherit(defaults), definition.default, definition.name);
    }
  });
});

describe('validateTopicConfigs', () => {
  test('accepts valid overrides', () => {
    validateTopicConfigs({});
    validateTopicConfigs({
      'cleanup.policy': 'compact,delete',
      'retention.ms': '-1',
      'retention.bytes': '-1',
      'segment.bytes': '14',
      'min.insync.replicas': '2',
      'max.message.bytes': '2000000',
      'message.timestamp.type': 'LogAppendTime',
      'compression.type': 'zstd',
      'min.cleanable.dirty.ratio': '0.1',
      'unclean.leader.election.enable': 'true',
      'leader.replication.throttled.replicas': '0:1,1:2',
      'follower.replication.throttled.replicas': '*',
      'message.format.version': '2.7-IV2',
    });
  });

  test('an unknown name is an error naming it', () => {
    assertConfigError(
      () => validateTopicConfigs({ 'retention.hours': '1' }),
      'retention.hours',
      'Unknown topic config name: retention.hours',
    );
    // A broker key is not a topic key.
    assertConfigError(
      () => validateTopicConfigs({ 'log.retention.ms': '1' }),
      'log.retention.ms',
      /^Unknown topic config name/,
    );
  });

  test('an invalid value is an error naming the key and the reason', () => {
    const cases: [Record<string, string>, string, string][] = [
      [
        { 'retention.ms': 'abc' },
        'retention.ms',
        'Invalid value abc for configuration retention.ms: Not a number of type LONG',
      ],
      [
        { 'retention.ms': '-2' },
        'retention.ms',
        'Invalid value -2 for configuration retention.ms: Value must be at least -1',
      ],
      [
        { 'segment.bytes': '13' },
        'segment.bytes',
        'Invalid value 13 for configuration segment.bytes: Value must be at least 14',
      ],
      [
        { 'segment.ms': '0' },
        'segment.ms',
        'Invalid value 0 for configuration segment.ms: Value must be at least 1',
      ],
      [
        { 'min.insync.replicas': '0' },
        'min.insync.replicas',
        'Invalid value 0 for configuration min.insync.replicas: Value must be at least 1',
      ],
      [
        { 'min.cleanable.dirty.ratio': '1.5' },
        'min.cleanable.dirty.ratio',
        'Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1',
      ],
      [
        { 'cleanup.policy': 'compact,archive' },
        'cleanup.policy',
        'Invalid value archive for configuration cleanup.policy: String must be one of: compact, delete',
      ],
      [
        { 'message.timestamp.type': 'BrokerTime' },
        'message.timestamp.type',
        'Invalid value BrokerTime for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime',
      ],
      [
        { 'compression.type': 'GZIP' },
        'compression.type',
        'Invalid value GZIP for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer',
      ],
      [
        { 'unclean.leader.election.enable': '1' },
        'unclean.leader.election.enable',
        'Invalid value 1 for configuration unclean.leader.election.enable: Expected value to be either true or false',
      ],
      [
        { 'max.message.bytes': '3000000000' },
        'max.message.bytes',
        'Invalid value 3000000000 for configuration max.message.bytes: Not a number of type INT',
      ],
    ];
    for (const [configs, key, message] of cases) {
      assertConfigError(() => validateTopicConfigs(configs), key, message);
    }
  });

  test('throttled replica lists take * or partition:broker pairs', () => {
    assertConfigError(
      () => validateTopicConfigs({ 'leader.replication.throttled.replicas': '0-1' }),
      'leader.replication.throttled.replicas',
      /must be the literal '\*' or a list of replicas/,
    );
  });

  test('min.compaction.lag.ms may not exceed max.compaction.lag.ms', () => {
    assertConfigError(
      () => validateTopicConfigs({ 'min.compaction.lag.ms': '2000', 'max.compaction.lag.ms': '1000' }),
      'min.compaction.lag.ms',
      'conflict topic config setting min.compaction.lag.ms (2000) > max.compaction.lag.ms (1000)',
    );
  });
});

describe('effectiveTopicConfig', () => {
  test('inherits the broker values, precedences resolved', () => {
    const config = effectiveTopicConfig(
      broker({
        'log.retention.minutes': '5',
        'log.roll.hours': '1',
        'log.segment.bytes': '1048576',
        'message.max.bytes': '2000000',
        'min.insync.replicas': '2',
        'log.flush.scheduler.interval.ms': '1000',
        'log.cleanup.policy': 'compact',
        'log.message.timestamp.type': 'LogAppendTime',
        'log.index.interval.bytes': '1024',
        'log.index.size.max.bytes': '4096',
        'log.retention.bytes': '1000000',
        'unclean.leader.election.enable': 'true',
        'compression.type': 'LZ4',
      }),
      {},
    );
    assert.equal(config.retentionMs, 300000);
    assert.equal(config.segmentMs, 3600000);
    assert.equal(config.segmentBytes, 1048576);
    assert.equal(config.maxMessageBytes, 2000000);
    assert.equal(config.minInsyncReplicas, 2);
    assert.equal(config.flushMs, 1000);
    assert.equal(config.flushMessages, Number.MAX_SAFE_INTEGER);
    assert.deepEqual(config.cleanupPolicy, ['compact']);
    assert.equal(config.messageTimestampType, 'LogAppendTime');
    assert.equal(config.indexIntervalBytes, 1024);
    assert.equal(config.segmentIndexBytes, 4096);
    assert.equal(config.retentionBytes, 1000000);
    assert.equal(config.uncleanLeaderElectionEnable, true);
    assert.equal(config.compressionType, 'lz4');
  });

  test('topic overrides win over the broker', () => {
    const config = effectiveTopicConfig(broker({ 'log.retention.hours': '1' }), {
      'retention.ms': '86400000',
      'cleanup.policy': 'compact,delete',
      'segment.bytes': '1024',
      'min.insync.replicas': '3',
      'max.message.bytes': '100',
      'flush.messages': '1',
    });
    assert.equal(config.retentionMs, 86400000);
    assert.deepEqual(config.cleanupPolicy, ['compact', 'delete']);
    assert.equal(config.segmentBytes, 1024);
    assert.equal(config.minInsyncReplicas, 3);
    assert.equal(config.maxMessageBytes, 100);
    assert.equal(config.flushMessages, 1);
    assert.equal(config.segmentMs, 7 * 24 * 3600000);
  });

  test('is frozen and rejects invalid overrides', () => {
    const config = effectiveTopicConfig(broker(), {});
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.cleanupPolicy));
    assertConfigError(
      () => effectiveTopicConfig(broker(), { 'segment.bytes': 'big' }),
      'segment.bytes',
      /Not a number of type INT$/,
    );
  });
});

describe('describeTopicConfigs', () => {
  test('lists every topic config with its value and source', () => {
    const described = describeTopicConfigs(broker({ 'log.retention.hours': '1' }), {
      'retention.ms': ' 1000 ',
      'cleanup.policy': 'compact , delete',
    });
    assert.deepEqual(
      Object.keys(described),
      TOPIC_CONFIG_DEFINITIONS.map((definition) => definition.name),
    );
    assert.deepEqual(described['retention.ms'], { value: '1000', source: 'TOPIC' });
    assert.deepEqual(described['cleanup.policy'], { value: 'compact,delete', source: 'TOPIC' });
    assert.deepEqual(described['segment.ms'], { value: '604800000', source: 'DEFAULT' });
    assert.deepEqual(described['flush.messages'], { value: '9223372036854775807', source: 'DEFAULT' });
    assert.deepEqual(described['max.message.bytes'], { value: '1048588', source: 'DEFAULT' });
    assert.deepEqual(described.preallocate, { value: 'false', source: 'DEFAULT' });
  });

  test('shows the resolved broker value as the default', () => {
    const described = describeTopicConfigs(broker({ 'log.retention.hours': '1' }), {});
    assert.deepEqual(described['retention.ms'], { value: '3600000', source: 'DEFAULT' });
  });

  test('rejects invalid overrides', () => {
    assertConfigError(
      () => describeTopicConfigs(broker(), { bogus: '1' }),
      'bogus',
      'Unknown topic config name: bogus',
    );
  });
});
