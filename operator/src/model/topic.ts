import type { Topic, TopicSpec } from '../api/types.generated.js';

/**
 * Topic planner, pure: spec + what the cluster reports -> the admin calls to make and the
 * problems to report. Fields the spec leaves out are not managed (no call touches them).
 */

export const MANAGED_ANNOTATION = 'fjord.dev/managed';
export const TOPIC_FINALIZER = 'fjord.dev/topic';

export interface ObservedTopic {
  topicId: string;
  partitions: number;
  replicationFactor: number;
  /** Config values in force, by name. */
  configs: ReadonlyMap<string, string | null>;
}

export interface TopicProblem {
  reason: 'PartitionDecreaseRefused' | 'ReplicationFactorChangeNotSupported';
  message: string;
}

export interface TopicPlan {
  create: { name: string; partitions?: number; replicationFactor?: number; configs: Record<string, string> } | null;
  growPartitionsTo: number | null;
  alterConfigs: Record<string, string>;
  problems: TopicProblem[];
}

export function topicNameOf(topic: Topic): string {
  return topic.spec.topicName ?? topic.metadata.name;
}

export function isManaged(topic: Topic): boolean {
  return topic.metadata.annotations?.[MANAGED_ANNOTATION] !== 'false';
}

export function desiredConfigs(spec: TopicSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(spec.config ?? {})) out[key] = String(value);
  return out;
}

export function planTopic(name: string, spec: TopicSpec, observed: ObservedTopic | null): TopicPlan {
  const configs = desiredConfigs(spec);
  if (observed === null) {
    return {
      create: { name, partitions: spec.partitions, replicationFactor: spec.replicationFactor, configs },
      growPartitionsTo: null,
      alterConfigs: {},
      problems: [],
    };
  }
  const problems: TopicProblem[] = [];
  let growPartitionsTo: number | null = null;
  if (spec.partitions !== undefined) {
    if (spec.partitions > observed.partitions) growPartitionsTo = spec.partitions;
    else if (spec.partitions < observed.partitions) {
      problems.push({
        reason: 'PartitionDecreaseRefused',
        message: `spec.partitions is ${spec.partitions} but the topic has ${observed.partitions}: partitions can only grow`,
      });
    }
  }
  if (spec.replicationFactor !== undefined && spec.replicationFactor !== observed.replicationFactor) {
    problems.push({
      reason: 'ReplicationFactorChangeNotSupported',
      message: `spec.replicationFactor is ${spec.replicationFactor} but the topic has ${observed.replicationFactor}: changing it is not supported yet`,
    });
  }
  const alterConfigs: Record<string, string> = {};
  for (const [key, value] of Object.entries(configs)) if (observed.configs.get(key) !== value) alterConfigs[key] = value;
  return { create: null, growPartitionsTo, alterConfigs, problems };
}
