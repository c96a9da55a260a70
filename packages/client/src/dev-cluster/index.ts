// The local-cluster harness: `sluice dev-cluster` and every cluster test start clusters with it.
export { BrokerProcess, type BrokerProcessOptions, SLUICE_BIN } from './broker-process.ts';
export { DevCluster, type DevClusterOptions, type ReadyInfo } from './cluster.ts';
