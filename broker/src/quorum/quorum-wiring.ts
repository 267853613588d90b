/**
 * Wiring of a voter of a real metadata quorum (config.quorum not standalone, controller role):
 * the Raft store on the node disk, the TCP transports to the other voters, the RaftNode driver,
 * and the two handler sets — the CONTROLLER listener's (controller-apis.ts) and the broker
 * listeners' (every broker handler, plus DescribeQuorum forwarded to the leader). The broker
 * listener set is a copy of the default one with its own ApiVersions, so a standalone node's
 * default set (and what its ApiVersions advertises) is not touched.
 */
import { resolve } from 'node:path';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../io/logger.js';
import { nodeDisk } from '../io/node-disk.js';
import { systemScheduler } from '../io/scheduler.js';
import { PooledTransport } from '../client/pooled-transport.js';
import { apiVersionsHandler, API_VERSIONS_KEY } from '../handlers/18-api-versions.js';
import { brokerHandlers, HandlerRegistry } from '../handlers/registry.js';
import { RaftStore } from '../raft/raft-store.js';
import { RaftNode } from './raft-node.js';
import { controllerHandlers, describeQuorumHandler, FORWARD_CLIENT_ID } from './controller-apis.js';

/** Raft requests in flight to one voter (Fetch + Vote/BeginQuorumEpoch resends): a bound on what a dead peer holds. */
const RAFT_INFLIGHT_PER_VOTER_MAX = 64;

export interface QuorumWiring {
  node: RaftNode;
  controllerHandlers: HandlerRegistry;
  brokerHandlers: HandlerRegistry;
  close(): Promise<void>;
}

export async function startQuorum(options: {
  config: BrokerConfig;
  clusterId: string;
  logger: Logger;
  failStop: (what: string, error: Error) => void;
}): Promise<QuorumWiring> {
  const { config, logger } = options;
  const quorum = config.quorum;
  const transportOptions = {
    scheduler: systemScheduler,
    connectTimeoutMs: quorum.requestTimeoutMs,
    inflightRequestsPerEndpointMax: RAFT_INFLIGHT_PER_VOTER_MAX,
  };
  const transport = new PooledTransport({ ...transportOptions, clientId: `fjord-raft-client-${config.nodeId}` });
  const forwardTransport = new PooledTransport({ ...transportOptions, clientId: FORWARD_CLIENT_ID });
  const store = new RaftStore({
    disk: nodeDisk,
    metadataLogDir: resolve(quorum.metadataLogDir),
    segmentBytes: quorum.metadataLogSegmentBytes,
    nowMs: () => Date.now(),
  });
  const node = await RaftNode.start({
    nodeId: config.nodeId,
    clusterId: options.clusterId,
    quorum,
    store,
    transport,
    scheduler: systemScheduler,
    logger,
    random: Math.random,
    failStop: options.failStop,
  });
  const apis = { node, forwardTransport, listenerName: quorum.controllerListener!.name };
  const brokerSet = new HandlerRegistry();
  for (const handler of brokerHandlers.registered()) if (handler.apiKey !== API_VERSIONS_KEY) brokerSet.register(handler);
  brokerSet.register(apiVersionsHandler(brokerSet));
  if (brokerSet.handlerFor(55) === undefined) brokerSet.register(describeQuorumHandler(apis, false));
  return {
    node,
    controllerHandlers: controllerHandlers(apis),
    brokerHandlers: brokerSet,
    async close() {
      await node.close();
      transport.close();
      forwardTransport.close();
    },
  };
}
