// AlterConfigs (key 33): replaces a resource's whole set of overrides. Versions 0-2 (2 is flexible).
import { type ApiSchemas, field } from '../schema.ts';

export const ALTER_CONFIGS: ApiSchemas = {
  apiKey: 33,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  request: {
    apiKey: 33,
    name: 'AlterConfigsRequest',
    type: 'request',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      field('resources', '[]struct', '0+', {
        fields: [
          field('resourceType', 'int8', '0+'),
          field('resourceName', 'string', '0+'),
          field('configs', '[]struct', '0+', {
            fields: [
              field('name', 'string', '0+'),
              field('value', 'string', '0+', { nullableVersions: '0+' }),
            ],
          }),
        ],
      }),
      field('validateOnly', 'bool', '0+'),
    ],
  },
  response: {
    apiKey: 33,
    name: 'AlterConfigsResponse',
    type: 'response',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      field('responses', '[]struct', '0+', {
        fields: [
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
          field('resourceType', 'int8', '0+'),
          field('resourceName', 'string', '0+'),
        ],
      }),
    ],
  },
};
