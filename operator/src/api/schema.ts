/**
 * The ONE schema source for the `fjord.dev` custom resources. `generate.ts` turns this into
 * `crds/*.yaml` (OpenAPI v3 structural schema + CEL rules + printer columns) and into
 * `operator/src/api/types.generated.ts`; `generate.test.ts` fails when either is stale.
 *
 * Schema nodes are plain OpenAPI v3 objects (what the API server stores), so what is written here
 * is exactly what admission enforces.
 */

export const GROUP = 'fjord.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const CATEGORY = 'fjord';

/** A subset of OpenAPI v3 as Kubernetes accepts it in a structural schema. */
export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean' | 'number';
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: SchemaNode;
  items?: SchemaNode;
  enum?: Array<string | number>;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  maxProperties?: number;
  pattern?: string;
  format?: string;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: Array<{ rule: string; message: string; reason?: string; fieldPath?: string }>;
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'number' | 'boolean';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: SchemaNode;
  status: SchemaNode;
  printerColumns: PrinterColumn[];
  /** Rules on the whole spec (cross-field and transition rules). */
  specValidations?: SchemaNode['x-kubernetes-validations'];
  /** Whether a resource without spec is rejected. */
  specRequired: boolean;
}

// ---- shared pieces ---------------------------------------------------------------------------

const stringMap = (description: string, maxProperties = 256): SchemaNode => ({
  type: 'object',
  description,
  additionalProperties: { type: 'string', maxLength: 4096 },
  maxProperties,
});

const intOrStringMap = (description: string): SchemaNode => ({
  type: 'object',
  description,
  additionalProperties: { 'x-kubernetes-int-or-string': true },
  maxProperties: 256,
});

const openObject = (description: string): SchemaNode => ({
  type: 'object',
  description,
  'x-kubernetes-preserve-unknown-fields': true,
});

/** metav1.Condition, as every Kubernetes API uses it. */
const condition: SchemaNode = {
  type: 'object',
  required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  properties: {
    type: { type: 'string', description: 'Ready, Progressing or Degraded.', maxLength: 316 },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    observedGeneration: { type: 'integer', minimum: 0, description: 'The .metadata.generation the condition was set from.' },
    lastTransitionTime: { type: 'string', format: 'date-time' },
    reason: { type: 'string', maxLength: 1024, description: 'CamelCase, machine-readable.' },
    message: { type: 'string', maxLength: 32768 },
  },
};

const conditions: SchemaNode = {
  type: 'array',
  description: 'Ready, Progressing and Degraded, with reasons.',
  items: condition,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  maxItems: 16,
};

const observedGeneration: SchemaNode = {
  type: 'integer',
  minimum: 0,
  description: 'The .metadata.generation the status describes.',
};

/** Broker properties the operator itself owns: users may not set them in spec.config. */
export const RESERVED_BROKER_PROPERTIES = [
  'node.id',
  'broker.id',
  'listeners',
  'advertised.listeners',
  'log.dirs',
  'log.dir',
  'process.roles',
  'cluster.id',
] as const;

const celList = (values: readonly string[]): string => `[${values.map((v) => `'${v}'`).join(', ')}]`;

// ---- Cluster -----------------------------------------------------------------------------------

export const CLUSTER: KindDefinition = {
  kind: 'Cluster',
  plural: 'clusters',
  singular: 'cluster',
  shortNames: ['fjc'],
  specRequired: false,
  description: 'A Fjord cluster: brokers run by a StatefulSet, reachable through a bootstrap Service.',
  spec: {
    type: 'object',
    properties: {
      replicas: {
        type: 'integer',
        minimum: 1,
        maximum: 64,
        default: 1,
        description:
          'Number of brokers. Broker id = pod ordinal. Until brokers form one cluster, one broker runs: more is reported as Ready=False, reason ClusterNotSupportedYet.',
      },
      image: {
        type: 'string',
        minLength: 1,
        maxLength: 512,
        default: 'fjord:0.1.0',
        description: 'Container image that runs `fjord broker`.',
      },
      imagePullPolicy: { type: 'string', enum: ['Always', 'IfNotPresent', 'Never'], default: 'IfNotPresent' },
      storage: {
        type: 'object',
        description: 'Where each broker keeps its log.',
        // explicit (not {}): the API server checks a default against the CEL rules as written
        default: { type: 'persistent-claim', size: '10Gi', deleteClaim: false },
        properties: {
          type: {
            type: 'string',
            enum: ['persistent-claim', 'ephemeral'],
            default: 'persistent-claim',
            description: 'persistent-claim: one PVC per broker (volumeClaimTemplates); ephemeral: emptyDir.',
          },
          size: {
            'x-kubernetes-int-or-string': true,
            default: '10Gi',
            description: 'Volume size (a Kubernetes quantity).',
            pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$',
          },
          storageClassName: { type: 'string', maxLength: 253 },
          deleteClaim: {
            type: 'boolean',
            default: false,
            description: 'Delete the PVCs when the Cluster is deleted or scaled down (default: keep them).',
          },
        },
        'x-kubernetes-validations': [
          {
            // StatefulSet volumeClaimTemplates are immutable; say so at admission rather than fail later.
            rule:
              'self.type == oldSelf.type && string(self.size) == string(oldSelf.size) && ' +
              "(has(self.storageClassName) ? self.storageClassName : '') == (has(oldSelf.storageClassName) ? oldSelf.storageClassName : '')",
            message:
              'storage type, size and storageClassName cannot change after creation (volume resizing is not supported yet); deleteClaim can',
          },
        ],
      },
      resources: {
        type: 'object',
        description: 'Container resources (requests/limits), as in a Pod.',
        properties: {
          requests: intOrStringMap('Resource requests, e.g. cpu: 500m, memory: 1Gi.'),
          limits: intOrStringMap('Resource limits.'),
        },
      },
      config: {
        ...stringMap('Broker properties, by their Kafka names (e.g. num.partitions: "3"). A change rolls the brokers.'),
        'x-kubernetes-validations': [
          {
            rule: `self.all(k, !(k in ${celList(RESERVED_BROKER_PROPERTIES)}))`,
            message: `must not set properties the operator owns: ${RESERVED_BROKER_PROPERTIES.join(', ')}`,
          },
        ],
      },
      pod: {
        type: 'object',
        description: 'Scheduling and metadata overrides for the broker pods.',
        properties: {
          annotations: stringMap('Extra pod annotations.'),
          labels: stringMap('Extra pod labels.'),
          nodeSelector: stringMap('Pod nodeSelector.'),
          tolerations: { type: 'array', maxItems: 64, items: openObject('A Pod toleration.') },
          affinity: openObject('Pod affinity (as in a Pod spec).'),
          priorityClassName: { type: 'string', maxLength: 253 },
        },
      },
    },
  },
  status: {
    type: 'object',
    properties: {
      observedGeneration,
      conditions,
      replicas: { type: 'integer', description: 'Brokers the StatefulSet runs.' },
      readyBrokers: { type: 'integer', description: 'Broker pods that are ready.' },
      bootstrap: { type: 'string', description: 'Bootstrap address for clients inside the cluster.' },
      clusterId: { type: 'string', description: 'The Kafka cluster id the brokers are formatted with.' },
      configHash: { type: 'string', description: 'Hash of the broker configuration the pods should run.' },
    },
  },
  printerColumns: [
    { name: 'Brokers', type: 'integer', jsonPath: '.spec.replicas', description: 'Desired brokers' },
    { name: 'Ready Brokers', type: 'integer', jsonPath: '.status.readyBrokers' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
    { name: 'Bootstrap', type: 'string', jsonPath: '.status.bootstrap', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};

// ---- Topic ---------------------------------------------------------------------------------------

export const TOPIC: KindDefinition = {
  kind: 'Topic',
  plural: 'topics',
  singular: 'topic',
  shortNames: ['fjt'],
  specRequired: true,
  description: 'A topic in a Fjord Cluster (same namespace) or in an external Kafka-compatible cluster.',
  spec: {
    type: 'object',
    required: ['cluster'],
    properties: {
      cluster: {
        type: 'object',
        description: 'Where the topic lives: exactly one of name (a Cluster in this namespace) or bootstrapServers.',
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 253, description: 'A Cluster in the same namespace.' },
          bootstrapServers: {
            type: 'string',
            minLength: 1,
            maxLength: 2048,
            pattern: '^[^,\\s]+:[0-9]+(,[^,\\s]+:[0-9]+)*$',
            description: 'host:port[,host:port...] of an external Kafka-compatible cluster.',
          },
        },
        'x-kubernetes-validations': [
          { rule: 'has(self.name) != has(self.bootstrapServers)', message: 'set exactly one of cluster.name or cluster.bootstrapServers' },
        ],
      },
      topicName: {
        type: 'string',
        minLength: 1,
        maxLength: 249,
        pattern: '^[a-zA-Z0-9._-]+$',
        description: 'Topic name in the cluster. Defaults to metadata.name. Immutable.',
        'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'topicName is immutable' }],
      },
      partitions: {
        type: 'integer',
        minimum: 1,
        maximum: 100000,
        description: 'Partition count; can only grow. Unset: the broker default, not managed afterwards.',
      },
      replicationFactor: {
        type: 'integer',
        minimum: 1,
        maximum: 32767,
        description: 'Replication factor at creation. Unset: the broker default.',
      },
      config: {
        ...intOrStringMap('Topic configs by their Kafka names. Keys not listed are not managed.'),
        'x-kubernetes-validations': [
          {
            rule: "!('cleanup.policy' in self) || string(self['cleanup.policy']) in ['delete', 'compact', 'delete,compact', 'compact,delete']",
            message: 'cleanup.policy must be one of delete, compact, delete,compact',
          },
        ],
      },
    },
  },
  specValidations: [
    {
      // the field rule (self == oldSelf) covers a change; this covers adding or removing it
      rule: 'has(self.topicName) == has(oldSelf.topicName)',
      message: 'topicName is immutable: it cannot be added or removed after creation',
    },
  ],
  status: {
    type: 'object',
    properties: {
      observedGeneration,
      conditions,
      topicName: { type: 'string' },
      topicId: { type: 'string', description: 'The topic id (UUID) the cluster assigned.' },
      partitions: { type: 'integer' },
      replicationFactor: { type: 'integer' },
      config: stringMap('The topic configs in force that are set on the topic (not defaults).', 1024),
    },
  },
  printerColumns: [
    { name: 'Cluster', type: 'string', jsonPath: '.spec.cluster.name' },
    { name: 'Topic', type: 'string', jsonPath: '.status.topicName' },
    { name: 'Partitions', type: 'integer', jsonPath: '.status.partitions' },
    { name: 'RF', type: 'integer', jsonPath: '.status.replicationFactor', description: 'Replication factor' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};

export const KINDS: readonly KindDefinition[] = [CLUSTER, TOPIC];
