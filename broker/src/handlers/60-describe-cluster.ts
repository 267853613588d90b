import { decodeDescribeClusterRequest, type DescribeClusterRequest } from '../protocol/generated/describe-cluster-request.js';
import { encodeDescribeClusterResponse, type DescribeClusterResponseInput } from '../protocol/generated/describe-cluster-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { registerHandler } from './registry.js';

/** Kafka's "authorized operations not requested" marker. */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/**
 * No authorizer: every operation the CLUSTER resource supports (AclEntry.supportedOperations:
 * CREATE 5, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11,
 * IDEMPOTENT_WRITE 12), as a bit set.
 */
const CLUSTER_OPERATIONS_ALL = [5, 7, 8, 9, 10, 11, 12].reduce((bits, op) => bits | (1 << op), 0);
/** DescribeClusterRequest EndpointType: 1 = BROKER, 2 = CONTROLLER. */
const ENDPOINT_TYPE_BROKER = 1;
const ENDPOINT_TYPE_NAMES: Record<number, string> = { 1: 'BROKER', 2: 'CONTROLLER' };
/** Errors.MISMATCHED_ENDPOINT_TYPE */
const MISMATCHED_ENDPOINT_TYPE = 114;

/**
 * DescribeCluster (60), v0-2 (Kafka 4.0 advertises 0-2): this node is the only broker and the
 * controller. v1 EndpointType: we are a broker endpoint, so a request for CONTROLLER endpoints is
 * MISMATCHED_ENDPOINT_TYPE as in Kafka; v2 IsFenced is always false (a running broker).
 */
registerHandler<DescribeClusterRequest, DescribeClusterResponseInput>({
  apiKey: 60,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 2,
  decodeRequest: decodeDescribeClusterRequest,
  encodeResponse: encodeDescribeClusterResponse,
  handle(request, info, broker) {
    if (info.apiVersion >= 1 && request.endpointType !== ENDPOINT_TYPE_BROKER) {
      const wanted = ENDPOINT_TYPE_NAMES[request.endpointType] ?? 'UNKNOWN';
      return {
        throttleTimeMs: 0,
        errorCode: MISMATCHED_ENDPOINT_TYPE,
        errorMessage: `The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type ${wanted}`,
        endpointType: ENDPOINT_TYPE_BROKER,
        clusterId: broker.clusterId,
        controllerId: -1,
        brokers: [],
        clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: ENDPOINT_TYPE_BROKER,
      clusterId: broker.clusterId,
      controllerId: broker.cluster.controllerId(),
      brokers: broker.cluster.brokers().map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack, isFenced: b.fenced })),
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS_ALL : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
});
