// JoinGroup (key 11): a member joins (or rejoins) a group and waits for the rebalance to complete; the
// leader gets every member's protocol metadata. Versions 0-7 (6+ flexible; v0 has no rebalance timeout,
// v5 adds static membership, v7 the protocol type in the answer).
import { type ApiSchemas, field } from '../schema.ts';

export const JOIN_GROUP: ApiSchemas = {
  apiKey: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 7,
  request: {
    apiKey: 11,
    name: 'JoinGroupRequest',
    type: 'request',
    validVersions: '0-7',
    flexibleVersions: '6+',
    fields: [
      field('groupId', 'string', '0+'),
      field('sessionTimeoutMs', 'int32', '0+'),
      field('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
      field('memberId', 'string', '0+'),
      field('groupInstanceId', 'string', '5+', { nullableVersions: '5+', default: null }),
      field('protocolType', 'string', '0+'),
      field('protocols', '[]struct', '0+', {
        fields: [field('name', 'string', '0+'), field('metadata', 'bytes', '0+')],
      }),
    ],
  },
  response: {
    apiKey: 11,
    name: 'JoinGroupResponse',
    type: 'response',
    validVersions: '0-7',
    flexibleVersions: '6+',
    fields: [
      field('throttleTimeMs', 'int32', '2+'),
      field('errorCode', 'int16', '0+'),
      field('generationId', 'int32', '0+', { default: -1 }),
      field('protocolType', 'string', '7+', { nullableVersions: '7+', default: null }),
      field('protocolName', 'string', '0+', { nullableVersions: '7+' }),
      field('leader', 'string', '0+'),
      field('memberId', 'string', '0+'),
      field('members', '[]struct', '0+', {
        fields: [
          field('memberId', 'string', '0+'),
          field('groupInstanceId', 'string', '5+', { nullableVersions: '5+', default: null }),
          field('metadata', 'bytes', '0+'),
        ],
      }),
    ],
  },
};
