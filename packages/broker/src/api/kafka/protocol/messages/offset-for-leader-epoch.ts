// OffsetForLeaderEpoch (key 23): where a leader epoch ends on the leader, for a consumer checking its
// position after a leader change (KIP-320) or a follower truncating. Versions 0-3, none flexible (v1
// answers the epoch, v2 adds the current leader epoch check, v3 the replica id: -2 is a consumer).
import { type ApiSchemas, field } from '../schema.ts';

export const OFFSET_FOR_LEADER_EPOCH: ApiSchemas = {
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  minVersion: 0,
  maxVersion: 3,
  request: {
    apiKey: 23,
    name: 'OffsetForLeaderEpochRequest',
    type: 'request',
    validVersions: '0-3',
    flexibleVersions: 'none',
    fields: [
      field('replicaId', 'int32', '3+', { default: -2 }),
      field('topics', '[]struct', '0+', {
        fields: [
          field('name', 'string', '0+'),
          field('partitions', '[]struct', '0+', {
            fields: [
              field('partitionIndex', 'int32', '0+'),
              field('currentLeaderEpoch', 'int32', '2+', { default: -1 }),
              field('leaderEpoch', 'int32', '0+'),
            ],
          }),
        ],
      }),
    ],
  },
  response: {
    apiKey: 23,
    name: 'OffsetForLeaderEpochResponse',
    type: 'response',
    validVersions: '0-3',
    flexibleVersions: 'none',
    fields: [
      field('throttleTimeMs', 'int32', '2+'),
      field('topics', '[]struct', '0+', {
        fields: [
          field('name', 'string', '0+'),
          field('partitions', '[]struct', '0+', {
            fields: [
              field('errorCode', 'int16', '0+'),
              field('partitionIndex', 'int32', '0+'),
              field('leaderEpoch', 'int32', '1+', { default: -1 }),
              field('endOffset', 'int64', '0+'),
            ],
          }),
        ],
      }),
    ],
  },
};
