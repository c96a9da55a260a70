// Heartbeat (key 12): a member tells the coordinator it is alive and learns of a rebalance. Versions
// 0-4 (3 adds static membership, 4 is flexible).
import { type ApiSchemas, field } from '../schema.ts';

export const HEARTBEAT: ApiSchemas = {
  apiKey: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  request: {
    apiKey: 12,
    name: 'HeartbeatRequest',
    type: 'request',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [
      field('groupId', 'string', '0+'),
      field('generationId', 'int32', '0+'),
      field('memberId', 'string', '0+'),
      field('groupInstanceId', 'string', '3+', { nullableVersions: '3+', default: null }),
    ],
  },
  response: {
    apiKey: 12,
    name: 'HeartbeatResponse',
    type: 'response',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [field('throttleTimeMs', 'int32', '1+'), field('errorCode', 'int16', '0+')],
  },
};
