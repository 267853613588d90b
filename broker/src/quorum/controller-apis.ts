/**
 * The CONTROLLER listener's handlers (Kafka's ControllerApis, the Raft part): ApiVersions, Vote,
 * BeginQuorumEpoch, EndQuorumEpoch, DescribeQuorum, FetchSnapshot, Fetch (of the metadata
 * partition only) and DescribeCluster with CONTROLLER endpoints (what `--bootstrap-controller`
 * clients ask first). They live in their own HandlerRegistry, so the controller listener's
 * ApiVersions advertises exactly these, and the broker listener's set is untouched.
 *
 * Also DescribeQuorum for the broker listener of a quorum node (`describeQuorumHandler`): the
 * leader answers itself; any other node forwards the request to the leader's controller endpoint
 * (Kafka's brokers forward it to the active controller), so `kafka-metadata-quorum.sh
 * --bootstrap-server <any node>` works.
 *
 * Each Raft request is checked by raft-wire (cluster id, voter set, topic) before it reaches the
 * replica; an error is answered at the top level, as KafkaRaftClient does.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { HandlerRegistry, type ApiHandler } from '../handlers/registry.js';
import { apiVersionsHandler } from '../handlers/18-api-versions.js';
import type { Transport } from '../io/transport.js';
import {
  decodeDescribeQuorumRequest,
  encodeDescribeQuorumRequest,
  type DescribeQuorumRequest,
} from '../protocol/generated/describe-quorum-request.js';
import {
  decodeDescribeQuorumResponse,
  encodeDescribeQuorumResponse,
  type DescribeQuorumResponseInput,
} from '../protocol/generated/describe-quorum-response.js';
import { decodeDescribeClusterRequest, type DescribeClusterRequest } from '../protocol/generated/describe-cluster-request.js';
import { encodeDescribeClusterResponse, type DescribeClusterResponseInput } from '../protocol/generated/describe-cluster-response.js';
import type { VoteRequest as WireVoteRequest } from '../protocol/generated/vote-request.js';
import type { VoteResponseInput } from '../protocol/generated/vote-response.js';
import type { BeginQuorumEpochRequest as WireBeginRequest } from '../protocol/generated/begin-quorum-epoch-request.js';
import type { BeginQuorumEpochResponseInput } from '../protocol/generated/begin-quorum-epoch-response.js';
import type { EndQuorumEpochRequest as WireEndRequest } from '../protocol/generated/end-quorum-epoch-request.js';
import type { EndQuorumEpochResponseInput } from '../protocol/generated/end-quorum-epoch-response.js';
import type { FetchRequest as WireFetchRequest } from '../protocol/generated/fetch-request.js';
import type { FetchResponseInput } from '../protocol/generated/fetch-response.js';
import type { FetchSnapshotRequest as WireFetchSnapshotRequest } from '../protocol/generated/fetch-snapshot-request.js';
import type { FetchSnapshotResponseInput } from '../protocol/generated/fetch-snapshot-response.js';
import {
  API_BEGIN_QUORUM_EPOCH,
  API_DESCRIBE_QUORUM,
  API_END_QUORUM_EPOCH,
  API_FETCH,
  API_FETCH_SNAPSHOT,
  API_VOTE,
  METADATA_TOPIC,
  beginQuorumEpochFromWire,
  endQuorumEpochFromWire,
  fetchFromWire,
  fetchResponseToWire,
  fetchSnapshotFromWire,
  fetchSnapshotResponseToWire,
  leaderResponseToWire,
  voteFromWire,
  validInbound,
  voteResponseToWire,
  wireCodecs,
  type Inbound,
} from '../raft/raft-wire.js';
import type { RaftRequest, RaftResponse } from '../raft/raft-messages.js';
import type { RaftNode } from './raft-node.js';

/** The client id of a forwarded DescribeQuorum: the receiving controller answers it itself (no loops). */
export const FORWARD_CLIENT_ID = 'fjord-describe-quorum-forward';
const FORWARD_TIMEOUT_MS = 5_000;
const ENDPOINT_TYPE_CONTROLLER = 2;
const MISMATCHED_ENDPOINT_TYPE = 114;
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export interface ControllerApisOptions {
  node: RaftNode;
  /** Forwards DescribeQuorum to the leader; its client id must be FORWARD_CLIENT_ID. */
  forwardTransport: Transport;
  /** The controller listener's name (DescribeQuorum v2 lists each voter's endpoint under it). */
  listenerName: string;
}

/** The CONTROLLER listener's handler set. */
export function controllerHandlers(options: ControllerApisOptions): HandlerRegistry {
  const { node } = options;
  const registry = new HandlerRegistry();
  registry.register(apiVersionsHandler(registry));
  const check = () => ({ clusterId: node.clusterId, voterIds: node.voterIds });

  /** Hands a checked request to the replica; null (no answer in time) → REQUEST_TIMED_OUT. */
  async function ask<M extends RaftRequest, Out>(
    inbound: Inbound<M>,
    toWire: (m: RaftResponse | { errorCode: number }) => Out,
  ): Promise<Out> {
    if (!inbound.ok) return toWire({ errorCode: inbound.errorCode });
    if (!validInbound(inbound.message, node.nodeId)) return toWire({ errorCode: ErrorCode.INVALID_REQUEST });
    const response = await node.handleRequest(inbound.from, inbound.message);
    return toWire(response ?? { errorCode: ErrorCode.REQUEST_TIMED_OUT });
  }

  registry.register<WireVoteRequest, VoteResponseInput>({
    apiKey: API_VOTE,
    name: 'Vote',
    minVersion: 0,
    maxVersion: 2,
    decodeRequest: wireCodecs.decodeVoteRequest,
    encodeResponse: wireCodecs.encodeVoteResponse,
    handle: (request) => ask(voteFromWire(request, check()), (m) => voteResponseToWire(m as Parameters<typeof voteResponseToWire>[0])),
  });
  registry.register<WireBeginRequest, BeginQuorumEpochResponseInput>({
    apiKey: API_BEGIN_QUORUM_EPOCH,
    name: 'BeginQuorumEpoch',
    minVersion: 0,
    maxVersion: 1,
    decodeRequest: wireCodecs.decodeBeginQuorumEpochRequest,
    encodeResponse: wireCodecs.encodeBeginQuorumEpochResponse,
    handle: (request) =>
      ask(beginQuorumEpochFromWire(request, check()), (m) => leaderResponseToWire(m as Parameters<typeof leaderResponseToWire>[0])),
  });
  registry.register<WireEndRequest, EndQuorumEpochResponseInput>({
    apiKey: API_END_QUORUM_EPOCH,
    name: 'EndQuorumEpoch',
    minVersion: 0,
    maxVersion: 1,
    decodeRequest: wireCodecs.decodeEndQuorumEpochRequest,
    encodeResponse: wireCodecs.encodeEndQuorumEpochResponse,
    handle: (request, info) =>
      ask(endQuorumEpochFromWire(request, check(), info.apiVersion), (m) =>
        leaderResponseToWire(m as Parameters<typeof leaderResponseToWire>[0]),
      ),
  });
  registry.register<WireFetchRequest, FetchResponseInput>({
    apiKey: API_FETCH,
    name: 'Fetch',
    // 12+: the versions with LastFetchedEpoch and the KIP-595 tagged fields the Raft fetch needs.
    minVersion: 12,
    maxVersion: 18,
    decodeRequest: wireCodecs.decodeFetchRequest,
    encodeResponse: wireCodecs.encodeFetchResponse,
    handle: (request, info) =>
      ask(fetchFromWire(request, check(), info.apiVersion), (m) =>
        fetchResponseToWire(m as Parameters<typeof fetchResponseToWire>[0], Date.now()),
      ),
  });
  registry.register<WireFetchSnapshotRequest, FetchSnapshotResponseInput>({
    apiKey: API_FETCH_SNAPSHOT,
    name: 'FetchSnapshot',
    minVersion: 0,
    maxVersion: 1,
    decodeRequest: wireCodecs.decodeFetchSnapshotRequest,
    encodeResponse: wireCodecs.encodeFetchSnapshotResponse,
    handle: (request) =>
      ask(fetchSnapshotFromWire(request, check()), (m) =>
        fetchSnapshotResponseToWire(m as Parameters<typeof fetchSnapshotResponseToWire>[0]),
      ),
  });
  registry.register(describeQuorumHandler(options, true));
  registry.register<DescribeClusterRequest, DescribeClusterResponseInput>({
    apiKey: 60,
    name: 'DescribeCluster',
    minVersion: 1,
    maxVersion: 2,
    decodeRequest: decodeDescribeClusterRequest,
    encodeResponse: encodeDescribeClusterResponse,
    handle(request) {
      const base = {
        throttleTimeMs: 0,
        endpointType: ENDPOINT_TYPE_CONTROLLER,
        clusterId: node.clusterId,
        clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      };
      if (request.endpointType !== ENDPOINT_TYPE_CONTROLLER) {
        return {
          ...base,
          errorCode: MISMATCHED_ENDPOINT_TYPE,
          errorMessage: 'The request was sent to an endpoint of type CONTROLLER, but we wanted an endpoint of type BROKER',
          controllerId: -1,
          brokers: [],
        };
      }
      // Kafka answers a random controller when none is active; this one will do.
      const controllerId = node.leaderId >= 0 ? node.leaderId : node.nodeId;
      return {
        ...base,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        controllerId,
        brokers: node.voterIds.map((id) => {
          const endpoint = node.endpointOf(id)!;
          return { brokerId: id, host: endpoint.host, port: endpoint.port, rack: null, isFenced: false };
        }),
      };
    },
  });
  return registry;
}

/**
 * DescribeQuorum (55), v0-2. `onControllerListener`: a forwarded request (or any request, when
 * this node leads) is answered from this replica; elsewhere it is forwarded to the leader.
 */
export function describeQuorumHandler(
  options: ControllerApisOptions,
  onControllerListener: boolean,
): ApiHandler<DescribeQuorumRequest, DescribeQuorumResponseInput> {
  const { node, forwardTransport: transport, listenerName } = options;
  const local = (version: number): DescribeQuorumResponseInput => {
    const partition = node.describeQuorum();
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      topics: [{ topicName: METADATA_TOPIC, partitions: [version >= 2 ? partition : withoutDirectoryIds(partition)] }],
      nodes:
        version >= 2
          ? node.voterIds.map((id) => {
              const endpoint = node.endpointOf(id)!;
              return { nodeId: id, listeners: [{ name: listenerName, host: endpoint.host, port: endpoint.port }] };
            })
          : [],
    };
  };
  return {
    apiKey: API_DESCRIBE_QUORUM,
    name: 'DescribeQuorum',
    minVersion: 0,
    maxVersion: 2,
    decodeRequest: decodeDescribeQuorumRequest,
    encodeResponse: encodeDescribeQuorumResponse,
    async handle(request, info) {
      const topic = request.topics[0];
      if (
        request.topics.length !== 1 ||
        topic!.topicName !== METADATA_TOPIC ||
        topic!.partitions.length !== 1 ||
        topic!.partitions[0]!.partitionIndex !== 0
      ) {
        return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, topics: [], nodes: [] };
      }
      const leaderId = node.leaderId;
      const forwarded = onControllerListener && info.clientId === FORWARD_CLIENT_ID;
      if (leaderId === node.nodeId || leaderId < 0 || forwarded) return local(info.apiVersion);
      const endpoint = node.endpointOf(leaderId)!;
      try {
        return await transport.send(
          endpoint,
          {
            apiKey: API_DESCRIBE_QUORUM,
            apiVersion: info.apiVersion,
            encode: (w, v) => encodeDescribeQuorumRequest(w, v, request),
            decode: (r, v) => decodeDescribeQuorumResponse(r, v),
          },
          FORWARD_TIMEOUT_MS,
        );
      } catch {
        return local(info.apiVersion);
      }
    },
  };
}

function withoutDirectoryIds<P extends { currentVoters: { replicaDirectoryId: string }[]; observers: { replicaDirectoryId: string }[] }>(
  p: P,
): P {
  const strip = <R extends { replicaDirectoryId: string }>(r: R): R => ({ ...r, replicaDirectoryId: '00000000000000000000000000000000' });
  return { ...p, currentVoters: p.currentVoters.map(strip), observers: p.observers.map(strip) };
}
