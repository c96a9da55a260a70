// CreateTopics (key 19). Versions 0-5 (5 is the first flexible one).
import { type ApiSchemas, field } from '../schema.ts';

export const CREATE_TOPICS: ApiSchemas = {
  apiKey: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 5,
  request: {
    apiKey: 19,
    name: 'CreateTopicsRequest',
    type: 'request',
    validVersions: '0-5',
    flexibleVersions: '5+',
    fields: [
      field('topics', '[]struct', '0+', {
        fields: [
          field('name', 'string', '0+'),
          field('numPartitions', 'int32', '0+'),
          field('replicationFactor', 'int16', '0+'),
          field('assignments', '[]struct', '0+', {
            fields: [field('partitionIndex', 'int32', '0+'), field('brokerIds', '[]int32', '0+')],
          }),
          field('configs', '[]struct', '0+', {
            fields: [
              field('name', 'string', '0+'),
              field('value', 'string', '0+', { nullableVersions: '0+' }),
            ],
          }),
        ],
      }),
      field('timeoutMs', 'int32', '0+', { default: 60_000 }),
      field('validateOnly', 'bool', '1+'),
    ],
  },
  response: {
    apiKey: 19,
    name: 'CreateTopicsResponse',
    type: 'response',
    validVersions: '0-5',
    flexibleVersions: '5+',
    fields: [
      field('throttleTimeMs', 'int32', '2+'),
      field('topics', '[]struct', '0+', {
        fields: [
          field('name', 'string', '0+'),
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '1+', { nullableVersions: '0+' }),
          field('topicConfigErrorCode', 'int16', '5+', { tag: 0, taggedVersions: '5+', default: 0 }),
          field('numPartitions', 'int32', '5+', { default: -1 }),
          field('replicationFactor', 'int16', '5+', { default: -1 }),
          field('configs', '[]struct', '5+', {
            nullableVersions: '5+',
            fields: [
              field('name', 'string', '5+'),
              field('value', 'string', '5+', { nullableVersions: '5+' }),
              field('readOnly', 'bool', '5+'),
              field('configSource', 'int8', '5+', { default: -1 }),
              field('isSensitive', 'bool', '5+'),
            ],
          }),
        ],
      }),
    ],
  },
};
