// Loads the gRPC service definitions of proto/sluice/v1 for both sides, broker and client, with one set
// of loader options: 64-bit integers as JS numbers (offsets and timestamps stay below 2^53), field names
// as written in the .proto (snake_case, like Kafka's message specs), defaults filled in.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/sluice.ts';

export type { CreatableTopic__Output } from './generated/sluice/v1/CreatableTopic.ts';
export type { CreatableTopicResult } from './generated/sluice/v1/CreatableTopicResult.ts';
export type { CreateTopicsRequest__Output } from './generated/sluice/v1/CreateTopicsRequest.ts';
export type {
  CreateTopicsResponse,
  CreateTopicsResponse__Output,
} from './generated/sluice/v1/CreateTopicsResponse.ts';
export type {
  FetchPartitionData,
  FetchPartitionData__Output,
} from './generated/sluice/v1/FetchPartitionData.ts';
export type { FetchRequest, FetchRequest__Output } from './generated/sluice/v1/FetchRequest.ts';
export type { FetchResponse, FetchResponse__Output } from './generated/sluice/v1/FetchResponse.ts';
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
  PartitionMetadata,
  PartitionMetadata__Output,
} from './generated/sluice/v1/PartitionMetadata.ts';
export type { PartitionProduceResponse } from './generated/sluice/v1/PartitionProduceResponse.ts';
export type { ProduceRequest, ProduceRequest__Output } from './generated/sluice/v1/ProduceRequest.ts';
export type { ProduceResponse, ProduceResponse__Output } from './generated/sluice/v1/ProduceResponse.ts';
export type { SluiceClient, SluiceHandlers } from './generated/sluice/v1/Sluice.ts';
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

let loaded: ProtoGrpcType | undefined;

/** The loaded `sluice.v1` package; parsed once per process. */
export function sluiceProto(): ProtoGrpcType {
  if (loaded === undefined) {
    const definition = protoLoader.loadSync('sluice/v1/sluice.proto', LOADER_OPTIONS);
    loaded = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return loaded;
}
