// InitProducerId (key 22): a producer id for the idempotent producer (no transactions). Versions 0-4.
import { type ApiSchemas, field } from '../schema.ts';

export const INIT_PRODUCER_ID: ApiSchemas = {
  apiKey: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 4,
  request: {
    apiKey: 22,
    name: 'InitProducerIdRequest',
    type: 'request',
    validVersions: '0-4',
    flexibleVersions: '2+',
    fields: [
      field('transactionalId', 'string', '0+', { nullableVersions: '0+' }),
      field('transactionTimeoutMs', 'int32', '0+'),
      field('producerId', 'int64', '3+', { default: -1 }),
      field('producerEpoch', 'int16', '3+', { default: -1 }),
    ],
  },
  response: {
    apiKey: 22,
    name: 'InitProducerIdResponse',
    type: 'response',
    validVersions: '0-4',
    flexibleVersions: '2+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('producerId', 'int64', '0+', { default: -1 }),
      field('producerEpoch', 'int16', '0+'),
    ],
  },
};
