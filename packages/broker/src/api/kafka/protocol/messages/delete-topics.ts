// DeleteTopics (key 20). Versions 0-4 (4 is the first flexible one).
import { type ApiSchemas, field } from '../schema.ts';

export const DELETE_TOPICS: ApiSchemas = {
  apiKey: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 4,
  request: {
    apiKey: 20,
    name: 'DeleteTopicsRequest',
    type: 'request',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [field('topicNames', '[]string', '0+'), field('timeoutMs', 'int32', '0+')],
  },
  response: {
    apiKey: 20,
    name: 'DeleteTopicsResponse',
    type: 'response',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      field('responses', '[]struct', '0+', {
        fields: [field('name', 'string', '0+'), field('errorCode', 'int16', '0+')],
      }),
    ],
  },
};
