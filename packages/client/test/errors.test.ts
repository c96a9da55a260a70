// The client's error hierarchy: one class per Kafka error code, made from the protocol's table, each a
// KafkaError with its code, name and retriable flag; transport errors typed and retriable.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ALL_ERROR_CODES, ErrorCode, errorInfo } from '@sluice/protocol';
import {
  ClientClosedError,
  ConnectionError,
  isRetriable,
  KafkaError,
  kafkaError,
  kafkaErrorClass,
  NotLeaderOrFollowerError,
  OffsetOutOfRangeError,
  OutOfOrderSequenceNumberError,
  RequestTimeoutError,
  UnknownTopicOrPartitionError,
} from '../src/index.ts';

describe('errors', () => {
  test('every code but NONE has its class; kafkaError builds it', () => {
    for (const code of ALL_ERROR_CODES) {
      if (code === ErrorCode.NONE) {
        assert.equal(kafkaErrorClass(code), undefined);
        continue;
      }
      const err = kafkaError(code, 'm');
      const cls = kafkaErrorClass(code);
      assert.ok(cls && err instanceof cls, `code ${code}`);
      assert.ok(err instanceof KafkaError);
      assert.equal(err.code, code);
      assert.equal(err.errorName, errorInfo(code).name);
      assert.equal(err.retriable, errorInfo(code).retriable);
      assert.equal(err.message, 'm');
      assert.match(err.name, /^[A-Z][A-Za-z0-9]+Error$/);
    }
  });

  test('named classes: Java-style names, codes and retriable flags', () => {
    const notLeader = new NotLeaderOrFollowerError();
    assert.equal(notLeader.name, 'NotLeaderOrFollowerError');
    assert.equal(notLeader.code, 6);
    assert.equal(notLeader.retriable, true);
    assert.ok(KafkaError.is(notLeader, ErrorCode.NOT_LEADER_OR_FOLLOWER));
    assert.ok(kafkaError(3) instanceof UnknownTopicOrPartitionError);
    assert.equal(new OffsetOutOfRangeError().retriable, false);
    assert.equal(new OutOfOrderSequenceNumberError().code, 45);
    assert.equal(NotLeaderOrFollowerError.name, 'NotLeaderOrFollowerError');
  });

  test('an unknown code is a plain KafkaError', () => {
    const err = kafkaError(9999);
    assert.equal(err.constructor, KafkaError);
    assert.equal(err.code, 9999);
    assert.equal(err.retriable, false);
  });

  test('isRetriable answers for every kind', () => {
    assert.equal(isRetriable(new ConnectionError('a:1', 'down')), true);
    assert.equal(isRetriable(new RequestTimeoutError('slow')), true);
    assert.equal(isRetriable(new ClientClosedError()), false);
    assert.equal(isRetriable(kafkaError(ErrorCode.LEADER_NOT_AVAILABLE)), true);
    assert.equal(isRetriable(kafkaError(ErrorCode.MESSAGE_TOO_LARGE)), false);
    assert.equal(isRetriable(new Error('x')), false);
  });
});
