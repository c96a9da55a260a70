// SyncGroup (key 14): after a join, the leader sends every member's assignment and each member gets its
// own. Versions 0-5 (3 adds static membership, 4+ flexible, 5 the protocol type and name both ways).
import { type ApiSchemas, field } from '../schema.ts';

export const SYNC_GROUP: ApiSchemas = {
  apiKey: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 5,
  request: {
    apiKey: 14,
    name: 'SyncGroupRequest',
    type: 'request',
    validVersions: '0-5',
    flexibleVersions: '4+',
    fields: [
      field('groupId', 'string', '0+'),
      field('generationId', 'int32', '0+'),
      field('memberId', 'string', '0+'),
      field('groupInstanceId', 'string', '3+', { nullableVersions: '3+', default: null }),
      field('protocolType', 'string', '5+', { nullableVersions: '5+', default: null }),
      field('protocolName', 'string', '5+', { nullableVersions: '5+', default: null }),
      field('assignments', '[]struct', '0+', {
        fields: [field('memberId', 'string', '0+'), field('assignment', 'bytes', '0+')],
      }),
    ],
  },
  response: {
    apiKey: 14,
    name: 'SyncGroupResponse',
    type: 'response',
    validVersions: '0-5',
    flexibleVersions: '4+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      field('errorCode', 'int16', '0+'),
      field('protocolType', 'string', '5+', { nullableVersions: '5+', default: null }),
      field('protocolName', 'string', '5+', { nullableVersions: '5+', default: null }),
      field('assignment', 'bytes', '0+'),
    ],
  },
};
