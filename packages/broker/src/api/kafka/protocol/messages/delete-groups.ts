// DeleteGroups (key 42): deletes empty groups and their committed offsets. Versions 0-2 (2 is flexible).
import { type ApiSchemas, field } from '../schema.ts';

export const DELETE_GROUPS: ApiSchemas = {
  apiKey: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  request: {
    apiKey: 42,
    name: 'DeleteGroupsRequest',
    type: 'request',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [field('groupsNames', '[]string', '0+')],
  },
  response: {
    apiKey: 42,
    name: 'DeleteGroupsResponse',
    type: 'response',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      field('results', '[]struct', '0+', {
        fields: [field('groupId', 'string', '0+'), field('errorCode', 'int16', '0+')],
      }),
    ],
  },
};
