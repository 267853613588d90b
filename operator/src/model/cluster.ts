import { createHash } from 'node:crypto';
import type { Cluster } from '../api/types.generated.js';
import type { KubeObject, OwnerReference } from '../kube/types.js';

/**
 * Pure desired-state builders: Cluster -> the Kubernetes objects that run it. No I/O; the Cluster
 * controller applies what these return (server-side apply). Golden-file tested (cluster.test.ts).
 *
 * Names, for a Cluster `c` in namespace `ns`:
 *   ServiceAccount c, ConfigMap c-config, Service c-brokers (headless, per-pod DNS),
 *   Service c-bootstrap (clients), StatefulSet c (pods c-0..c-N-1), PodDisruptionBudget c.
 * Broker id = pod ordinal (label apps.kubernetes.io/pod-index, through the downward API);
 * advertised listener = c-<n>.c-brokers.ns.svc:9092.
 */

export const KAFKA_PORT = 9092;
export const HTTP_PORT = 8080;
export const DATA_DIR = '/var/lib/fjord/data';
export const CONFIG_DIR = '/etc/fjord';
/** Pod-template annotation: hash of everything that requires a broker restart when it changes. */
export const CONFIG_HASH_ANNOTATION = 'fjord.dev/config-hash';
/** Cluster annotation: change its value to roll every broker (a manual rolling restart). */
export const RESTART_ANNOTATION = 'fjord.dev/restart';
export const CLUSTER_LABEL = 'fjord.dev/cluster';
export const MANAGED_BY = 'fjord-operator';

export type ClusterInput = Cluster & { metadata: { name: string; namespace: string; uid: string } };

export const names = {
  serviceAccount: (c: string) => c,
  configMap: (c: string) => `${c}-config`,
  headlessService: (c: string) => `${c}-brokers`,
  bootstrapService: (c: string) => `${c}-bootstrap`,
  statefulSet: (c: string) => c,
  podDisruptionBudget: (c: string) => c,
  pod: (c: string, ordinal: number) => `${c}-${ordinal}`,
};

export function selectorLabels(cluster: ClusterInput): Record<string, string> {
  return { 'app.kubernetes.io/name': 'fjord', 'app.kubernetes.io/component': 'broker', [CLUSTER_LABEL]: cluster.metadata.name };
}

/** Labels on every child. Deliberately NOT copied from the Cluster: GitOps tracking labels stay on the Cluster. */
export function childLabels(cluster: ClusterInput): Record<string, string> {
  return { ...selectorLabels(cluster), 'app.kubernetes.io/instance': cluster.metadata.name, 'app.kubernetes.io/managed-by': MANAGED_BY };
}

export function ownerReference(cluster: ClusterInput): OwnerReference {
  return {
    apiVersion: 'fjord.dev/v1alpha1',
    kind: 'Cluster',
    name: cluster.metadata.name,
    uid: cluster.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function meta(cluster: ClusterInput, name: string) {
  return { name, namespace: cluster.metadata.namespace, labels: childLabels(cluster), ownerReferences: [ownerReference(cluster)] };
}

/** The Kafka cluster id: the Cluster's UID (a UUID) as 22 base64url characters, as `kafka-storage random-uuid` prints. */
export function kafkaClusterId(cluster: ClusterInput): string {
  return Buffer.from(cluster.metadata.uid.replace(/-/g, ''), 'hex').toString('base64url');
}

export function headlessDomain(cluster: ClusterInput): string {
  return `${names.headlessService(cluster.metadata.name)}.${cluster.metadata.namespace}.svc`;
}

export function bootstrapAddress(cluster: ClusterInput): string {
  return `${names.bootstrapService(cluster.metadata.name)}.${cluster.metadata.namespace}.svc:${KAFKA_PORT}`;
}

/** spec.replicas (the CRD defaults it to 1). */
export function desiredReplicas(cluster: ClusterInput): number {
  return cluster.spec?.replicas ?? 1;
}

/**
 * The most brokers one Cluster runs until Fjord brokers form one cluster (the Raft and
 * replication issues). Today every broker is a single-node cluster of its own: several would be
 * unrelated clusters behind one bootstrap Service, each client seeing whichever it reached first.
 */
export const CLUSTER_BROKERS_MAX = 1;
/** Condition reason of a Cluster that asks for more brokers than CLUSTER_BROKERS_MAX. */
export const NOT_SUPPORTED_YET_REASON = 'ClusterNotSupportedYet';

export interface BrokerPlan {
  /** Brokers the StatefulSet runs: spec.replicas, but at most brokersMax. */
  replicas: number;
  /** Why fewer brokers run than spec.replicas asks for; null when all of them run. */
  notSupported: string | null;
}

/** How many brokers to run for the Cluster when at most `brokersMax` can form one cluster. */
export function planBrokers(cluster: ClusterInput, brokersMax: number): BrokerPlan {
  const desired = desiredReplicas(cluster);
  if (desired <= brokersMax) return { replicas: desired, notSupported: null };
  const running = `${brokersMax} broker${brokersMax === 1 ? '' : 's'}`;
  return {
    replicas: brokersMax,
    notSupported:
      `spec.replicas is ${desired}, but Fjord brokers do not form one cluster yet (each would be a separate ` +
      `single-node cluster behind the bootstrap Service): running ${running}; set spec.replicas to ${brokersMax}`,
  };
}

// ---- children -------------------------------------------------------------------------------------

export function desiredServiceAccount(cluster: ClusterInput): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(cluster, names.serviceAccount(cluster.metadata.name)) };
}

export function serverProperties(cluster: ClusterInput): string {
  const owned: Array<[string, string]> = [
    ['cluster.id', kafkaClusterId(cluster)],
    ['process.roles', 'broker,controller'],
    ['listeners', `PLAINTEXT://:${KAFKA_PORT}`],
    ['log.dirs', DATA_DIR],
    // The probes and Prometheus use the broker's HTTP port (off by default outside Kubernetes).
    ['fjord.http.port', String(HTTP_PORT)],
  ];
  const user = Object.entries(cluster.spec?.config ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = [
    `# Generated by the Fjord operator from Cluster ${cluster.metadata.namespace}/${cluster.metadata.name}. Do not edit.`,
    '# node.id and advertised.listeners are passed per pod on the command line.',
    ...owned.map(([k, v]) => `${k}=${v}`),
    ...user.map(([k, v]) => `${k}=${v}`),
  ];
  return lines.join('\n') + '\n';
}

export function desiredConfigMap(cluster: ClusterInput): KubeObject & { data: Record<string, string> } {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(cluster, names.configMap(cluster.metadata.name)),
    data: { 'server.properties': serverProperties(cluster) },
  };
}

export function desiredHeadlessService(cluster: ClusterInput): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(cluster, names.headlessService(cluster.metadata.name)),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true, // peers must find each other before they are ready
      selector: selectorLabels(cluster),
      ports: [
        { name: 'kafka', port: KAFKA_PORT, targetPort: 'kafka', protocol: 'TCP' },
        { name: 'http', port: HTTP_PORT, targetPort: 'http', protocol: 'TCP' },
      ],
    },
  } as KubeObject;
}

export function desiredBootstrapService(cluster: ClusterInput): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(cluster, names.bootstrapService(cluster.metadata.name)),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(cluster),
      ports: [{ name: 'kafka', port: KAFKA_PORT, targetPort: 'kafka', protocol: 'TCP' }],
    },
  } as KubeObject;
}

function podTemplate(cluster: ClusterInput): Record<string, unknown> {
  const c = cluster.metadata.name;
  const spec = cluster.spec ?? {};
  const storage = spec.storage ?? {};
  const pod = spec.pod ?? {};
  const annotations: Record<string, string> = { ...(pod.annotations ?? {}) };
  const restart = cluster.metadata.annotations?.[RESTART_ANNOTATION];
  if (restart !== undefined) annotations[RESTART_ANNOTATION] = restart;
  const volumes: unknown[] = [{ name: 'config', configMap: { name: names.configMap(c) } }];
  if (storage.type === 'ephemeral') volumes.push({ name: 'data', emptyDir: {} });
  const podSpec: Record<string, unknown> = {
    serviceAccountName: names.serviceAccount(c),
    terminationGracePeriodSeconds: 60,
    securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
    containers: [
      {
        name: 'broker',
        image: spec.image ?? 'fjord:0.1.0',
        imagePullPolicy: spec.imagePullPolicy ?? 'IfNotPresent',
        args: [
          'broker',
          '--config',
          `${CONFIG_DIR}/server.properties`,
          '--override',
          'node.id=$(FJORD_NODE_ID)',
          '--override',
          `advertised.listeners=PLAINTEXT://$(POD_NAME).${headlessDomain(cluster)}:${KAFKA_PORT}`,
        ],
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'FJORD_NODE_ID', valueFrom: { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } } },
        ],
        ports: [
          { name: 'kafka', containerPort: KAFKA_PORT, protocol: 'TCP' },
          { name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' },
        ],
        readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, failureThreshold: 3 },
        livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 6 },
        resources: spec.resources ?? {},
        volumeMounts: [
          { name: 'data', mountPath: DATA_DIR },
          { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        ],
      },
    ],
    volumes,
  };
  if (pod.nodeSelector) podSpec['nodeSelector'] = pod.nodeSelector;
  if (pod.tolerations) podSpec['tolerations'] = pod.tolerations;
  if (pod.affinity) podSpec['affinity'] = pod.affinity;
  if (pod.priorityClassName) podSpec['priorityClassName'] = pod.priorityClassName;
  return { metadata: { labels: { ...(pod.labels ?? {}), ...childLabels(cluster) }, annotations }, spec: podSpec };
}

/**
 * The hash that decides whether a broker pod is up to date: the pod template plus the broker
 * configuration (which the pod reads from the ConfigMap, so the template alone would not change).
 */
export function configHash(cluster: ClusterInput): string {
  const material = JSON.stringify({ template: podTemplate(cluster), properties: serverProperties(cluster) });
  return createHash('sha256').update(material).digest('hex').slice(0, 16);
}

export function desiredStatefulSet(cluster: ClusterInput, replicas: number = desiredReplicas(cluster)): KubeObject {
  const c = cluster.metadata.name;
  const storage = cluster.spec?.storage ?? {};
  const template = podTemplate(cluster) as { metadata: { annotations: Record<string, string> } };
  template.metadata.annotations[CONFIG_HASH_ANNOTATION] = configHash(cluster);
  const retention = storage.deleteClaim ? 'Delete' : 'Retain';
  const spec: Record<string, unknown> = {
    replicas,
    serviceName: names.headlessService(c),
    selector: { matchLabels: selectorLabels(cluster) },
    // Brokers of one quorum must start together; ordered start would wait on readiness that needs the quorum.
    podManagementPolicy: 'Parallel',
    // The operator rolls pods itself, one at a time (controllers/cluster-controller.ts).
    updateStrategy: { type: 'OnDelete' },
    persistentVolumeClaimRetentionPolicy: { whenDeleted: retention, whenScaled: retention },
    template,
  };
  if ((storage.type ?? 'persistent-claim') === 'persistent-claim') {
    const claimSpec: Record<string, unknown> = {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: String(storage.size ?? '10Gi') } },
    };
    if (storage.storageClassName) claimSpec['storageClassName'] = storage.storageClassName;
    spec['volumeClaimTemplates'] = [
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', labels: selectorLabels(cluster) }, spec: claimSpec },
    ];
  }
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta(cluster, names.statefulSet(c)), spec } as KubeObject;
}

export function desiredPodDisruptionBudget(cluster: ClusterInput): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(cluster, names.podDisruptionBudget(cluster.metadata.name)),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(cluster) } },
  } as KubeObject;
}

/** Every child, in apply order. */
export function desiredChildren(cluster: ClusterInput, replicas?: number): KubeObject[] {
  return [
    desiredServiceAccount(cluster),
    desiredConfigMap(cluster),
    desiredHeadlessService(cluster),
    desiredBootstrapService(cluster),
    desiredStatefulSet(cluster, replicas),
    desiredPodDisruptionBudget(cluster),
  ];
}
