// Metadata (key 3): brokers (their endpoints on the listener asked), the controller and topics with
// their partitions' leaders, replicas and ISR. Versions 0-9 (10+ add topic ids).
import { type ApiSchemas, field } from '../schema.ts';

export const METADATA: ApiSchemas = {
  apiKey: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 9,
  request: {
    apiKey: 3,
    name: 'MetadataRequest',
    type: 'request',
    validVersions: '0-9',
    flexibleVersions: '9+',
    fields: [
      // v0: an empty array means every topic; v1+: null means every topic, empty means none.
      field('topics', '[]struct', '0+', { nullableVersions: '1+', fields: [field('name', 'string', '0+')] }),
      field('allowAutoTopicCreation', 'bool', '4+', { default: true }),
      field('includeClusterAuthorizedOperations', 'bool', '8-10'),
      field('includeTopicAuthorizedOperations', 'bool', '8+'),
    ],
  },
  response: {
    apiKey: 3,
    name: 'MetadataResponse',
    type: 'response',
    validVersions: '0-9',
    flexibleVersions: '9+',
    fields: [
      field('throttleTimeMs', 'int32', '3+'),
      field('brokers', '[]struct', '0+', {
        fields: [
          field('nodeId', 'int32', '0+'),
          field('host', 'string', '0+'),
          field('port', 'int32', '0+'),
          field('rack', 'string', '1+', { nullableVersions: '1+' }),
        ],
      }),
      field('clusterId', 'string', '2+', { nullableVersions: '2+' }),
      field('controllerId', 'int32', '1+', { default: -1 }),
      field('topics', '[]struct', '0+', {
        fields: [
          field('errorCode', 'int16', '0+'),
          field('name', 'string', '0+'),
          field('isInternal', 'bool', '1+'),
          field('partitions', '[]struct', '0+', {
            fields: [
              field('errorCode', 'int16', '0+'),
              field('partitionIndex', 'int32', '0+'),
              field('leaderId', 'int32', '0+'),
              field('leaderEpoch', 'int32', '7+', { default: -1 }),
              field('replicaNodes', '[]int32', '0+'),
              field('isrNodes', '[]int32', '0+'),
              field('offlineReplicas', '[]int32', '5+'),
            ],
          }),
          field('topicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
        ],
      }),
      field('clusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
    ],
  },
};
