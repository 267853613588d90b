import assert from 'node:assert/strict';
import type { Kafka } from 'kafkajs';

/**
 * kafkajs has no public group-less consumer, so tests that read partitions directly use the Fetch
 * request of its internal cluster object (created by the private factory the Kafka client uses for
 * its producer, consumer and admin). Pinned to kafkajs 2.2.4; fails clearly if the internals change.
 */
export interface RawMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | Buffer[]>;
  isControlRecord?: boolean;
}

export interface RawBroker {
  fetch(req: unknown): Promise<{
    responses: Array<{
      topicName: string;
      partitions: Array<{ partition: number; errorCode: number; highWatermark: string; messages: RawMessage[] }>;
    }>;
  }>;
}

export interface RawCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number; leader: number }>;
  findBroker(q: { nodeId: number }): Promise<RawBroker>;
}

export function rawCluster(kafka: Kafka): RawCluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  assert.ok(symbol !== undefined, 'kafkajs internals changed: no createCluster symbol');
  const factory = (kafka as unknown as Record<symbol, (options: object) => RawCluster>)[symbol];
  assert.ok(typeof factory === 'function', 'kafkajs internals changed: createCluster is not a function');
  return factory({ allowAutoTopicCreation: false });
}
