import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.ts';
import { parseOverrides, parseProperties } from '../../src/config/properties.ts';

function entries(text: string): [string, string][] {
  return [...parseProperties(text)];
}

describe('parseProperties', () => {
  test('accepts =, : and whitespace as separators', () => {
    assert.deepEqual(entries('a=1\nb:2\nc 3\nd\t4\ne = 5\nf : 6\n'), [
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', '4'],
      ['e', '5'],
      ['f', '6'],
    ]);
  });

  test('trims whitespace around keys and values', () => {
    assert.deepEqual(entries('   broker.id   =   7   \n\tlog.dirs=\t/data  \n'), [
      ['broker.id', '7'],
      ['log.dirs', '/data'],
    ]);
  });

  test('takes only the first separator: the rest belongs to the value', () => {
    assert.deepEqual(entries('a==b\nc:d=e\nf = : g\nlisteners=GRPC://:9092'), [
      ['a', '=b'],
      ['c', 'd=e'],
      ['f', ': g'],
      ['listeners', 'GRPC://:9092'],
    ]);
  });

  test('skips # and ! comments and blank lines, but keeps # inside a value', () => {
    const text = '# comment\n! also a comment\n   # indented comment\n\n   \t\nkey=value # not a comment\n';
    assert.deepEqual(entries(text), [['key', 'value # not a comment']]);
  });

  test('a key alone or with an empty value maps to the empty string', () => {
    assert.deepEqual(entries('lonely\nempty=\nspaced =   \n'), [
      ['lonely', ''],
      ['empty', ''],
      ['spaced', ''],
    ]);
  });

  test('joins lines ending in a backslash and drops the continuation indent', () => {
    const text = 'log.dirs=/a,\\\n         /b,\\\n\t/c\nnext=1\n';
    assert.deepEqual(entries(text), [
      ['log.dirs', '/a,/b,/c'],
      ['next', '1'],
    ]);
  });

  test('an even number of trailing backslashes is an escaped backslash, not a continuation', () => {
    assert.deepEqual(entries('path=C:\\\\dir\\\\\nnext=1\n'), [
      ['path', 'C:\\dir\\'],
      ['next', '1'],
    ]);
  });

  test('a continued line may begin with # and still be value', () => {
    assert.deepEqual(entries('a=x\\\n  #y\n'), [['a', 'x#y']]);
  });

  test('a comment line never continues', () => {
    assert.deepEqual(entries('# comment \\\nkey=value\n'), [['key', 'value']]);
  });

  test('a blank line ends a continuation', () => {
    assert.deepEqual(entries('a=x\\\n\nb=y\n'), [
      ['a', 'x'],
      ['b', 'y'],
    ]);
  });

  test('a continuation at end of file keeps what was read', () => {
    assert.deepEqual(entries('a=x\\'), [['a', 'x']]);
  });

  test('decodes \\t \\n \\r \\f \\uXXXX \\\\ and escaped separators', () => {
    const text = 'tab=a\\tb\nnl=a\\nb\ncr=a\\rb\nff=a\\fb\nuni=caf\\u00e9\nback=a\\\\b\nother=\\q\n';
    assert.deepEqual(Object.fromEntries(parseProperties(text)), {
      tab: 'a\tb',
      nl: 'a\nb',
      cr: 'a\rb',
      ff: 'a\fb',
      uni: 'café',
      back: 'a\\b',
      other: 'q',
    });
  });

  test('escaped =, : and space belong to the key', () => {
    assert.deepEqual(entries('a\\=b=1\nc\\:d:2\ne\\ f 3\n'), [
      ['a=b', '1'],
      ['c:d', '2'],
      ['e f', '3'],
    ]);
  });

  test('a malformed \\u escape is a ConfigError naming the line', () => {
    assert.throws(
      () => parseProperties('ok=1\nbad=\\u12G4\n'),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.key === 'bad' &&
        error.message === 'Malformed \\uxxxx encoding in the value of bad on line 2',
    );
    assert.throws(() => parseProperties('x\\u12=1'), ConfigError);
  });

  test('accepts \\n, \\r\\n and \\r line endings and a byte order mark', () => {
    assert.deepEqual(entries('\uFEFFa=1\r\nb=2\rc=3\n'), [
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
  });

  test('a repeated key keeps its last value', () => {
    assert.deepEqual(entries('num.partitions=1\nnum.partitions=3\n'), [['num.partitions', '3']]);
  });

  test('reads the server.properties Kafka ships', () => {
    const text = [
      '############################# Server Basics #############################',
      '',
      '# The id of the broker. This must be set to a unique integer for each broker.',
      'broker.id=0',
      '',
      '#listeners=PLAINTEXT://:9092',
      'num.network.threads=3',
      'socket.request.max.bytes=104857600',
      'log.dirs=/tmp/kafka-logs',
      'log.retention.hours=168',
      '#log.retention.bytes=1073741824',
      'zookeeper.connect=localhost:2181',
      'zookeeper.connection.timeout.ms=18000',
      'group.initial.rebalance.delay.ms=0',
    ].join('\n');
    assert.deepEqual(Object.fromEntries(parseProperties(text)), {
      'broker.id': '0',
      'num.network.threads': '3',
      'socket.request.max.bytes': '104857600',
      'log.dirs': '/tmp/kafka-logs',
      'log.retention.hours': '168',
      'zookeeper.connect': 'localhost:2181',
      'zookeeper.connection.timeout.ms': '18000',
      'group.initial.rebalance.delay.ms': '0',
    });
  });
});

describe('parseOverrides', () => {
  test('splits each value at its first =, later values winning', () => {
    const overrides = parseOverrides(['broker.id=2', 'listeners=GRPC://:9093,KAFKA://:9094', 'broker.id=3']);
    assert.deepEqual(Object.fromEntries(overrides), {
      'broker.id': '3',
      listeners: 'GRPC://:9093,KAFKA://:9094',
    });
    assert.equal(parseOverrides(['a=b=c']).get('a'), 'b=c');
  });

  test('accepts an empty value and trims', () => {
    assert.deepEqual(Object.fromEntries(parseOverrides([' broker.rack = ', 'x= 1 '])), {
      'broker.rack': '',
      x: '1',
    });
  });

  test('a value without = is a ConfigError naming it', () => {
    assert.throws(
      () => parseOverrides(['broker.id=1', 'log.dirs']),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.key === 'log.dirs' &&
        error.message === "Invalid --override 'log.dirs': expected key=value",
    );
  });

  test('an empty key is a ConfigError', () => {
    assert.throws(() => parseOverrides(['=1']), /the key is empty/);
  });
});
