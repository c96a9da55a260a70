// CreatePartitions (key 37). Versions 0-3 (2 is the first flexible one; 3 is 2 on the wire).
import { type ApiSchemas, field } from '../schema.ts';

export const CREATE_PARTITIONS: ApiSchemas = {
  apiKey: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  request: {
    apiKey: 37,
    name: 'CreatePartitionsRequest',
    type: 'request',
    validVersions: '0-3',
    flexibleVersions: '2+',
    fields: [
      field('topics', '[]struct', '0+', {
        fields: [
          field('name', 'string', '0+'),
          field('count', 'int32', '0+'),
          field('assignments', '[]struct', '0+', {
            nullableVersions: '0+',
            fields: [field('brokerIds', '[]int32', '0+')],
          }),
        ],
      }),
      field('timeoutMs', 'int32', '0+'),
      field('validateOnly', 'bool', '0+'),
    ],
  },
  response: {
    apiKey: 37,
    name: 'CreatePartitionsResponse',
    type: 'response',
    validVersions: '0-3',
    flexibleVersions: '2+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      field('results', '[]struct', '0+', {
        fields: [
          field('name', 'string', '0+'),
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
        ],
      }),
    ],
  },
};
