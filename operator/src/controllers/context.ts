import type { Cluster, Topic } from '../api/types.generated.js';
import type { KubeClient } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import type { Informer } from '../kube/informer.js';
import type { Logger } from '../kube/log.js';
import type { KubeObject } from '../kube/types.js';

/** What the controllers share: the API client, caches, events, logs and the operator's settings. */
export interface ControllerContext {
  client: KubeClient;
  log: Logger;
  events: EventRecorder;
  clusters: Informer<Cluster>;
  topics: Informer<Topic>;
  statefulSets: Informer<KubeObject>;
  pods: Informer<KubeObject>;
  settings: ControllerSettings;
}

export interface ControllerSettings {
  /** Periodic resync of every Cluster. */
  clusterResyncMs: number;
  /** Periodic resync of every Topic: how soon drift made in the Kafka cluster is reverted. */
  topicResyncMs: number;
  /** Kafka admin request timeout. */
  adminTimeoutMs: number;
  /**
   * The most brokers a Cluster runs: CLUSTER_BROKERS_MAX (1) until brokers form one cluster. A
   * Cluster asking for more runs this many, with Ready=False and Degraded=True, reason
   * ClusterNotSupportedYet. Not a flag: the operator tests raise it to exercise rolls and
   * scale-downs of several brokers, the machinery the cluster issues build on.
   */
  clusterBrokersMax: number;
  /**
   * Bootstrap address of a Cluster the operator runs. Default: the bootstrap Service's DNS name,
   * which resolves inside the Kubernetes cluster; an operator running elsewhere passes its own.
   */
  resolveBootstrap: (cluster: Cluster) => string;
}
