// The znode codecs write exactly Kafka 2.7's JSON shapes and read them back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BrokerIdZNode,
  ClusterIdZNode,
  ControllerEpochZNode,
  ControllerZNode,
  IsrChangeNotificationZNode,
  TopicConfigZNode,
  TopicPartitionStateZNode,
  TopicZNode,
  ZnodeFormatError,
} from '../src/index.ts';

describe('znodes', () => {
  it('encodes a broker registration as Kafka 2.7 version 5', () => {
    const data = BrokerIdZNode.encode({
      id: 1,
      endpoints: [
        { listenerName: 'GRPC', host: 'h', port: 9092 },
        { listenerName: 'KAFKA', host: 'h', port: 9093 },
      ],
      rack: null,
      timestampMs: 1700000000000,
    });
    assert.deepEqual(JSON.parse(data.toString()), {
      features: {},
      listener_security_protocol_map: { GRPC: 'PLAINTEXT', KAFKA: 'PLAINTEXT' },
      endpoints: ['GRPC://h:9092', 'KAFKA://h:9093'],
      jmx_port: -1,
      host: 'h',
      timestamp: '1700000000000',
      port: 9092,
      version: 5,
    });
    const decoded = BrokerIdZNode.decode(1, data);
    assert.deepEqual(decoded.endpoints[1], { listenerName: 'KAFKA', host: 'h', port: 9093 });
    assert.equal(decoded.timestampMs, 1700000000000);
  });

  it('keeps the rack and IPv6 hosts', () => {
    const data = BrokerIdZNode.encode({
      id: 2,
      endpoints: [{ listenerName: 'GRPC', host: '::1', port: 1 }],
      rack: 'r1',
      timestampMs: 1,
    });
    const json = JSON.parse(data.toString());
    assert.equal(json.rack, 'r1');
    assert.equal(json.endpoints[0], 'GRPC://[::1]:1');
    assert.equal(BrokerIdZNode.decode(2, data).endpoints[0]?.host, '::1');
  });

  it('encodes a topic assignment with partitions in order', () => {
    const data = TopicZNode.encode(
      new Map([
        [1, [2, 3]],
        [0, [1, 2]],
      ]),
    );
    assert.equal(
      data.toString(),
      '{"version":2,"partitions":{"0":[1,2],"1":[2,3]},"adding_replicas":{},"removing_replicas":{}}',
    );
    assert.deepEqual(
      [...TopicZNode.decode('t', data)],
      [
        [0, [1, 2]],
        [1, [2, 3]],
      ],
    );
  });

  it('encodes partition state, controller, epoch, config, ISR change and cluster id like Kafka', () => {
    assert.equal(
      TopicPartitionStateZNode.encode({
        leader: 2,
        leaderEpoch: 0,
        isr: [2, 3, 1],
        controllerEpoch: 1,
      }).toString(),
      '{"controller_epoch":1,"leader":2,"version":1,"leader_epoch":0,"isr":[2,3,1]}',
    );
    assert.equal(ControllerZNode.encode(1, 5).toString(), '{"version":1,"brokerid":1,"timestamp":"5"}');
    assert.equal(ControllerZNode.decode(ControllerZNode.encode(3, 5)), 3);
    assert.equal(ControllerEpochZNode.encode(7).toString(), '7');
    assert.equal(ControllerEpochZNode.decode(Buffer.from('7')), 7);
    assert.equal(
      TopicConfigZNode.encode({ 'retention.ms': '1000' }).toString(),
      '{"version":1,"config":{"retention.ms":"1000"}}',
    );
    assert.equal(
      IsrChangeNotificationZNode.encode([{ topic: 't', partition: 0 }]).toString(),
      '{"version":1,"partitions":[{"topic":"t","partition":0}]}',
    );
    assert.equal(ClusterIdZNode.encode('abc').toString(), '{"version":"1","id":"abc"}');
  });

  it('rejects content Kafka would not write, naming the znode', () => {
    assert.throws(() => TopicZNode.decode('t', Buffer.from('nope')), ZnodeFormatError);
    assert.throws(
      () => TopicPartitionStateZNode.decode('t', 0, Buffer.from('{"leader":"x"}')),
      /brokers\/topics\/t\/partitions\/0\/state/,
    );
    assert.throws(() => BrokerIdZNode.decode(1, Buffer.from('{"endpoints":["bad"]}')), ZnodeFormatError);
  });
});
