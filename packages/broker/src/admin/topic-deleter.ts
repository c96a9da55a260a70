// Topic deletion requests (Kafka's AdminManager.deleteTopics): refused with TOPIC_DELETION_DISABLED when
// delete.topic.enable=false, UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist; otherwise the
// topic is marked at /admin/delete_topics/<t> and the answer waits (bounded by the request's timeout)
// until the controller has deleted it everywhere, or says REQUEST_TIMED_OUT while deletion goes on.
import {
  type MetadataView,
  markTopicForDeletion,
  TopicZNode,
  type ZooKeeperClient,
} from '@sluice/coordinator';
import { ErrorCode, errorInfo, KafkaError } from '@sluice/protocol';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/index.ts';
import { waitForMetadata } from './metadata-wait.ts';

export interface TopicDeletionResult {
  topic: string;
  errorCode: number;
  errorMessage: string;
}

export class TopicDeleter {
  readonly #zk: () => ZooKeeperClient;
  readonly #metadata: MetadataView;
  readonly #config: BrokerConfig;
  readonly #logger: Logger;

  constructor(options: {
    zk: () => ZooKeeperClient;
    metadata: MetadataView;
    config: BrokerConfig;
    logger: Logger;
  }) {
    this.#zk = options.zk;
    this.#metadata = options.metadata;
    this.#config = options.config;
    this.#logger = options.logger;
  }

  async deleteTopics(topics: readonly string[], timeoutMs: number): Promise<TopicDeletionResult[]> {
    const results: TopicDeletionResult[] = [];
    const marked: string[] = [];
    const seen = new Set<string>();
    for (const topic of topics) {
      const result: TopicDeletionResult = { topic, errorCode: ErrorCode.NONE, errorMessage: '' };
      try {
        if (!this.#config.deleteTopicEnable) {
          throw new KafkaError(
            ErrorCode.TOPIC_DELETION_DISABLED,
            errorInfo(ErrorCode.TOPIC_DELETION_DISABLED).message,
          );
        }
        if (seen.has(topic)) {
          throw new KafkaError(
            ErrorCode.INVALID_REQUEST,
            `Topic '${topic}' appears more than once in the request`,
          );
        }
        seen.add(topic);
        const known =
          this.#metadata.topics.has(topic) || (await this.#zk().exists(TopicZNode.path(topic))) !== null;
        if (!known) {
          throw new KafkaError(
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorInfo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).message,
          );
        }
        // Marked already: as Kafka, that is no error; this request waits for the same deletion.
        if (await markTopicForDeletion(this.#zk(), topic))
          this.#logger.info({ topic }, 'topic marked for deletion');
        marked.push(topic);
      } catch (err) {
        if (err instanceof KafkaError) {
          result.errorCode = err.code;
          result.errorMessage = err.message;
        } else {
          this.#logger.error({ err, topic }, 'topic deletion request failed');
          result.errorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
          result.errorMessage = err instanceof Error ? err.message : String(err);
        }
      }
      results.push(result);
    }
    if (marked.length > 0 && timeoutMs > 0) {
      const gone = () => marked.every((t) => !this.#metadata.topics.has(t));
      await waitForMetadata(this.#metadata, gone, timeoutMs);
      for (const result of results) {
        if (result.errorCode === ErrorCode.NONE && this.#metadata.topics.has(result.topic)) {
          result.errorCode = ErrorCode.REQUEST_TIMED_OUT;
          result.errorMessage = `Topic ${result.topic} is marked for deletion, but its deletion did not finish within ${timeoutMs} ms.`;
        }
      }
    }
    return results;
  }
}
