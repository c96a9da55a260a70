// ListGroups (key 16): the groups this broker coordinates. Versions 0-4 (3+ flexible, 4 filters by
// state and answers each group's state).
import { type ApiSchemas, field } from '../schema.ts';

export const LIST_GROUPS: ApiSchemas = {
  apiKey: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 4,
  request: {
    apiKey: 16,
    name: 'ListGroupsRequest',
    type: 'request',
    validVersions: '0-4',
    flexibleVersions: '3+',
    fields: [field('statesFilter', '[]string', '4+')],
  },
  response: {
    apiKey: 16,
    name: 'ListGroupsResponse',
    type: 'response',
    validVersions: '0-4',
    flexibleVersions: '3+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      field('errorCode', 'int16', '0+'),
      field('groups', '[]struct', '0+', {
        fields: [
          field('groupId', 'string', '0+'),
          field('protocolType', 'string', '0+'),
          field('groupState', 'string', '4+'),
        ],
      }),
    ],
  },
};
