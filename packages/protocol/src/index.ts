// The public entry of @sluice/protocol: the wire and disk formats shared by broker and client.
// Everything importable from outside the package is re-exported here and nowhere else.

export * from './compression.ts';
export * from './crc32c.ts';
export * from './errors.ts';
export * from './grpc.ts';
export * from './list-offsets.ts';
export * from './murmur2.ts';
export * from './record-batch.ts';
export * from './topic-name.ts';
export * from './varint.ts';
