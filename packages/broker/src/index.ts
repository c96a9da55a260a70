// The public API of @sluice/broker: the broker process, its configuration and its entry point.

export * from './config/index.ts';
export { serverStart } from './main.ts';
export { type MetaProperties, readMetaProperties } from './meta-properties.ts';
export { Broker, BrokerStartupError } from './server.ts';
