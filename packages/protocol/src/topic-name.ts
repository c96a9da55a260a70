// Kafka's topic-name rules (org.apache.kafka.common.internals.Topic): which names are legal, which two
// names collide in metrics ('.' and '_' both become '_'), and which topics are the broker's own.

import { ErrorCode, KafkaError } from './errors.ts';

/** 255 (the file-name limit) minus room for "-<partition>" and a ".deleted" style suffix. */
export const MAX_TOPIC_NAME_LENGTH = 249;
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
export const TRANSACTION_STATE_TOPIC = '__transaction_state';

const LEGAL_CHARS = /^[a-zA-Z0-9._-]+$/;

function invalid(reason: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, reason);
}

/** Throws KafkaError(INVALID_TOPIC_EXCEPTION) with the reason when `name` is not a legal topic name. */
export function validateTopicName(name: string): void {
  if (name.length === 0) throw invalid("Topic name is illegal, it can't be empty");
  if (name === '.' || name === '..') throw invalid('Topic name cannot be "." or ".."');
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw invalid(
      `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`,
    );
  }
  if (!LEGAL_CHARS.test(name)) {
    throw invalid(
      `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
    );
  }
}

/** True if `name` is a legal topic name. */
export function isValidTopicName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= MAX_TOPIC_NAME_LENGTH &&
    name !== '.' &&
    name !== '..' &&
    LEGAL_CHARS.test(name)
  );
}

/** True if `name` contains '.' or '_', the characters that metric names cannot tell apart. */
export function hasCollisionChars(name: string): boolean {
  return name.includes('.') || name.includes('_');
}

/** The form under which two topics collide: '.' replaced by '_'. */
export function topicCollisionName(name: string): string {
  return name.replaceAll('.', '_');
}

/** True if the two names collide (e.g. "a.b" and "a_b"); like Kafka's Topic.hasCollision, a name collides with itself. */
export function topicsCollide(a: string, b: string): boolean {
  return topicCollisionName(a) === topicCollisionName(b);
}

/** True for the broker's internal topics: __consumer_offsets and __transaction_state. */
export function isInternalTopic(name: string): boolean {
  return name === CONSUMER_OFFSETS_TOPIC || name === TRANSACTION_STATE_TOPIC;
}
