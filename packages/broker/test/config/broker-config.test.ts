import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BrokerConfig } from '../../src/config/broker-config.ts';
import { loadBrokerConfig } from '../../src/config/broker-config.ts';
import { ConfigError } from '../../src/config/config-error.ts';
import { parseProperties } from '../../src/config/properties.ts';

const ZOOKEEPER = { 'zookeeper.connect': 'localhost:2181' };

function load(props: Record<string, string>, warnings: string[] = []): BrokerConfig {
  return loadBrokerConfig(new Map(Object.entries({ ...ZOOKEEPER, ...props })), {
    warn: (message) => warnings.push(message),
    hostname: 'broker.example',
  });
}

/** Asserts that loading throws a one-line ConfigError for `key` with exactly `message`. */
function assertConfigError(props: Record<string, string>, key: string, message: string | RegExp): void {
  assert.throws(
    () => load(props),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.equal(error.key, key);
      assert.ok(!error.message.includes('\n'), 'one line');
      if (typeof message === 'string') assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    },
  );
}

const HOUR_MS = 3600000;

describe('loadBrokerConfig defaults', () => {
  test('match Kafka 2.7 for a server.properties holding only zookeeper.connect', () => {
    const config = load({});
    const expected: Partial<Record<keyof BrokerConfig, unknown>> = {
      zookeeperConnect: 'localhost:2181',
      zookeeperSessionTimeoutMs: 18000,
      zookeeperConnectionTimeoutMs: 18000,
      zookeeperMaxInFlightRequests: 10,
      brokerId: -1,
      brokerIdGenerationEnable: true,
      reservedBrokerMaxId: 1000,
      brokerRack: null,
      interBrokerListenerName: 'GRPC',
      socketRequestMaxBytes: 104857600,
      queuedMaxRequests: 500,
      requestTimeoutMs: 30000,
      connectionsMaxIdleMs: 600000,
      logDirs: ['/tmp/kafka-logs'],
      numPartitions: 1,
      defaultReplicationFactor: 1,
      minInsyncReplicas: 1,
      logSegmentBytes: 1073741824,
      logRollMs: 168 * HOUR_MS,
      logRollJitterMs: 0,
      logRetentionMs: 168 * HOUR_MS,
      logRetentionBytes: -1,
      logRetentionCheckIntervalMs: 300000,
      logSegmentDeleteDelayMs: 60000,
      logIndexSizeMaxBytes: 10485760,
      logIndexIntervalBytes: 4096,
      logFlushIntervalMessages: Number.MAX_SAFE_INTEGER,
      logFlushIntervalMs: Number.MAX_SAFE_INTEGER,
      logFlushSchedulerIntervalMs: Number.MAX_SAFE_INTEGER,
      logFlushOffsetCheckpointIntervalMs: 60000,
      logFlushStartOffsetCheckpointIntervalMs: 60000,
      logCleanupPolicy: ['delete'],
      logCleanerEnable: true,
      logCleanerDeleteRetentionMs: 86400000,
      logCleanerMinCompactionLagMs: 0,
      logCleanerMaxCompactionLagMs: Number.MAX_SAFE_INTEGER,
      logCleanerMinCleanableRatio: 0.5,
      logPreallocate: false,
      logMessageTimestampType: 'CreateTime',
      logMessageTimestampDifferenceMaxMs: Number.MAX_SAFE_INTEGER,
      numRecoveryThreadsPerDataDir: 1,
      autoCreateTopicsEnable: true,
      deleteTopicEnable: true,
      messageMaxBytes: 1048588,
      compressionType: 'producer',
      fetchMaxBytes: 57671680,
      controllerSocketTimeoutMs: 30000,
      replicaLagTimeMaxMs: 30000,
      replicaSocketTimeoutMs: 30000,
      replicaFetchMaxBytes: 1048576,
      replicaFetchWaitMaxMs: 500,
      replicaFetchMinBytes: 1,
      replicaFetchResponseMaxBytes: 10485760,
      replicaFetchBackoffMs: 1000,
      numReplicaFetchers: 1,
      replicaHighWatermarkCheckpointIntervalMs: 5000,
      autoLeaderRebalanceEnable: true,
      leaderImbalancePerBrokerPercentage: 10,
      leaderImbalanceCheckIntervalSeconds: 300,
      uncleanLeaderElectionEnable: false,
      controlledShutdownEnable: true,
      controlledShutdownMaxRetries: 3,
      controlledShutdownRetryBackoffMs: 5000,
      groupMinSessionTimeoutMs: 6000,
      groupMaxSessionTimeoutMs: 1800000,
      groupInitialRebalanceDelayMs: 3000,
      groupMaxSize: 2147483647,
      offsetMetadataMaxBytes: 4096,
      offsetsLoadBufferSize: 5242880,
      offsetsTopicReplicationFactor: 3,
      offsetsTopicNumPartitions: 50,
      offsetsTopicSegmentBytes: 104857600,
      offsetsTopicCompressionCodec: 0,
      offsetsRetentionMinutes: 10080,
      offsetsRetentionCheckIntervalMs: 600000,
      offsetsCommitTimeoutMs: 5000,
      offsetsCommitRequiredAcks: -1,
    };
    for (const [field, value] of Object.entries(expected)) {
      assert.deepEqual(config[field as keyof BrokerConfig], value, field);
    }
  });

  test('listen on GRPC://:9092 and advertise the host name', () => {
    const config = load({});
    assert.deepEqual(config.listeners, [{ name: 'GRPC', protocol: 'GRPC', host: '', port: 9092 }]);
    assert.deepEqual(config.advertisedListeners, [
      { name: 'GRPC', protocol: 'GRPC', host: 'broker.example', port: 9092 },
    ]);
    assert.deepEqual(Object.fromEntries(config.listenerSecurityProtocolMap), {
      GRPC: 'GRPC',
      KAFKA: 'KAFKA',
    });
  });

  test('advertise os.hostname() when no hostname option is given', async () => {
    const { hostname } = await import('node:os');
    const config = loadBrokerConfig(new Map(Object.entries(ZOOKEEPER)), { warn: () => {} });
    assert.equal(config.advertisedListeners[0]?.host, hostname());
  });

  test('zookeeper.connect is required', () => {
    assert.throws(
      () => loadBrokerConfig(new Map(), { warn: () => {} }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.key === 'zookeeper.connect' &&
        error.message === 'Missing required configuration "zookeeper.connect" which has no default value.',
    );
    assertConfigError(
      { 'zookeeper.connect': '  ' },
      'zookeeper.connect',
      'Invalid value  for configuration zookeeper.connect: String may not be empty',
    );
  });
});

describe('loadBrokerConfig precedences', () => {
  test('log.dirs wins over log.dir, which is used alone otherwise', () => {
    assert.deepEqual(load({ 'log.dir': '/one', 'log.dirs': '/a, /b,,/c ' }).logDirs, ['/a', '/b', '/c']);
    assert.deepEqual(load({ 'log.dir': '/one' }).logDirs, ['/one']);
  });

  test('an empty log.dirs is an error', () => {
    assertConfigError(
      { 'log.dirs': ' , ' },
      'log.dirs',
      'At least one log directory must be defined via log.dirs or log.dir.',
    );
  });

  test('log.retention.ms wins over minutes, which win over hours', () => {
    const all = { 'log.retention.ms': '1234', 'log.retention.minutes': '5', 'log.retention.hours': '6' };
    assert.equal(load(all).logRetentionMs, 1234);
    assert.equal(
      load({ 'log.retention.minutes': '5', 'log.retention.hours': '6' }).logRetentionMs,
      5 * 60000,
    );
    assert.equal(load({ 'log.retention.hours': '6' }).logRetentionMs, 6 * HOUR_MS);
  });

  test('any negative retention means no limit (-1)', () => {
    assert.equal(load({ 'log.retention.ms': '-1' }).logRetentionMs, -1);
    assert.equal(load({ 'log.retention.ms': '-5' }).logRetentionMs, -1);
    assert.equal(load({ 'log.retention.minutes': '-1' }).logRetentionMs, -1);
    assert.equal(load({ 'log.retention.hours': '-1' }).logRetentionMs, -1);
  });

  test('a zero retention is an error naming the key that set it', () => {
    assertConfigError(
      { 'log.retention.ms': '0' },
      'log.retention.ms',
      /^Invalid value 0 for configuration log\.retention\.ms: /,
    );
    assertConfigError({ 'log.retention.minutes': '0' }, 'log.retention.minutes', /log\.retention\.minutes/);
    assertConfigError({ 'log.retention.hours': '0' }, 'log.retention.hours', /log\.retention\.hours/);
  });

  test('log.roll.ms wins over log.roll.hours', () => {
    assert.equal(load({ 'log.roll.ms': '60000', 'log.roll.hours': '2' }).logRollMs, 60000);
    assert.equal(load({ 'log.roll.hours': '2' }).logRollMs, 2 * HOUR_MS);
    assertConfigError(
      { 'log.roll.ms': '0' },
      'log.roll.ms',
      'Invalid value 0 for configuration log.roll.ms: Value must be at least 1',
    );
    assertConfigError(
      { 'log.roll.hours': '0' },
      'log.roll.hours',
      'Invalid value 0 for configuration log.roll.hours: Value must be at least 1',
    );
  });

  test('log.roll.jitter.ms wins over log.roll.jitter.hours', () => {
    assert.equal(load({ 'log.roll.jitter.ms': '500', 'log.roll.jitter.hours': '1' }).logRollJitterMs, 500);
    assert.equal(load({ 'log.roll.jitter.hours': '1' }).logRollJitterMs, HOUR_MS);
  });

  test('log.flush.interval.ms falls back to log.flush.scheduler.interval.ms', () => {
    assert.equal(load({ 'log.flush.scheduler.interval.ms': '3000' }).logFlushIntervalMs, 3000);
    assert.equal(
      load({ 'log.flush.scheduler.interval.ms': '3000', 'log.flush.interval.ms': '1000' }).logFlushIntervalMs,
      1000,
    );
  });

  test('zookeeper.connection.timeout.ms falls back to zookeeper.session.timeout.ms', () => {
    assert.equal(load({ 'zookeeper.session.timeout.ms': '6000' }).zookeeperConnectionTimeoutMs, 6000);
    const both = { 'zookeeper.session.timeout.ms': '6000', 'zookeeper.connection.timeout.ms': '9000' };
    assert.equal(load(both).zookeeperConnectionTimeoutMs, 9000);
  });

  test('advertised.listeners defaults to listeners; given, it is used as is', () => {
    const derived = load({ listeners: 'GRPC://10.0.0.5:9092,KAFKA://:9093' });
    assert.deepEqual(derived.advertisedListeners, [
      { name: 'GRPC', protocol: 'GRPC', host: '10.0.0.5', port: 9092 },
      { name: 'KAFKA', protocol: 'KAFKA', host: 'broker.example', port: 9093 },
    ]);
    const given = load({ listeners: 'GRPC://:9092', 'advertised.listeners': 'GRPC://public.example:19092' });
    assert.deepEqual(given.listeners, [{ name: 'GRPC', protocol: 'GRPC', host: '', port: 9092 }]);
    assert.deepEqual(given.advertisedListeners, [
      { name: 'GRPC', protocol: 'GRPC', host: 'public.example', port: 19092 },
    ]);
  });
});

describe('loadBrokerConfig invalid values', () => {
  test('a non-number is named with its key and expected type, in Kafka words', () => {
    assertConfigError(
      { 'num.partitions': 'abc' },
      'num.partitions',
      'Invalid value abc for configuration num.partitions: Not a number of type INT',
    );
    assertConfigError(
      { 'log.retention.bytes': '1GB' },
      'log.retention.bytes',
      'Invalid value 1GB for configuration log.retention.bytes: Not a number of type LONG',
    );
    assertConfigError(
      { 'offsets.topic.replication.factor': '70000' },
      'offsets.topic.replication.factor',
      'Invalid value 70000 for configuration offsets.topic.replication.factor: Not a number of type SHORT',
    );
  });

  test('a value out of range names the bound', () => {
    assertConfigError(
      { 'num.partitions': '0' },
      'num.partitions',
      'Invalid value 0 for configuration num.partitions: Value must be at least 1',
    );
    assertConfigError(
      { 'log.segment.bytes': '13' },
      'log.segment.bytes',
      'Invalid value 13 for configuration log.segment.bytes: Value must be at least 14',
    );
  });

  test('a boolean must be true or false', () => {
    assertConfigError(
      { 'delete.topic.enable': 'yes' },
      'delete.topic.enable',
      'Invalid value yes for configuration delete.topic.enable: Expected value to be either true or false',
    );
  });

  test('an enumeration lists its values', () => {
    assertConfigError(
      { 'log.cleanup.policy': 'delete,shrink' },
      'log.cleanup.policy',
      'Invalid value shrink for configuration log.cleanup.policy: String must be one of: compact, delete',
    );
    assertConfigError(
      { 'log.message.timestamp.type': 'createtime' },
      'log.message.timestamp.type',
      'Invalid value createtime for configuration log.message.timestamp.type: String must be one of: CreateTime, LogAppendTime',
    );
    assertConfigError(
      { 'compression.type': 'brotli' },
      'compression.type',
      'Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer',
    );
  });

  test('compression.type is case-insensitive at the broker, as in Kafka, and normalised', () => {
    assert.equal(load({ 'compression.type': 'GZIP' }).compressionType, 'gzip');
  });

  test('the message stays on one line when the value holds a newline', () => {
    const props = parseProperties('zookeeper.connect=zk:2181\nnum.partitions=1\\n2\n');
    assert.throws(
      () => loadBrokerConfig(props, { warn: () => {} }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message === 'Invalid value 1\\n2 for configuration num.partitions: Not a number of type INT',
    );
  });

  test('broker.id must be -1..reserved.broker.max.id, or >= 0 without id generation', () => {
    assert.equal(load({ 'broker.id': '1000' }).brokerId, 1000);
    assertConfigError(
      { 'broker.id': '1001' },
      'broker.id',
      /not greater than reserved\.broker\.max\.id \(1000\)/,
    );
    assertConfigError({ 'broker.id': '-2' }, 'broker.id', /greater than or equal to -1/);
    assert.equal(load({ 'broker.id': '5000', 'reserved.broker.max.id': '9999' }).brokerId, 5000);
    assertConfigError({ 'broker.id.generation.enable': 'false' }, 'broker.id', /greater than or equal to 0/);
    assert.equal(load({ 'broker.id.generation.enable': 'false', 'broker.id': '5000' }).brokerId, 5000);
  });

  test('replica.fetch.wait.max.ms must not exceed replica.lag.time.max.ms nor replica.socket.timeout.ms', () => {
    assertConfigError(
      { 'replica.fetch.wait.max.ms': '20000', 'replica.lag.time.max.ms': '10000' },
      'replica.fetch.wait.max.ms',
      /should always be less than or equal to replica\.lag\.time\.max\.ms/,
    );
    assertConfigError(
      { 'replica.fetch.wait.max.ms': '20000', 'replica.socket.timeout.ms': '10000' },
      'replica.fetch.wait.max.ms',
      /replica\.socket\.timeout\.ms should always be at least replica\.fetch\.wait\.max\.ms/,
    );
  });

  test('offsets.commit.required.acks must be -1..offsets.topic.replication.factor', () => {
    assert.equal(load({ 'offsets.commit.required.acks': '3' }).offsetsCommitRequiredAcks, 3);
    assertConfigError(
      { 'offsets.commit.required.acks': '4' },
      'offsets.commit.required.acks',
      /offsets\.topic\.replication\.factor/,
    );
  });
});

describe('loadBrokerConfig keys it does not use', () => {
  test('an unknown key warns once, naming it, and loading goes on', () => {
    const warnings: string[] = [];
    const config = load({ 'num.partition': '3', 'my.custom.key': 'x' }, warnings);
    assert.equal(config.numPartitions, 1);
    assert.deepEqual(warnings, [
      "The configuration 'num.partition' was supplied but isn't a known config.",
      "The configuration 'my.custom.key' was supplied but isn't a known config.",
    ]);
    assert.equal(config.raw.get('my.custom.key'), 'x');
  });

  test('Kafka tuning knobs Sluice ignores load silently', () => {
    const warnings: string[] = [];
    load(
      {
        'num.network.threads': '3',
        'num.io.threads': '8',
        'socket.send.buffer.bytes': '102400',
        'socket.receive.buffer.bytes': '102400',
        'transaction.state.log.replication.factor': '1',
        'transaction.state.log.min.isr': '1',
        'log.message.format.version': '2.7',
      },
      warnings,
    );
    assert.deepEqual(warnings, []);
  });

  test('Kafka features Sluice lacks warn that they have no effect, but are still validated', () => {
    const warnings: string[] = [];
    load(
      {
        'ssl.keystore.location': '/ks.jks',
        'sasl.kerberos.service.name': 'kafka',
        'authorizer.class.name': 'x',
      },
      warnings,
    );
    assert.equal(warnings.length, 3);
    assert.match(
      warnings[0]!,
      /^The configuration 'ssl\.keystore\.location' is a Kafka feature Sluice does not support/,
    );
    assert.match(warnings[1]!, /'sasl\.kerberos\.service\.name'/);
    assertConfigError(
      { 'security.inter.broker.protocol': 'TLS' },
      'security.inter.broker.protocol',
      /String must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL$/,
    );
  });

  test('accepted keys are still validated', () => {
    assertConfigError({ 'num.io.threads': '0' }, 'num.io.threads', /Value must be at least 1$/);
  });

  test('warnings go to console.warn by default', (context) => {
    const warn = context.mock.method(console, 'warn', () => {});
    loadBrokerConfig(new Map(Object.entries({ ...ZOOKEEPER, typo: '1' })), { hostname: 'h' });
    assert.equal(warn.mock.callCount(), 1);
  });
});

describe('loadBrokerConfig result', () => {
  test('is frozen, down to its lists and maps', () => {
    const config = load({ listeners: 'GRPC://:9092,KAFKA://:9093', 'log.dirs': '/a,/b' });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.logDirs));
    assert.ok(Object.isFrozen(config.listeners));
    assert.ok(Object.isFrozen(config.listeners[0]));
    assert.ok(Object.isFrozen(config.advertisedListeners[1]));
    assert.ok(Object.isFrozen(config.logCleanupPolicy));
    assert.throws(() => (config.raw as Map<string, string>).set('x', 'y'), TypeError);
    assert.throws(() => (config.values as Map<string, unknown>).delete('broker.id'), TypeError);
    assert.throws(() => (config.listenerSecurityProtocolMap as Map<string, string>).clear(), TypeError);
    assert.throws(() => {
      (config as { numPartitions: number }).numPartitions = 3;
    }, TypeError);
  });

  test('raw holds what was given and values every key after defaults', () => {
    const input = new Map(Object.entries({ ...ZOOKEEPER, 'num.partitions': '4', unknown: 'u' }));
    const config = loadBrokerConfig(input, { warn: () => {}, hostname: 'h' });
    assert.deepEqual([...config.raw], [...input]);
    input.set('num.partitions', '9');
    assert.equal(config.raw.get('num.partitions'), '4');
    assert.equal(config.values.get('num.partitions'), 4);
    assert.equal(config.values.get('log.retention.hours'), 168);
    assert.equal(config.values.get('log.retention.ms'), null);
    assert.equal(config.values.has('unknown'), false);
  });

  test('Long.MAX_VALUE given in the file maps to Number.MAX_SAFE_INTEGER', () => {
    assert.equal(
      load({ 'log.flush.interval.messages': '9223372036854775807' }).logFlushIntervalMessages,
      Number.MAX_SAFE_INTEGER,
    );
  });

  test('an empty broker.rack means no rack', () => {
    assert.equal(load({ 'broker.rack': '' }).brokerRack, null);
    assert.equal(load({ 'broker.rack': 'eu-west-1a' }).brokerRack, 'eu-west-1a');
  });

  test('loads a complete server.properties', () => {
    const text = [
      'broker.id=2',
      'listeners=GRPC://0.0.0.0:9092,KAFKA://0.0.0.0:9093',
      'advertised.listeners=GRPC://kafka-2:9092,KAFKA://kafka-2:9093',
      'log.dirs=/var/lib/sluice/a,/var/lib/sluice/b',
      'num.partitions=3',
      'default.replication.factor=3',
      'min.insync.replicas=2',
      'zookeeper.connect=zk1:2181,zk2:2181/sluice',
      'log.retention.hours=24',
      'offsets.topic.replication.factor=3',
      'unclean.leader.election.enable=false',
      'broker.rack=r1',
    ].join('\n');
    const warnings: string[] = [];
    const config = loadBrokerConfig(parseProperties(text), { warn: (m) => warnings.push(m) });
    assert.deepEqual(warnings, []);
    assert.equal(config.brokerId, 2);
    assert.deepEqual(
      config.listeners.map((l) => `${l.name}:${l.host}:${l.port}`),
      ['GRPC:0.0.0.0:9092', 'KAFKA:0.0.0.0:9093'],
    );
    assert.deepEqual(
      config.advertisedListeners.map((l) => `${l.protocol}://${l.host}:${l.port}`),
      ['GRPC://kafka-2:9092', 'KAFKA://kafka-2:9093'],
    );
    assert.deepEqual(config.logDirs, ['/var/lib/sluice/a', '/var/lib/sluice/b']);
    assert.equal(config.logRetentionMs, 24 * HOUR_MS);
    assert.equal(config.zookeeperConnect, 'zk1:2181,zk2:2181/sluice');
    assert.equal(config.minInsyncReplicas, 2);
    assert.equal(config.brokerRack, 'r1');
  });
});
