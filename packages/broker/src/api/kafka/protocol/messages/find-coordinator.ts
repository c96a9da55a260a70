// FindCoordinator (key 10): which broker coordinates a group (key type 0). Versions 0-3 (3 is flexible).
// Sluice has no transaction coordinator, so key type 1 is answered with COORDINATOR_NOT_AVAILABLE.
import { type ApiSchemas, field } from '../schema.ts';

export const FIND_COORDINATOR: ApiSchemas = {
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 3,
  request: {
    apiKey: 10,
    name: 'FindCoordinatorRequest',
    type: 'request',
    validVersions: '0-3',
    flexibleVersions: '3+',
    fields: [field('key', 'string', '0+'), field('keyType', 'int8', '1+')],
  },
  response: {
    apiKey: 10,
    name: 'FindCoordinatorResponse',
    type: 'response',
    validVersions: '0-3',
    flexibleVersions: '3+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '1+', { nullableVersions: '1+' }),
      field('nodeId', 'int32', '0+'),
      field('host', 'string', '0+'),
      field('port', 'int32', '0+'),
    ],
  },
};
