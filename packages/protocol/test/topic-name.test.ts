// Tests for topic-name.ts: Kafka's legal-name rules and their reasons, metric-name collisions, and
// the internal topics.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, KafkaError } from '../src/errors.ts';
import {
  hasCollisionChars,
  isInternalTopic,
  isValidTopicName,
  MAX_TOPIC_NAME_LENGTH,
  topicCollisionName,
  topicsCollide,
  validateTopicName,
} from '../src/topic-name.ts';

function invalidBecause(pattern: RegExp) {
  return (err: unknown) =>
    KafkaError.is(err, ErrorCode.INVALID_TOPIC_EXCEPTION) && pattern.test((err as Error).message);
}

describe('validateTopicName', () => {
  test('legal names', () => {
    for (const name of [
      'a',
      'orders',
      'Orders.v2',
      'my_topic-1',
      '...',
      '.a',
      '__consumer_offsets',
      'x'.repeat(249),
    ]) {
      assert.doesNotThrow(() => validateTopicName(name), name);
      assert.equal(isValidTopicName(name), true, name);
    }
  });

  test('empty', () => {
    assert.throws(() => validateTopicName(''), invalidBecause(/empty/));
  });

  test('"." and ".."', () => {
    assert.throws(() => validateTopicName('.'), invalidBecause(/"\." or "\.\."/));
    assert.throws(() => validateTopicName('..'), invalidBecause(/"\." or "\.\."/));
  });

  test('longer than 249', () => {
    assert.equal(MAX_TOPIC_NAME_LENGTH, 249);
    assert.throws(() => validateTopicName('x'.repeat(250)), invalidBecause(/longer than 249/));
  });

  test('characters outside [a-zA-Z0-9._-]', () => {
    for (const name of ['a b', 'a/b', 'topic!', 'tópico', 'a\nb', 'a:b', 'a+b', '日本']) {
      assert.throws(() => validateTopicName(name), invalidBecause(/character other than/), name);
      assert.equal(isValidTopicName(name), false, name);
    }
  });
});

describe('collisions', () => {
  test('hasCollisionChars', () => {
    assert.equal(hasCollisionChars('a.b'), true);
    assert.equal(hasCollisionChars('a_b'), true);
    assert.equal(hasCollisionChars('a-b'), false);
  });

  test('topicCollisionName replaces every dot', () => {
    assert.equal(topicCollisionName('a.b.c_d'), 'a_b_c_d');
    assert.equal(topicCollisionName('plain'), 'plain');
  });

  test('topicsCollide', () => {
    assert.equal(topicsCollide('a.b', 'a_b'), true);
    assert.equal(topicsCollide('a.b', 'a.b'), true);
    assert.equal(topicsCollide('a.b', 'a-b'), false);
  });
});

describe('isInternalTopic', () => {
  test('the two internal topics only', () => {
    assert.equal(isInternalTopic('__consumer_offsets'), true);
    assert.equal(isInternalTopic('__transaction_state'), true);
    assert.equal(isInternalTopic('__other'), false);
    assert.equal(isInternalTopic('consumer_offsets'), false);
  });
});
