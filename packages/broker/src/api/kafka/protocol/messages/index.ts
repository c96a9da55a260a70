// Every API the Kafka listener serves, by api key. ApiVersions answers exactly this table.
import type { ApiSchemas } from '../schema.ts';
import { ALTER_CONFIGS } from './alter-configs.ts';
import { API_VERSIONS } from './api-versions.ts';
import { CREATE_PARTITIONS } from './create-partitions.ts';
import { CREATE_TOPICS } from './create-topics.ts';
import { DELETE_GROUPS } from './delete-groups.ts';
import { DELETE_TOPICS } from './delete-topics.ts';
import { DESCRIBE_CONFIGS } from './describe-configs.ts';
import { DESCRIBE_GROUPS } from './describe-groups.ts';
import { FETCH } from './fetch.ts';
import { FIND_COORDINATOR } from './find-coordinator.ts';
import { HEARTBEAT } from './heartbeat.ts';
import { INIT_PRODUCER_ID } from './init-producer-id.ts';
import { JOIN_GROUP } from './join-group.ts';
import { LEAVE_GROUP } from './leave-group.ts';
import { LIST_GROUPS } from './list-groups.ts';
import { LIST_OFFSETS } from './list-offsets.ts';
import { METADATA } from './metadata.ts';
import { OFFSET_COMMIT } from './offset-commit.ts';
import { OFFSET_FETCH } from './offset-fetch.ts';
import { OFFSET_FOR_LEADER_EPOCH } from './offset-for-leader-epoch.ts';
import { PRODUCE } from './produce.ts';
import { SYNC_GROUP } from './sync-group.ts';

export {
  ALTER_CONFIGS,
  API_VERSIONS,
  CREATE_PARTITIONS,
  CREATE_TOPICS,
  DELETE_GROUPS,
  DELETE_TOPICS,
  DESCRIBE_CONFIGS,
  DESCRIBE_GROUPS,
  FETCH,
  FIND_COORDINATOR,
  HEARTBEAT,
  INIT_PRODUCER_ID,
  JOIN_GROUP,
  LEAVE_GROUP,
  LIST_GROUPS,
  LIST_OFFSETS,
  METADATA,
  OFFSET_COMMIT,
  OFFSET_FETCH,
  OFFSET_FOR_LEADER_EPOCH,
  PRODUCE,
  SYNC_GROUP,
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
    OFFSET_COMMIT,
    OFFSET_FETCH,
    FIND_COORDINATOR,
    JOIN_GROUP,
    HEARTBEAT,
    LEAVE_GROUP,
    SYNC_GROUP,
    DESCRIBE_GROUPS,
    LIST_GROUPS,
    OFFSET_FOR_LEADER_EPOCH,
    DELETE_GROUPS,
  ].map((api) => [api.apiKey, api]),
);

/** ApiVersions' list: the truth about what this listener implements. */
export function supportedApiKeys(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
  return [...SUPPORTED_APIS.values()]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((api) => ({ apiKey: api.apiKey, minVersion: api.minVersion, maxVersion: api.maxVersion }));
}
