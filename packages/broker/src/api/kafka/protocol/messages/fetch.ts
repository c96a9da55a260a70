// Fetch (key 1): record batches read as stored, up to the high watermark. Versions 4-11; no fetch
// sessions (the session id answered is always 0, so clients send full requests).
import { type ApiSchemas, field } from '../schema.ts';

export const FETCH: ApiSchemas = {
  apiKey: 1,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 11,
  request: {
    apiKey: 1,
    name: 'FetchRequest',
    type: 'request',
    validVersions: '4-11',
    flexibleVersions: '12+',
    fields: [
      field('replicaId', 'int32', '0+'),
      field('maxWaitMs', 'int32', '0+'),
      field('minBytes', 'int32', '0+'),
      field('maxBytes', 'int32', '3+', { default: 0x7fffffff }),
      field('isolationLevel', 'int8', '4+'),
      field('sessionId', 'int32', '7+'),
      field('sessionEpoch', 'int32', '7+', { default: -1 }),
      field('topics', '[]struct', '0+', {
        fields: [
          field('topic', 'string', '0+'),
          field('partitions', '[]struct', '0+', {
            fields: [
              field('partition', 'int32', '0+'),
              field('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
              field('fetchOffset', 'int64', '0+'),
              field('logStartOffset', 'int64', '5+', { default: -1 }),
              field('partitionMaxBytes', 'int32', '0+'),
            ],
          }),
        ],
      }),
      field('forgottenTopicsData', '[]struct', '7+', {
        fields: [field('topic', 'string', '7+'), field('partitions', '[]int32', '7+')],
      }),
      field('rackId', 'string', '11+'),
    ],
  },
  response: {
    apiKey: 1,
    name: 'FetchResponse',
    type: 'response',
    validVersions: '4-11',
    flexibleVersions: '12+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      field('errorCode', 'int16', '7+'),
      field('sessionId', 'int32', '7+'),
      field('responses', '[]struct', '0+', {
        fields: [
          field('topic', 'string', '0+'),
          field('partitions', '[]struct', '0+', {
            fields: [
              field('partitionIndex', 'int32', '0+'),
              field('errorCode', 'int16', '0+'),
              field('highWatermark', 'int64', '0+'),
              field('lastStableOffset', 'int64', '4+', { default: -1 }),
              field('logStartOffset', 'int64', '5+', { default: -1 }),
              field('abortedTransactions', '[]struct', '4+', {
                nullableVersions: '4+',
                fields: [field('producerId', 'int64', '4+'), field('firstOffset', 'int64', '4+')],
              }),
              field('preferredReadReplica', 'int32', '11+', { default: -1 }),
              field('records', 'records', '0+', { nullableVersions: '0+' }),
            ],
          }),
        ],
      }),
    ],
  },
};
