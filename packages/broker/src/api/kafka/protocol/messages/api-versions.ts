// ApiVersions (key 18): which APIs and versions this broker speaks. The response is always sent with
// response header v0, even in flexible versions, so a client that guessed too high can still read it.
import { type ApiSchemas, field } from '../schema.ts';

export const API_VERSIONS: ApiSchemas = {
  apiKey: 18,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 3,
  request: {
    apiKey: 18,
    name: 'ApiVersionsRequest',
    type: 'request',
    validVersions: '0-3',
    flexibleVersions: '3+',
    fields: [field('clientSoftwareName', 'string', '3+'), field('clientSoftwareVersion', 'string', '3+')],
  },
  response: {
    apiKey: 18,
    name: 'ApiVersionsResponse',
    type: 'response',
    validVersions: '0-3',
    flexibleVersions: '3+',
    fields: [
      field('errorCode', 'int16', '0+'),
      field('apiKeys', '[]struct', '0+', {
        fields: [
          field('apiKey', 'int16', '0+'),
          field('minVersion', 'int16', '0+'),
          field('maxVersion', 'int16', '0+'),
        ],
      }),
      field('throttleTimeMs', 'int32', '1+'),
    ],
  },
};
