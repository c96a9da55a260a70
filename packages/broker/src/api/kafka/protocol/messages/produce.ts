// Produce (key 0): record batches (RecordBatch v2, hence versions 3+) appended as sent. Versions 3-8.
import { type ApiSchemas, field } from '../schema.ts';

export const PRODUCE: ApiSchemas = {
  apiKey: 0,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 8,
  request: {
    apiKey: 0,
    name: 'ProduceRequest',
    type: 'request',
    validVersions: '3-8',
    flexibleVersions: '9+',
    fields: [
      field('transactionalId', 'string', '3+', { nullableVersions: '3+' }),
      field('acks', 'int16', '0+'),
      field('timeoutMs', 'int32', '0+'),
      field('topicData', '[]struct', '0+', {
        fields: [
          field('name', 'string', '0+'),
          field('partitionData', '[]struct', '0+', {
            fields: [
              field('index', 'int32', '0+'),
              field('records', 'records', '0+', { nullableVersions: '0+' }),
            ],
          }),
        ],
      }),
    ],
  },
  response: {
    apiKey: 0,
    name: 'ProduceResponse',
    type: 'response',
    validVersions: '3-8',
    flexibleVersions: '9+',
    fields: [
      field('responses', '[]struct', '0+', {
        fields: [
          field('name', 'string', '0+'),
          field('partitionResponses', '[]struct', '0+', {
            fields: [
              field('index', 'int32', '0+'),
              field('errorCode', 'int16', '0+'),
              field('baseOffset', 'int64', '0+'),
              field('logAppendTimeMs', 'int64', '2+', { default: -1 }),
              field('logStartOffset', 'int64', '5+', { default: -1 }),
              field('recordErrors', '[]struct', '8+', {
                fields: [
                  field('batchIndex', 'int32', '8+'),
                  field('batchIndexErrorMessage', 'string', '8+', { nullableVersions: '8+' }),
                ],
              }),
              field('errorMessage', 'string', '8+', { nullableVersions: '8+' }),
            ],
          }),
        ],
      }),
      field('throttleTimeMs', 'int32', '1+'),
    ],
  },
};
