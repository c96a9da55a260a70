// Loads the gRPC service definitions of proto/sluice/v1 for both sides, broker and client, with one set
// of loader options: 64-bit integers as JS numbers (offsets and timestamps stay below 2^53), field names
// as written in the .proto (snake_case, like Kafka's message specs), defaults filled in.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/sluice.ts';

export type {
  AlterConfigsRequest,
  AlterConfigsRequest__Output,
} from './generated/sluice/v1/AlterConfigsRequest.ts';
export type {
  AlterConfigsResponse,
  AlterConfigsResponse__Output,
} from './generated/sluice/v1/AlterConfigsResponse.ts';
export type {
  ControlledShutdownRequest,
  ControlledShutdownRequest__Output,
} from './generated/sluice/v1/ControlledShutdownRequest.ts';
export type {
  ControlledShutdownResponse,
  ControlledShutdownResponse__Output,
} from './generated/sluice/v1/ControlledShutdownResponse.ts';
export type { CreatableTopic__Output } from './generated/sluice/v1/CreatableTopic.ts';
export type { CreatableTopicResult } from './generated/sluice/v1/CreatableTopicResult.ts';
export type {
  CreatePartitionsRequest,
  CreatePartitionsRequest__Output,
} from './generated/sluice/v1/CreatePartitionsRequest.ts';
export type {
  CreatePartitionsResponse,
  CreatePartitionsResponse__Output,
} from './generated/sluice/v1/CreatePartitionsResponse.ts';
export type { CreateTopicsRequest__Output } from './generated/sluice/v1/CreateTopicsRequest.ts';
export type {
  CreateTopicsResponse,
  CreateTopicsResponse__Output,
} from './generated/sluice/v1/CreateTopicsResponse.ts';
export type {
  DeleteGroupsRequest,
  DeleteGroupsRequest__Output,
} from './generated/sluice/v1/DeleteGroupsRequest.ts';
export type {
  DeleteGroupsResponse,
  DeleteGroupsResponse__Output,
} from './generated/sluice/v1/DeleteGroupsResponse.ts';
export type {
  DeleteTopicsRequest,
  DeleteTopicsRequest__Output,
} from './generated/sluice/v1/DeleteTopicsRequest.ts';
export type {
  DeleteTopicsResponse,
  DeleteTopicsResponse__Output,
} from './generated/sluice/v1/DeleteTopicsResponse.ts';
export type {
  DescribeConfigsRequest,
  DescribeConfigsRequest__Output,
} from './generated/sluice/v1/DescribeConfigsRequest.ts';
export type { DescribeConfigsResourceResult } from './generated/sluice/v1/DescribeConfigsResourceResult.ts';
export type {
  DescribeConfigsResponse,
  DescribeConfigsResponse__Output,
} from './generated/sluice/v1/DescribeConfigsResponse.ts';
export type {
  DescribeGroupsRequest,
  DescribeGroupsRequest__Output,
} from './generated/sluice/v1/DescribeGroupsRequest.ts';
export type {
  DescribeGroupsResponse,
  DescribeGroupsResponse__Output,
} from './generated/sluice/v1/DescribeGroupsResponse.ts';
export type {
  FetchPartitionData,
  FetchPartitionData__Output,
} from './generated/sluice/v1/FetchPartitionData.ts';
export type { FetchRequest, FetchRequest__Output } from './generated/sluice/v1/FetchRequest.ts';
export type { FetchResponse, FetchResponse__Output } from './generated/sluice/v1/FetchResponse.ts';
export type {
  FindCoordinatorRequest,
  FindCoordinatorRequest__Output,
} from './generated/sluice/v1/FindCoordinatorRequest.ts';
export type {
  FindCoordinatorResponse,
  FindCoordinatorResponse__Output,
} from './generated/sluice/v1/FindCoordinatorResponse.ts';
export type { HeartbeatRequest, HeartbeatRequest__Output } from './generated/sluice/v1/HeartbeatRequest.ts';
export type {
  HeartbeatResponse,
  HeartbeatResponse__Output,
} from './generated/sluice/v1/HeartbeatResponse.ts';
export type {
  InitProducerIdRequest,
  InitProducerIdRequest__Output,
} from './generated/sluice/v1/InitProducerIdRequest.ts';
export type {
  InitProducerIdResponse,
  InitProducerIdResponse__Output,
} from './generated/sluice/v1/InitProducerIdResponse.ts';
export type { InterBrokerClient, InterBrokerHandlers } from './generated/sluice/v1/InterBroker.ts';
export type { JoinGroupRequest, JoinGroupRequest__Output } from './generated/sluice/v1/JoinGroupRequest.ts';
export type {
  JoinGroupResponse,
  JoinGroupResponse__Output,
} from './generated/sluice/v1/JoinGroupResponse.ts';
export type {
  LeaveGroupRequest,
  LeaveGroupRequest__Output,
} from './generated/sluice/v1/LeaveGroupRequest.ts';
export type {
  LeaveGroupResponse,
  LeaveGroupResponse__Output,
} from './generated/sluice/v1/LeaveGroupResponse.ts';
export type {
  ListGroupsRequest,
  ListGroupsRequest__Output,
} from './generated/sluice/v1/ListGroupsRequest.ts';
export type {
  ListGroupsResponse,
  ListGroupsResponse__Output,
} from './generated/sluice/v1/ListGroupsResponse.ts';
export type { ListOffsetsPartitionResponse } from './generated/sluice/v1/ListOffsetsPartitionResponse.ts';
export type {
  ListOffsetsRequest,
  ListOffsetsRequest__Output,
} from './generated/sluice/v1/ListOffsetsRequest.ts';
export type {
  ListOffsetsResponse,
  ListOffsetsResponse__Output,
} from './generated/sluice/v1/ListOffsetsResponse.ts';
export type { MetadataBroker__Output } from './generated/sluice/v1/MetadataBroker.ts';
export type { MetadataRequest, MetadataRequest__Output } from './generated/sluice/v1/MetadataRequest.ts';
export type { MetadataResponse, MetadataResponse__Output } from './generated/sluice/v1/MetadataResponse.ts';
export type {
  OffsetCommitRequest,
  OffsetCommitRequest__Output,
} from './generated/sluice/v1/OffsetCommitRequest.ts';
export type {
  OffsetCommitResponse,
  OffsetCommitResponse__Output,
} from './generated/sluice/v1/OffsetCommitResponse.ts';
export type {
  OffsetFetchRequest,
  OffsetFetchRequest__Output,
} from './generated/sluice/v1/OffsetFetchRequest.ts';
export type {
  OffsetFetchResponse,
  OffsetFetchResponse__Output,
} from './generated/sluice/v1/OffsetFetchResponse.ts';
export type {
  OffsetsForLeaderEpochRequest,
  OffsetsForLeaderEpochRequest__Output,
} from './generated/sluice/v1/OffsetsForLeaderEpochRequest.ts';
export type {
  OffsetsForLeaderEpochResponse,
  OffsetsForLeaderEpochResponse__Output,
} from './generated/sluice/v1/OffsetsForLeaderEpochResponse.ts';
export type {
  PartitionMetadata,
  PartitionMetadata__Output,
} from './generated/sluice/v1/PartitionMetadata.ts';
export type { PartitionProduceResponse } from './generated/sluice/v1/PartitionProduceResponse.ts';
export type { ProduceRequest, ProduceRequest__Output } from './generated/sluice/v1/ProduceRequest.ts';
export type { ProduceResponse, ProduceResponse__Output } from './generated/sluice/v1/ProduceResponse.ts';
export type { SluiceClient, SluiceHandlers } from './generated/sluice/v1/Sluice.ts';
export type {
  StopReplicaRequest,
  StopReplicaRequest__Output,
} from './generated/sluice/v1/StopReplicaRequest.ts';
export type {
  StopReplicaResponse,
  StopReplicaResponse__Output,
} from './generated/sluice/v1/StopReplicaResponse.ts';
export type { SyncGroupRequest, SyncGroupRequest__Output } from './generated/sluice/v1/SyncGroupRequest.ts';
export type {
  SyncGroupResponse,
  SyncGroupResponse__Output,
} from './generated/sluice/v1/SyncGroupResponse.ts';
export type { TopicMetadata } from './generated/sluice/v1/TopicMetadata.ts';
export type { ProtoGrpcType } from './generated/sluice.ts';

const PROTO_ROOT = fileURLToPath(new URL('../../../proto', import.meta.url));

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

/**
 * gRPC's own default is 4 MiB; Kafka's largest requests are bounded by socket.request.max.bytes
 * (100 MiB) and fetch.max.bytes (50 MiB). Both sides set their limits explicitly from config.
 */
export const DEFAULT_GRPC_MAX_MESSAGE_BYTES = 104_857_600;

/** Kafka's ConfigResource.Type codes. */
export const ConfigResourceType = { TOPIC: 2, BROKER: 4 } as const;

/** Kafka's DescribeConfigs ConfigSource codes. */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/** Kafka's IncrementalAlterConfigs operation codes. */
export const ConfigOperation = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

let loaded: ProtoGrpcType | undefined;

/** The loaded `sluice.v1` package; parsed once per process. */
export function sluiceProto(): ProtoGrpcType {
  if (loaded === undefined) {
    const definition = protoLoader.loadSync('sluice/v1/sluice.proto', LOADER_OPTIONS);
    loaded = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return loaded;
}
