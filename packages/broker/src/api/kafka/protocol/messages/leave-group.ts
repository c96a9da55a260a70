// LeaveGroup (key 13): members leave a group. Versions 0-4: v0-2 name one member, v3+ a list of members
// (with their static instance ids) each answered on its own; v4 is flexible.
import { type ApiSchemas, field } from '../schema.ts';

export const LEAVE_GROUP: ApiSchemas = {
  apiKey: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 4,
  request: {
    apiKey: 13,
    name: 'LeaveGroupRequest',
    type: 'request',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [
      field('groupId', 'string', '0+'),
      field('memberId', 'string', '0-2'),
      field('members', '[]struct', '3+', {
        fields: [
          field('memberId', 'string', '3+'),
          field('groupInstanceId', 'string', '3+', { nullableVersions: '3+', default: null }),
        ],
      }),
    ],
  },
  response: {
    apiKey: 13,
    name: 'LeaveGroupResponse',
    type: 'response',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      field('errorCode', 'int16', '0+'),
      field('members', '[]struct', '3+', {
        fields: [
          field('memberId', 'string', '3+'),
          field('groupInstanceId', 'string', '3+', { nullableVersions: '3+' }),
          field('errorCode', 'int16', '3+'),
        ],
      }),
    ],
  },
};
