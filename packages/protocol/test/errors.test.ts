// Tests for errors.ts: the table is Kafka 2.7's (codes -1..96, contiguous, unique names), the
// retriable flags that retry logic depends on, and KafkaError's fields and helpers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALL_ERROR_CODES,
  ErrorCode,
  errorInfo,
  errorInfoByName,
  isKnownErrorCode,
  KafkaError,
} from '../src/errors.ts';

describe('error table', () => {
  test('codes -1..96, each once, in order', () => {
    assert.deepEqual(
      ALL_ERROR_CODES,
      Array.from({ length: 98 }, (_, i) => i - 1),
    );
  });

  test('well-known codes', () => {
    assert.equal(ErrorCode.UNKNOWN_SERVER_ERROR, -1);
    assert.equal(ErrorCode.NONE, 0);
    assert.equal(ErrorCode.OFFSET_OUT_OF_RANGE, 1);
    assert.equal(ErrorCode.CORRUPT_MESSAGE, 2);
    assert.equal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 3);
    assert.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER, 6);
    assert.equal(ErrorCode.NOT_LEADER_FOR_PARTITION, 6);
    assert.equal(ErrorCode.MESSAGE_TOO_LARGE, 10);
    assert.equal(ErrorCode.INVALID_TOPIC_EXCEPTION, 17);
    assert.equal(ErrorCode.NOT_ENOUGH_REPLICAS, 19);
    assert.equal(ErrorCode.TOPIC_ALREADY_EXISTS, 36);
    assert.equal(ErrorCode.NOT_CONTROLLER, 41);
    assert.equal(ErrorCode.FENCED_LEADER_EPOCH, 74);
    assert.equal(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 76);
    assert.equal(ErrorCode.INVALID_RECORD, 87);
    assert.equal(ErrorCode.FEATURE_UPDATE_FAILED, 96);
  });

  test('every name maps back to its code', () => {
    for (const [name, code] of Object.entries(ErrorCode)) {
      const info = errorInfoByName(name);
      assert.ok(info, name);
      assert.equal(info.code, code);
      assert.equal(errorInfo(code), info);
    }
  });

  test('retriable flags follow the Java client', () => {
    const retriable = ALL_ERROR_CODES.filter((code) => errorInfo(code).retriable).map(
      (code) => errorInfo(code).name,
    );
    assert.deepEqual(retriable, [
      'CORRUPT_MESSAGE',
      'UNKNOWN_TOPIC_OR_PARTITION',
      'LEADER_NOT_AVAILABLE',
      'NOT_LEADER_OR_FOLLOWER',
      'REQUEST_TIMED_OUT',
      'REPLICA_NOT_AVAILABLE',
      'NETWORK_EXCEPTION',
      'COORDINATOR_LOAD_IN_PROGRESS',
      'COORDINATOR_NOT_AVAILABLE',
      'NOT_COORDINATOR',
      'NOT_ENOUGH_REPLICAS',
      'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
      'NOT_CONTROLLER',
      'CONCURRENT_TRANSACTIONS',
      'KAFKA_STORAGE_ERROR',
      'FETCH_SESSION_ID_NOT_FOUND',
      'INVALID_FETCH_SESSION_EPOCH',
      'LISTENER_NOT_FOUND',
      'FENCED_LEADER_EPOCH',
      'UNKNOWN_LEADER_EPOCH',
      'OFFSET_NOT_AVAILABLE',
      'PREFERRED_LEADER_NOT_AVAILABLE',
      'ELIGIBLE_LEADERS_NOT_AVAILABLE',
      'ELECTION_NOT_NEEDED',
      'UNSTABLE_OFFSET_COMMIT',
      'THROTTLING_QUOTA_EXCEEDED',
    ]);
  });

  test('every row has a message', () => {
    for (const code of ALL_ERROR_CODES) assert.ok(errorInfo(code).message.length > 0);
  });

  test('an unknown code reads as UNKNOWN_SERVER_ERROR but keeps its number', () => {
    assert.equal(isKnownErrorCode(999), false);
    assert.equal(isKnownErrorCode(3), true);
    const info = errorInfo(999);
    assert.equal(info.code, 999);
    assert.equal(info.name, 'UNKNOWN_SERVER_ERROR');
    assert.equal(info.retriable, false);
  });

  test('unknown name is undefined', () => {
    assert.equal(errorInfoByName('NO_SUCH_ERROR'), undefined);
    assert.equal(errorInfoByName('NOT_LEADER_FOR_PARTITION')?.name, 'NOT_LEADER_OR_FOLLOWER');
  });

  test('ErrorCode is frozen', () => {
    assert.ok(Object.isFrozen(ErrorCode));
  });
});

describe('KafkaError', () => {
  test('fields from the table, default message', () => {
    const err = new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'KafkaError');
    assert.equal(err.code, 3);
    assert.equal(err.errorName, 'UNKNOWN_TOPIC_OR_PARTITION');
    assert.equal(err.retriable, true);
    assert.equal(err.message, 'This server does not host this topic-partition.');
    assert.ok(err.stack?.includes('KafkaError'));
  });

  test('custom message and cause', () => {
    const cause = new Error('disk');
    const err = new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'bad crc', { cause });
    assert.equal(err.message, 'bad crc');
    assert.equal(err.cause, cause);
    assert.equal(err.retriable, true);
  });

  test('KafkaError.is', () => {
    const err = new KafkaError(ErrorCode.MESSAGE_TOO_LARGE);
    assert.equal(KafkaError.is(err), true);
    assert.equal(KafkaError.is(err, ErrorCode.MESSAGE_TOO_LARGE), true);
    assert.equal(KafkaError.is(err, ErrorCode.CORRUPT_MESSAGE), false);
    assert.equal(KafkaError.is(new Error('x'), ErrorCode.MESSAGE_TOO_LARGE), false);
    assert.equal(KafkaError.is(undefined), false);
    assert.equal(KafkaError.is({ code: 10 }, 10), false);
  });
});
