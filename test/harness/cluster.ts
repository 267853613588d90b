/**
 * Starts an N-node cluster of real processes — Fjord (bin/fjord.js broker) or Apache Kafka 4.4 —
 * every node with both roles (broker and controller) and a static quorum of all of them
 * (controller.quorum.voters), on free localhost ports. Nodes start together, since none is ready
 * before a majority of the quorum runs. Each node is a BrokerHandle (stop, kill9, restart, logs).
 */
import { randomBytes } from 'node:crypto';
import { freePort, startBroker, type BrokerHandle, type Target } from './broker.js';

export interface ClusterOptions {
  target: Target;
  nodes: number;
  /** Extra properties for every node. */
  config?: Record<string, string>;
  /** Extra properties for one node (by node id, 1..nodes), over `config`. */
  nodeConfig?: (nodeId: number) => Record<string, string>;
  startTimeoutMs?: number;
}

export interface ClusterHandle {
  target: Target;
  nodes: BrokerHandle[];
  /** host:port of every node's client listener, comma separated (a client's bootstrap.servers). */
  bootstrap: string;
  /** controller.quorum.voters of the cluster. */
  voters: string;
  clusterId: string;
  stop(): Promise<void>;
  logs(): string;
}

export async function startCluster(options: ClusterOptions): Promise<ClusterHandle> {
  if (!Number.isInteger(options.nodes) || options.nodes < 1) throw new RangeError(`nodes must be a positive integer, got ${options.nodes}`);
  const host = '127.0.0.1';
  const clusterId = randomBytes(16).toString('base64url');
  const ports: { port: number; controllerPort: number }[] = [];
  for (let i = 0; i < options.nodes; i++) ports.push({ port: await freePort(), controllerPort: await freePort() });
  const voters = ports.map((p, i) => `${i + 1}@${host}:${p.controllerPort}`).join(',');
  const started = await Promise.allSettled(
    ports.map((p, i) =>
      startBroker({
        target: options.target,
        config: { ...options.config, ...options.nodeConfig?.(i + 1) },
        startTimeoutMs: options.startTimeoutMs,
        node: { nodeId: i + 1, port: p.port, controllerPort: p.controllerPort, clusterId, voters },
      }),
    ),
  );
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = started.flatMap((r, i) => (r.status === 'rejected' ? [`node ${i + 1}: ${(r.reason as Error).message}`] : []));
  if (failures.length > 0) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw new Error(`${options.target} cluster of ${options.nodes} did not start:\n${failures.join('\n')}`);
  }
  return {
    target: options.target,
    nodes,
    bootstrap: nodes.map((n) => n.bootstrap).join(','),
    voters,
    clusterId,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
    logs() {
      return nodes.map((n, i) => `===== node ${i + 1} =====\n${n.logs()}`).join('\n');
    },
  };
}
