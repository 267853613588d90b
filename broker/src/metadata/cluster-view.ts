/**
 * Who is in the cluster, as the handlers that name brokers see it (Metadata, DescribeCluster,
 * FindCoordinator): the brokers with their client endpoint and rack, and the active controller.
 * A standalone node is its own cluster of one (`selfClusterView`); a node of a quorum reads the
 * brokers registered in its metadata image (`imageClusterView`), the endpoint of the listener
 * clients reach it on, as Kafka answers with the endpoints of the request's listener.
 */
import type { MetadataImage } from './metadata-image.js';

export interface ClusterBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
  fenced: boolean;
}

export interface ClusterView {
  /** Every broker clients may be sent to (Metadata lists the unfenced ones, DescribeCluster all with isFenced). */
  brokers(): ClusterBroker[];
  broker(nodeId: number): ClusterBroker | undefined;
  /** The active controller, -1 when none is known. */
  controllerId(): number;
}

/** `self()` is read on every call: the advertised port is known only once the listener is bound. */
export function selfClusterView(self: () => ClusterBroker): ClusterView {
  return {
    brokers: () => [self()],
    broker: (nodeId) => (nodeId === self().nodeId ? self() : undefined),
    controllerId: () => self().nodeId,
  };
}

/** The registered brokers of `image()` that have an endpoint on `listenerName`, by id. */
export function imageClusterView(image: () => MetadataImage, listenerName: string): ClusterView {
  const toBroker = (id: number): ClusterBroker | undefined => {
    const registration = image().brokers.get(id);
    const endpoint = registration?.endpoints.find((e) => e.name === listenerName);
    if (registration === undefined || endpoint === undefined) return undefined;
    return { nodeId: id, host: endpoint.host, port: endpoint.port, rack: registration.rack, fenced: registration.fenced };
  };
  return {
    brokers: () =>
      [...image().brokers.keys()]
        .sort((a, b) => a - b)
        .flatMap((id) => {
          const broker = toBroker(id);
          return broker === undefined ? [] : [broker];
        }),
    broker: toBroker,
    controllerId: () => image().controllerId,
  };
}
