// DescribeGroups (key 15): groups' state, protocol and members with their metadata and assignments.
// Versions 0-5 (3 adds authorized operations, 4 static instance ids, 5 is flexible).
import { type ApiSchemas, field } from '../schema.ts';

export const DESCRIBE_GROUPS: ApiSchemas = {
  apiKey: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  request: {
    apiKey: 15,
    name: 'DescribeGroupsRequest',
    type: 'request',
    validVersions: '0-5',
    flexibleVersions: '5+',
    fields: [field('groups', '[]string', '0+'), field('includeAuthorizedOperations', 'bool', '3+')],
  },
  response: {
    apiKey: 15,
    name: 'DescribeGroupsResponse',
    type: 'response',
    validVersions: '0-5',
    flexibleVersions: '5+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      field('groups', '[]struct', '0+', {
        fields: [
          field('errorCode', 'int16', '0+'),
          field('groupId', 'string', '0+'),
          field('groupState', 'string', '0+'),
          field('protocolType', 'string', '0+'),
          field('protocolData', 'string', '0+'),
          field('members', '[]struct', '0+', {
            fields: [
              field('memberId', 'string', '0+'),
              field('groupInstanceId', 'string', '4+', { nullableVersions: '4+', default: null }),
              field('clientId', 'string', '0+'),
              field('clientHost', 'string', '0+'),
              field('memberMetadata', 'bytes', '0+'),
              field('memberAssignment', 'bytes', '0+'),
            ],
          }),
          field('authorizedOperations', 'int32', '3+', { default: -2147483648 }),
        ],
      }),
    ],
  },
};
