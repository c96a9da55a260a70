import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadBrokerConfig } from '../../src/config/broker-config.ts';
import { ConfigError } from '../../src/config/config-error.ts';
import { parseListeners, parseProtocolMap } from '../../src/config/listeners.ts';

const DEFAULT_MAP = parseProtocolMap('listener.security.protocol.map', 'GRPC:GRPC,KAFKA:KAFKA');

function listeners(text: string) {
  return parseListeners('listeners', text, DEFAULT_MAP, true);
}

function load(props: Record<string, string>) {
  return loadBrokerConfig(new Map(Object.entries({ 'zookeeper.connect': 'zk:2181', ...props })), {
    warn: () => {},
    hostname: 'broker.example',
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

describe('parseListeners', () => {
  test('parses hosts of every form', () => {
    assert.deepEqual(listeners('GRPC://:9092, KAFKA://0.0.0.0:9093'), [
      { name: 'GRPC', protocol: 'GRPC', host: '', port: 9092 },
      { name: 'KAFKA', protocol: 'KAFKA', host: '0.0.0.0', port: 9093 },
    ]);
    assert.deepEqual(listeners('GRPC://broker-1.example.com:19092')[0], {
      name: 'GRPC',
      protocol: 'GRPC',
      host: 'broker-1.example.com',
      port: 19092,
    });
    assert.equal(listeners('GRPC://[::1]:9092')[0]?.host, '::1');
    assert.equal(listeners('GRPC://[fe80::1%eth0]:9092')[0]?.host, 'fe80::1%eth0');
    assert.equal(listeners('GRPC://127.0.0.1:0')[0]?.port, 0);
  });

  test('upper-cases listener names, as Kafka does', () => {
    assert.deepEqual(listeners('grpc://:9092')[0], { name: 'GRPC', protocol: 'GRPC', host: '', port: 9092 });
  });

  test('maps custom listener names through listener.security.protocol.map', () => {
    const map = parseProtocolMap(
      'listener.security.protocol.map',
      'internal:grpc, EXTERNAL:KAFKA,REPLICATION:GRPC',
    );
    assert.deepEqual(
      parseListeners('listeners', 'INTERNAL://:9092,EXTERNAL://:9093,REPLICATION://:9094', map, true),
      [
        { name: 'INTERNAL', protocol: 'GRPC', host: '', port: 9092 },
        { name: 'EXTERNAL', protocol: 'KAFKA', host: '', port: 9093 },
        { name: 'REPLICATION', protocol: 'GRPC', host: '', port: 9094 },
      ],
    );
  });

  test('a listener without a port is an error naming the key', () => {
    assertConfigError(
      () => listeners('GRPC://host'),
      'listeners',
      'Invalid value GRPC://host for configuration listeners: Unable to parse GRPC://host to a listener (expected NAME://host:port)',
    );
    assertConfigError(() => listeners('GRPC://host:'), 'listeners', /Unable to parse GRPC:\/\/host:/);
    assertConfigError(() => listeners('host:9092'), 'listeners', /Unable to parse host:9092/);
    assertConfigError(() => listeners('GRPC://host:http'), 'listeners', /Unable to parse/);
  });

  test('a port above 65535 is an error', () => {
    assertConfigError(
      () => listeners('GRPC://:70000'),
      'listeners',
      /Port 70000 of GRPC:\/\/:70000 is out of range 0\.\.65535$/,
    );
  });

  test('an unknown protocol is an error that says how to map it', () => {
    assertConfigError(
      () => listeners('PLAINTEXT://:9092'),
      'listeners',
      'Invalid value PLAINTEXT://:9092 for configuration listeners: No protocol defined for listener PLAINTEXT; map it to GRPC or KAFKA in listener.security.protocol.map',
    );
  });

  test('names must be distinct; ports too, except ephemeral port 0', () => {
    assertConfigError(
      () => listeners('GRPC://:9092,grpc://:9093'),
      'listeners',
      /Each listener must have a different name; GRPC repeats$/,
    );
    assertConfigError(
      () => listeners('GRPC://:9092,KAFKA://:9092'),
      'listeners',
      /Each listener must have a different port; 9092 repeats$/,
    );
    assert.equal(listeners('GRPC://:0,KAFKA://:0').length, 2);
    const advertised = parseListeners(
      'advertised.listeners',
      'GRPC://a:9092,KAFKA://b:9092',
      DEFAULT_MAP,
      false,
    );
    assert.equal(advertised.length, 2);
  });
});

describe('parseProtocolMap', () => {
  test('rejects malformed entries and protocols other than GRPC and KAFKA', () => {
    const key = 'listener.security.protocol.map';
    assertConfigError(
      () => parseProtocolMap(key, 'GRPC'),
      key,
      /Map entry 'GRPC' should be of the form NAME:PROTOCOL$/,
    );
    assertConfigError(() => parseProtocolMap(key, 'GRPC:'), key, /should be of the form NAME:PROTOCOL$/);
    assertConfigError(
      () => parseProtocolMap(key, 'PLAINTEXT:PLAINTEXT'),
      key,
      'Invalid value PLAINTEXT:PLAINTEXT for configuration listener.security.protocol.map: Unknown protocol PLAINTEXT for listener PLAINTEXT; Sluice listeners speak GRPC or KAFKA',
    );
  });
});

describe('listeners in the broker configuration', () => {
  test('a bad listener fails loading with a one-line error naming listeners', () => {
    assertConfigError(
      () => load({ listeners: 'GRPC://host' }),
      'listeners',
      /^Invalid value GRPC:\/\/host for configuration listeners: /,
    );
    assertConfigError(
      () => load({ listeners: 'HTTP://:8080' }),
      'listeners',
      /No protocol defined for listener HTTP/,
    );
    assertConfigError(() => load({ listeners: ' ' }), 'listeners', /At least one listener must be defined$/);
  });

  test('a bad advertised listener names advertised.listeners', () => {
    assertConfigError(
      () => load({ 'advertised.listeners': 'GRPC://host' }),
      'advertised.listeners',
      /Unable to parse GRPC:\/\/host/,
    );
  });

  test('0.0.0.0 may be bound but not advertised', () => {
    assert.equal(
      load({ listeners: 'GRPC://0.0.0.0:9092', 'advertised.listeners': 'GRPC://h:9092' }).listeners[0]?.host,
      '0.0.0.0',
    );
    assertConfigError(
      () => load({ listeners: 'GRPC://0.0.0.0:9092' }),
      'listeners',
      /advertised\.listeners cannot use the nonroutable meta-address 0\.0\.0\.0\. Use a routable IP address\.$/,
    );
    assertConfigError(
      () => load({ 'advertised.listeners': 'GRPC://0.0.0.0:9092' }),
      'advertised.listeners',
      /nonroutable meta-address 0\.0\.0\.0/,
    );
  });

  test('an empty advertised host becomes the hostname option', () => {
    const config = load({ listeners: 'GRPC://:9092', 'advertised.listeners': 'GRPC://:19092' });
    assert.deepEqual(config.advertisedListeners, [
      { name: 'GRPC', protocol: 'GRPC', host: 'broker.example', port: 19092 },
    ]);
  });

  test('advertised listener names must be among the listeners', () => {
    assertConfigError(
      () => load({ listeners: 'GRPC://:9092', 'advertised.listeners': 'GRPC://h:9092,KAFKA://h:9093' }),
      'advertised.listeners',
      /listener names must be equal to or a subset of the ones defined in listeners\. Found KAFKA\. The valid options based on currently configured listeners are GRPC$/,
    );
  });

  test('the inter-broker listener is the first advertised GRPC listener unless named', () => {
    const props = {
      'listener.security.protocol.map': 'CLIENT:KAFKA,INTERNAL:GRPC,REPLICATION:GRPC',
      listeners: 'CLIENT://:9093,INTERNAL://:9092,REPLICATION://:9094',
    };
    assert.equal(load(props).interBrokerListenerName, 'INTERNAL');
    assert.equal(
      load({ ...props, 'inter.broker.listener.name': 'replication' }).interBrokerListenerName,
      'REPLICATION',
    );
  });

  test('brokers need a GRPC listener to talk to each other', () => {
    assertConfigError(
      () => load({ listeners: 'KAFKA://:9093' }),
      'listeners',
      /at least one advertised listener must use the GRPC protocol$/,
    );
    assertConfigError(
      () => load({ listeners: 'GRPC://:9092,KAFKA://:9093', 'inter.broker.listener.name': 'KAFKA' }),
      'inter.broker.listener.name',
      /Listener KAFKA uses KAFKA; brokers talk to each other over GRPC$/,
    );
    assertConfigError(
      () => load({ 'inter.broker.listener.name': 'INTERNAL' }),
      'inter.broker.listener.name',
      /must be a listener name defined in advertised\.listeners\. The valid options based on currently configured listeners are GRPC$/,
    );
  });
});
