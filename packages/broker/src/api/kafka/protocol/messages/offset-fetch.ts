// OffsetFetch (key 9): a group's committed offsets. Versions 0-7: v2 adds a group-level error and null
// topics (= every committed partition), v5 the leader epoch, v6+ flexible, v7 require_stable.
import { type ApiSchemas, field } from '../schema.ts';

export const OFFSET_FETCH: ApiSchemas = {
  apiKey: 9,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 7,
  request: {
    apiKey: 9,
    name: 'OffsetFetchRequest',
    type: 'request',
    validVersions: '0-7',
    flexibleVersions: '6+',
    fields: [
      field('groupId', 'string', '0+'),
      field('topics', '[]struct', '0+', {
        nullableVersions: '2+',
        fields: [field('name', 'string', '0+'), field('partitionIndexes', '[]int32', '0+')],
      }),
      field('requireStable', 'bool', '7+'),
    ],
  },
  response: {
    apiKey: 9,
    name: 'OffsetFetchResponse',
    type: 'response',
    validVersions: '0-7',
    flexibleVersions: '6+',
    fields: [
      field('throttleTimeMs', 'int32', '3+'),
      field('topics', '[]struct', '0+', {
        fields: [
          field('name', 'string', '0+'),
          field('partitions', '[]struct', '0+', {
            fields: [
              field('partitionIndex', 'int32', '0+'),
              field('committedOffset', 'int64', '0+'),
              field('committedLeaderEpoch', 'int32', '5+', { default: -1 }),
              field('metadata', 'string', '0+', { nullableVersions: '0+' }),
              field('errorCode', 'int16', '0+'),
            ],
          }),
        ],
      }),
      field('errorCode', 'int16', '2+'),
    ],
  },
};
