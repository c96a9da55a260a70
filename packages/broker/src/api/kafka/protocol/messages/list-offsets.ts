// ListOffsets (key 2): the offset for a timestamp, or the earliest (-2) / latest (-1). Versions 0-5;
// v0 answers a list of old-style offsets.
import { type ApiSchemas, field } from '../schema.ts';

export const LIST_OFFSETS: ApiSchemas = {
  apiKey: 2,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 5,
  request: {
    apiKey: 2,
    name: 'ListOffsetsRequest',
    type: 'request',
    validVersions: '0-5',
    flexibleVersions: '6+',
    fields: [
      field('replicaId', 'int32', '0+'),
      field('isolationLevel', 'int8', '2+'),
      field('topics', '[]struct', '0+', {
        fields: [
          field('name', 'string', '0+'),
          field('partitions', '[]struct', '0+', {
            fields: [
              field('partitionIndex', 'int32', '0+'),
              field('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
              field('timestamp', 'int64', '0+'),
              field('maxNumOffsets', 'int32', '0', { default: 1 }),
            ],
          }),
        ],
      }),
    ],
  },
  response: {
    apiKey: 2,
    name: 'ListOffsetsResponse',
    type: 'response',
    validVersions: '0-5',
    flexibleVersions: '6+',
    fields: [
      field('throttleTimeMs', 'int32', '2+'),
      field('topics', '[]struct', '0+', {
        fields: [
          field('name', 'string', '0+'),
          field('partitions', '[]struct', '0+', {
            fields: [
              field('partitionIndex', 'int32', '0+'),
              field('errorCode', 'int16', '0+'),
              field('oldStyleOffsets', '[]int64', '0'),
              field('timestamp', 'int64', '1+', { default: -1 }),
              field('offset', 'int64', '1+', { default: -1 }),
              field('leaderEpoch', 'int32', '4+', { default: -1 }),
            ],
          }),
        ],
      }),
    ],
  },
};
