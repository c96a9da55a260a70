// OffsetCommit (key 8): a group's committed offsets. Versions 0-8: v1 adds the generation, member and a
// per-partition commit timestamp, v2-4 a retention time instead, v5 drops it, v6 adds the leader epoch,
// v7 static membership, v8 is flexible.
import { type ApiSchemas, field } from '../schema.ts';

export const OFFSET_COMMIT: ApiSchemas = {
  apiKey: 8,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 8,
  request: {
    apiKey: 8,
    name: 'OffsetCommitRequest',
    type: 'request',
    validVersions: '0-8',
    flexibleVersions: '8+',
    fields: [
      field('groupId', 'string', '0+'),
      field('generationId', 'int32', '1+', { default: -1 }),
      field('memberId', 'string', '1+'),
      field('groupInstanceId', 'string', '7+', { nullableVersions: '7+', default: null }),
      field('retentionTimeMs', 'int64', '2-4', { default: -1 }),
      field('topics', '[]struct', '0+', {
        fields: [
          field('name', 'string', '0+'),
          field('partitions', '[]struct', '0+', {
            fields: [
              field('partitionIndex', 'int32', '0+'),
              field('committedOffset', 'int64', '0+'),
              field('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
              field('commitTimestamp', 'int64', '1', { default: -1 }),
              field('committedMetadata', 'string', '0+', { nullableVersions: '0+' }),
            ],
          }),
        ],
      }),
    ],
  },
  response: {
    apiKey: 8,
    name: 'OffsetCommitResponse',
    type: 'response',
    validVersions: '0-8',
    flexibleVersions: '8+',
    fields: [
      field('throttleTimeMs', 'int32', '3+'),
      field('topics', '[]struct', '0+', {
        fields: [
          field('name', 'string', '0+'),
          field('partitions', '[]struct', '0+', {
            fields: [field('partitionIndex', 'int32', '0+'), field('errorCode', 'int16', '0+')],
          }),
        ],
      }),
    ],
  },
};
