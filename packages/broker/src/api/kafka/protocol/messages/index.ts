// Every API the Kafka listener serves, by api key. ApiVersions answers exactly this table.
import type { ApiSchemas } from '../schema.ts';
import { ALTER_CONFIGS } from './alter-configs.ts';
import { API_VERSIONS } from './api-versions.ts';
import { CREATE_PARTITIONS } from './create-partitions.ts';
import { CREATE_TOPICS } from './create-topics.ts';
import { DELETE_TOPICS } from './delete-topics.ts';
import { DESCRIBE_CONFIGS } from './describe-configs.ts';
import { FETCH } from './fetch.ts';
import { INIT_PRODUCER_ID } from './init-producer-id.ts';
import { LIST_OFFSETS } from './list-offsets.ts';
import { METADATA } from './metadata.ts';
import { PRODUCE } from './produce.ts';

export {
  ALTER_CONFIGS,
  API_VERSIONS,
  CREATE_PARTITIONS,
  CREATE_TOPICS,
  DELETE_TOPICS,
  DESCRIBE_CONFIGS,
  FETCH,
  INIT_PRODUCER_ID,
  LIST_OFFSETS,
  METADATA,
  PRODUCE,
};

export const SUPPORTED_APIS: ReadonlyMap<number, ApiSchemas> = new Map(
  [
    PRODUCE,
    FETCH,
    LIST_OFFSETS,
    METADATA,
    API_VERSIONS,
    CREATE_TOPICS,
    DELETE_TOPICS,
    INIT_PRODUCER_ID,
    DESCRIBE_CONFIGS,
    ALTER_CONFIGS,
    CREATE_PARTITIONS,
  ].map((api) => [api.apiKey, api]),
);

/** ApiVersions' list: the truth about what this listener implements. */
export function supportedApiKeys(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
  return [...SUPPORTED_APIS.values()]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((api) => ({ apiKey: api.apiKey, minVersion: api.minVersion, maxVersion: api.maxVersion }));
}
