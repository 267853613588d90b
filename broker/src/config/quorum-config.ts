/**
 * The KRaft side of a broker's configuration: its roles, the controller quorum it belongs to, the
 * CONTROLLER listener, and the metadata log's place — Kafka's property names and validation rules
 * (KafkaConfig's KRaft checks), so a Kafka `server.properties` for a KRaft node reads the same here.
 *
 * One deviation, written down in docs/cluster.md: with neither `controller.quorum.voters` nor
 * `controller.quorum.bootstrap.servers` given, a node with the controller role is a one-node
 * quorum of itself (what `kafka-storage.sh format --standalone` sets up), so `make run` needs no
 * quorum settings at all. Kafka refuses to start instead.
 */
import { ConfigError } from './config-types.js';
import type { Listener } from './broker-config.js';

export type ProcessRole = 'broker' | 'controller';

export interface QuorumVoter {
  nodeId: number;
  host: string;
  port: number;
}

export interface HostPort {
  host: string;
  port: number;
}

/** Raft timing, broker sessions and metadata log limits: numbers taken as they are given. */
export interface QuorumTimingsAndLimits {
  electionTimeoutMs: number;
  fetchTimeoutMs: number;
  electionBackoffMaxMs: number;
  requestTimeoutMs: number;
  retryBackoffMs: number;
  appendLingerMs: number;
  brokerSessionTimeoutMs: number;
  brokerHeartbeatIntervalMs: number;
  initialBrokerRegistrationTimeoutMs: number;
  metadataLogSegmentBytes: number;
  metadataMaxRetentionBytes: number;
  metadataMaxRetentionMs: number;
  metadataSnapshotMaxIntervalMs: number;
  metadataSnapshotMaxNewRecordBytes: number;
}

export interface QuorumConfig extends QuorumTimingsAndLimits {
  processRoles: ReadonlySet<ProcessRole>;
  /** Static voters (controller.quorum.voters); empty with a dynamic quorum (bootstrap servers). */
  voters: readonly QuorumVoter[];
  bootstrapServers: readonly HostPort[];
  /** True when neither voters nor bootstrap servers were given: a one-node quorum of this node. */
  standalone: boolean;
  controllerListenerNames: readonly string[];
  /** The listener (from `listeners`) the controller serves Raft and controller RPCs on, if any. */
  controllerListener: Listener | null;
  /** The listener brokers use among themselves (inter.broker.listener.name, else the first non-controller one). */
  interBrokerListenerName: string | null;
  metadataLogDir: string;
  brokerRack: string | null;
}

/** The raw (typed) property values quorum-config reads; broker-config parses and range-checks them. */
export interface QuorumProperties extends QuorumTimingsAndLimits {
  nodeId: number;
  processRoles: string[];
  voters: string[];
  bootstrapServers: string[];
  controllerListenerNames: string[];
  interBrokerListenerName: string | null;
  metadataLogDir: string | null;
  brokerRack: string | null;
  listeners: readonly Listener[];
  logDirs: readonly string[];
}

const ROLES: readonly ProcessRole[] = ['broker', 'controller'];

export function buildQuorumConfig(props: QuorumProperties): QuorumConfig {
  const processRoles = parseRoles(props.processRoles);
  const voters = props.voters.map(parseVoter);
  const seen = new Set<number>();
  for (const voter of voters) {
    if (seen.has(voter.nodeId)) throw new ConfigError('controller.quorum.voters', `node id ${voter.nodeId} is listed twice`);
    seen.add(voter.nodeId);
  }
  const bootstrapServers = props.bootstrapServers.map((item) => parseHostPort('controller.quorum.bootstrap.servers', item));
  const isController = processRoles.has('controller');
  const standalone = voters.length === 0 && bootstrapServers.length === 0;
  if (standalone && !isController) {
    throw new ConfigError(
      'controller.quorum.voters',
      'a node with only the broker role needs controller.quorum.voters or controller.quorum.bootstrap.servers to find the controllers',
    );
  }
  if (voters.length > 0) {
    const listed = seen.has(props.nodeId);
    if (isController && !listed) {
      throw new ConfigError(
        'controller.quorum.voters',
        `node.id ${props.nodeId} has the controller role but is not one of the voters ${props.voters.join(',')}`,
      );
    }
    if (!isController && listed) {
      throw new ConfigError('controller.quorum.voters', `node.id ${props.nodeId} has only the broker role but is listed as a voter`);
    }
  }

  const controllerListenerNames = props.controllerListenerNames;
  const listenerNames = new Set(props.listeners.map((listener) => listener.name));
  if (!standalone && controllerListenerNames.length === 0) {
    throw new ConfigError('controller.listener.names', 'must name at least one listener when the quorum has other nodes');
  }
  let controllerListener: Listener | null = null;
  if (isController && controllerListenerNames.length > 0) {
    controllerListener = props.listeners.find((listener) => listener.name === controllerListenerNames[0]) ?? null;
    if (controllerListener === null) {
      throw new ConfigError(
        'controller.listener.names',
        `'${controllerListenerNames[0]}' must be one of the listeners (${[...listenerNames].join(', ')}) on a node with the controller role`,
      );
    }
  }
  if (!isController) {
    const clash = controllerListenerNames.find((name) => listenerNames.has(name));
    if (clash !== undefined) {
      throw new ConfigError('controller.listener.names', `'${clash}' must not be one of the listeners on a node with only the broker role`);
    }
  }
  if (processRoles.has('broker')) {
    const dataListeners = props.listeners.filter((listener) => !controllerListenerNames.includes(listener.name));
    if (dataListeners.length === 0)
      throw new ConfigError('listeners', 'a node with the broker role needs a listener that is not a controller listener');
  }
  const interBrokerListenerName =
    props.interBrokerListenerName ?? props.listeners.find((l) => !controllerListenerNames.includes(l.name))?.name ?? null;
  if (props.interBrokerListenerName !== null && !listenerNames.has(props.interBrokerListenerName)) {
    throw new ConfigError('inter.broker.listener.name', `'${props.interBrokerListenerName}' is not one of the listeners`);
  }
  if (props.brokerHeartbeatIntervalMs >= props.brokerSessionTimeoutMs) {
    throw new ConfigError(
      'broker.heartbeat.interval.ms',
      `${props.brokerHeartbeatIntervalMs} must be below broker.session.timeout.ms ${props.brokerSessionTimeoutMs}`,
    );
  }
  return {
    processRoles,
    voters,
    bootstrapServers,
    standalone,
    controllerListenerNames,
    controllerListener,
    interBrokerListenerName,
    metadataLogDir: props.metadataLogDir ?? props.logDirs[0]!,
    brokerRack: props.brokerRack,
    electionTimeoutMs: props.electionTimeoutMs,
    fetchTimeoutMs: props.fetchTimeoutMs,
    electionBackoffMaxMs: props.electionBackoffMaxMs,
    requestTimeoutMs: props.requestTimeoutMs,
    retryBackoffMs: props.retryBackoffMs,
    appendLingerMs: props.appendLingerMs,
    brokerSessionTimeoutMs: props.brokerSessionTimeoutMs,
    brokerHeartbeatIntervalMs: props.brokerHeartbeatIntervalMs,
    initialBrokerRegistrationTimeoutMs: props.initialBrokerRegistrationTimeoutMs,
    metadataLogSegmentBytes: props.metadataLogSegmentBytes,
    metadataMaxRetentionBytes: props.metadataMaxRetentionBytes,
    metadataMaxRetentionMs: props.metadataMaxRetentionMs,
    metadataSnapshotMaxIntervalMs: props.metadataSnapshotMaxIntervalMs,
    metadataSnapshotMaxNewRecordBytes: props.metadataSnapshotMaxNewRecordBytes,
  };
}

function parseRoles(items: string[]): Set<ProcessRole> {
  if (items.length === 0) throw new ConfigError('process.roles', 'must name broker, controller or both');
  const roles = new Set<ProcessRole>();
  for (const item of items) {
    const role = ROLES.find((r) => r === item.trim().toLowerCase());
    if (role === undefined) throw new ConfigError('process.roles', `'${item}' is not a role (broker, controller)`);
    if (roles.has(role)) throw new ConfigError('process.roles', `'${item}' is listed twice`);
    roles.add(role);
  }
  return roles;
}

/** `{id}@{host}:{port}`, host possibly an [IPv6] literal. */
function parseVoter(item: string): QuorumVoter {
  const match = /^(\d+)@(.+)$/.exec(item.trim());
  if (!match) throw new ConfigError('controller.quorum.voters', `'${item}' is not of the form {id}@{host}:{port}`);
  const nodeId = Number(match[1]);
  if (!Number.isSafeInteger(nodeId) || nodeId > 2 ** 31 - 1)
    throw new ConfigError('controller.quorum.voters', `'${match[1]}' is not a node id`);
  return { nodeId, ...parseHostPort('controller.quorum.voters', match[2]!) };
}

function parseHostPort(property: string, item: string): HostPort {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d+)$/.exec(item.trim());
  if (!match) throw new ConfigError(property, `'${item}' is not of the form host:port`);
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new ConfigError(property, `port ${port} is out of range`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

/**
 * Why this node's roles cannot run yet, or null. Only combined nodes (broker,controller) run:
 * a broker-only node would have to fetch the metadata log as an observer, and a controller-only
 * node must serve no client listener — neither exists yet (docs/cluster.md), and starting either
 * as a standalone broker would look like a cluster member while being a stranger.
 */
export function unsupportedRolesReason(quorum: QuorumConfig): string | null {
  if (quorum.processRoles.has('broker') && quorum.processRoles.has('controller')) return null;
  const roles = [...quorum.processRoles].join(',');
  return `process.roles=${roles} is not supported by Fjord yet: nodes run with both roles (process.roles=broker,controller); separate broker and controller nodes come with observers of the metadata quorum (docs/cluster.md)`;
}
