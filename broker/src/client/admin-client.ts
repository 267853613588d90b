import { KafkaConnection } from './kafka-connection.js';
import { ErrorCode, errorName } from '../protocol/error-codes.js';
import * as codec from '../protocol/generated/index.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';

/**
 * A small Kafka admin client on the generated codec: the calls the operator's Topic controller
 * needs (metadata, createTopics, createPartitions, describeConfigs, incrementalAlterConfigs,
 * deleteTopics). One connection to the first bootstrap address that answers; the request versions
 * are fixed at ones that both Fjord and Apache Kafka 3.x/4.x serve.
 *
 * Protocol outcomes come back as values (`errorCode` per topic); transport failures reject.
 */

const API = {
  metadata: { apiKey: 3, version: 12 },
  createTopics: { apiKey: 19, version: 7 },
  deleteTopics: { apiKey: 20, version: 6 },
  describeConfigs: { apiKey: 32, version: 4 },
  createPartitions: { apiKey: 37, version: 3 },
  incrementalAlterConfigs: { apiKey: 44, version: 1 },
} as const;

/** Kafka's ConfigResource.Type for topics. */
const RESOURCE_TOPIC = 2;
/** DescribeConfigs ConfigSource for a per-topic override. */
export const CONFIG_SOURCE_TOPIC = 1;
/** IncrementalAlterConfigs operations. */
export const AlterOp = { SET: 0, DELETE: 1 } as const;

/** The codec's UUID form: 32 hex digits. */
const NULL_TOPIC_ID = '0'.repeat(32);

/** Kafka's printed form of a topic id (Uuid.toString): 22 base64url characters. */
export function formatTopicId(hex: string): string {
  return Buffer.from(hex.replace(/-/g, ''), 'hex').toString('base64url');
}

export interface TopicDescription {
  name: string;
  /** As Kafka prints it (22 base64url characters). */
  topicId: string;
  partitions: number;
  /** Replica count of partition 0 (all partitions of a topic made by CreateTopics share it). */
  replicationFactor: number;
  /** Broker ids that hold a replica of any partition. */
  replicaBrokers: number[];
}

export interface ClusterDescription {
  clusterId: string | null;
  controllerId: number;
  brokers: Array<{ nodeId: number; host: string; port: number }>;
}

export interface TopicConfigEntry {
  name: string;
  value: string | null;
  /** DescribeConfigs ConfigSource (1 = set on the topic). */
  source: number;
  isDefault: boolean;
}

export interface TopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export class AdminError extends Error {
  constructor(
    readonly operation: string,
    readonly errorCode: number,
    message: string | null,
  ) {
    super(`${operation}: ${errorName(errorCode)}${message ? ` (${message})` : ''}`);
  }
}

export function parseBootstrap(bootstrap: string): Array<{ host: string; port: number }> {
  return bootstrap
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const colon = entry.lastIndexOf(':');
      const port = Number(entry.slice(colon + 1));
      if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad bootstrap address '${entry}'`);
      return { host: entry.slice(0, colon).replace(/^\[|\]$/g, ''), port };
    });
}

export class AdminClient {
  private constructor(
    private readonly connection: KafkaConnection,
    readonly timeoutMs: number,
  ) {}

  /** Connects to the first bootstrap address that accepts a connection. */
  static async connect(bootstrap: string, options: { clientId?: string; timeoutMs?: number } = {}): Promise<AdminClient> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const errors: string[] = [];
    for (const { host, port } of parseBootstrap(bootstrap)) {
      try {
        const connection = await KafkaConnection.open(host, port, options.clientId ?? 'fjord-admin', timeoutMs);
        return new AdminClient(connection, timeoutMs);
      } catch (error) {
        errors.push(`${host}:${port}: ${(error as Error).message}`);
      }
    }
    throw new Error(`no bootstrap address answered: ${errors.join('; ')}`);
  }

  close(): void {
    this.connection.close();
  }

  private send<Input, Output>(
    api: { apiKey: number; version: number },
    encode: (w: Writer, v: number, m: Input) => void,
    input: Input,
    decode: (r: Reader, v: number) => Output,
  ): Promise<Output> {
    const response = this.connection.send({
      apiKey: api.apiKey,
      apiVersion: api.version,
      encode: (writer, version) => encode(writer, version, input),
      decode,
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.connection.close();
        reject(new Error(`request (api key ${api.apiKey}) timed out after ${this.timeoutMs} ms`));
      }, this.timeoutMs);
    });
    return Promise.race([response, timeout]).finally(() => clearTimeout(timer));
  }

  /** Cluster metadata and, for the named topics (all topics when omitted), their description. */
  async metadata(
    topics?: string[],
  ): Promise<{ cluster: ClusterDescription; topics: Map<string, TopicDescription | { errorCode: number }> }> {
    const response = await this.send(
      API.metadata,
      codec.encodeMetadataRequest,
      {
        topics: topics === undefined ? null : topics.map((name) => ({ name, topicId: NULL_TOPIC_ID })),
        allowAutoTopicCreation: false,
      },
      codec.decodeMetadataResponse,
    );
    const out = new Map<string, TopicDescription | { errorCode: number }>();
    for (const topic of response.topics) {
      const name = topic.name ?? '';
      if (topic.errorCode !== ErrorCode.NONE) {
        out.set(name, { errorCode: topic.errorCode });
        continue;
      }
      const sorted = [...topic.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
      const replicaBrokers = new Set<number>();
      for (const partition of sorted) for (const id of partition.replicaNodes) replicaBrokers.add(id);
      out.set(name, {
        name,
        topicId: formatTopicId(topic.topicId),
        partitions: sorted.length,
        replicationFactor: sorted[0]?.replicaNodes.length ?? 0,
        replicaBrokers: [...replicaBrokers].sort((a, b) => a - b),
      });
    }
    return {
      cluster: {
        clusterId: response.clusterId,
        controllerId: response.controllerId,
        brokers: response.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
      },
      topics: out,
    };
  }

  /** Describes one topic; null when it does not exist. */
  async describeTopic(name: string): Promise<TopicDescription | null> {
    const { topics } = await this.metadata([name]);
    const found = topics.get(name);
    if (found === undefined) return null;
    if ('topicId' in found) return found;
    if (found.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return null;
    throw new AdminError(`describe topic ${name}`, found.errorCode, null);
  }

  async createTopic(spec: {
    name: string;
    partitions?: number;
    replicationFactor?: number;
    configs?: Record<string, string>;
  }): Promise<TopicResult & { topicId: string }> {
    const response = await this.send(
      API.createTopics,
      codec.encodeCreateTopicsRequest,
      {
        topics: [
          {
            name: spec.name,
            numPartitions: spec.partitions ?? -1,
            replicationFactor: spec.replicationFactor ?? -1,
            configs: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
          },
        ],
        timeoutMs: this.timeoutMs,
      },
      codec.decodeCreateTopicsResponse,
    );
    const result = response.topics[0];
    if (!result) throw new Error('CreateTopics: empty response');
    return { name: result.name, errorCode: result.errorCode, errorMessage: result.errorMessage, topicId: formatTopicId(result.topicId) };
  }

  /** Grows a topic to `count` partitions in total. */
  async createPartitions(name: string, count: number): Promise<TopicResult> {
    const response = await this.send(
      API.createPartitions,
      codec.encodeCreatePartitionsRequest,
      { topics: [{ name, count, assignments: null }], timeoutMs: this.timeoutMs },
      codec.decodeCreatePartitionsResponse,
    );
    const result = response.results[0];
    if (!result) throw new Error('CreatePartitions: empty response');
    return { name: result.name, errorCode: result.errorCode, errorMessage: result.errorMessage };
  }

  /** All configs of a topic (defaults included), keyed by name. */
  async describeTopicConfigs(name: string): Promise<Map<string, TopicConfigEntry>> {
    const response = await this.send(
      API.describeConfigs,
      codec.encodeDescribeConfigsRequest,
      { resources: [{ resourceType: RESOURCE_TOPIC, resourceName: name, configurationKeys: null }] },
      codec.decodeDescribeConfigsResponse,
    );
    const result = response.results[0];
    if (!result) throw new Error('DescribeConfigs: empty response');
    if (result.errorCode !== ErrorCode.NONE) throw new AdminError(`describe configs of ${name}`, result.errorCode, result.errorMessage);
    const out = new Map<string, TopicConfigEntry>();
    for (const entry of result.configs) {
      out.set(entry.name, {
        name: entry.name,
        value: entry.value,
        source: entry.configSource,
        isDefault: entry.configSource !== CONFIG_SOURCE_TOPIC,
      });
    }
    return out;
  }

  /** Sets (value given) or deletes (value null) topic config overrides. */
  async alterTopicConfigs(name: string, changes: Record<string, string | null>): Promise<TopicResult> {
    const response = await this.send(
      API.incrementalAlterConfigs,
      codec.encodeIncrementalAlterConfigsRequest,
      {
        resources: [
          {
            resourceType: RESOURCE_TOPIC,
            resourceName: name,
            configs: Object.entries(changes).map(([key, value]) => ({
              name: key,
              configOperation: value === null ? AlterOp.DELETE : AlterOp.SET,
              value,
            })),
          },
        ],
      },
      codec.decodeIncrementalAlterConfigsResponse,
    );
    const result = response.responses[0];
    if (!result) throw new Error('IncrementalAlterConfigs: empty response');
    return { name, errorCode: result.errorCode, errorMessage: result.errorMessage };
  }

  async deleteTopic(name: string): Promise<TopicResult> {
    const response = await this.send(
      API.deleteTopics,
      codec.encodeDeleteTopicsRequest,
      { topics: [{ name, topicId: NULL_TOPIC_ID }], timeoutMs: this.timeoutMs },
      codec.decodeDeleteTopicsResponse,
    );
    const result = response.responses[0];
    if (!result) throw new Error('DeleteTopics: empty response');
    return { name: result.name ?? name, errorCode: result.errorCode, errorMessage: result.errorMessage };
  }
}
