// DescribeConfigs (key 32). Versions 0-4 (4 is the first flexible one); topics only.
import { type ApiSchemas, field } from '../schema.ts';

export const DESCRIBE_CONFIGS: ApiSchemas = {
  apiKey: 32,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 4,
  request: {
    apiKey: 32,
    name: 'DescribeConfigsRequest',
    type: 'request',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [
      field('resources', '[]struct', '0+', {
        fields: [
          field('resourceType', 'int8', '0+'),
          field('resourceName', 'string', '0+'),
          field('configurationKeys', '[]string', '0+', { nullableVersions: '0+' }),
        ],
      }),
      field('includeSynonyms', 'bool', '1+'),
      field('includeDocumentation', 'bool', '3+'),
    ],
  },
  response: {
    apiKey: 32,
    name: 'DescribeConfigsResponse',
    type: 'response',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      field('results', '[]struct', '0+', {
        fields: [
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
          field('resourceType', 'int8', '0+'),
          field('resourceName', 'string', '0+'),
          field('configs', '[]struct', '0+', {
            fields: [
              field('name', 'string', '0+'),
              field('value', 'string', '0+', { nullableVersions: '0+' }),
              field('readOnly', 'bool', '0+'),
              field('isDefault', 'bool', '0'),
              field('configSource', 'int8', '1+', { default: -1 }),
              field('isSensitive', 'bool', '0+'),
              field('synonyms', '[]struct', '1+', {
                fields: [
                  field('name', 'string', '1+'),
                  field('value', 'string', '1+', { nullableVersions: '1+' }),
                  field('source', 'int8', '1+'),
                ],
              }),
              field('configType', 'int8', '3+'),
              field('documentation', 'string', '3+', { nullableVersions: '3+' }),
            ],
          }),
        ],
      }),
    ],
  },
};
