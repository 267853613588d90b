import { AdminClient, type TopicDescription } from '../../../broker/src/client/admin-client.js';
import { ErrorCode, errorName } from '../../../broker/src/protocol/error-codes.js';
import type { Cluster, Topic, TopicStatus } from '../api/types.generated.js';
import { errorMessage } from '../kube/log.js';
import { WorkQueue, type ReconcileResult } from '../kube/queue.js';
import { Resources, keyOf, splitKey, type KubeObject } from '../kube/types.js';
import { jsonEqual, mergeConditions, type ConditionInput } from '../model/conditions.js';
import { TOPIC_FINALIZER, isManaged, planTopic, topicNameOf, type ObservedTopic } from '../model/topic.js';
import type { ControllerContext } from './context.js';

/**
 * Reconciles a Topic through the Kafka protocol (broker/src/client/admin-client.ts):
 *   unmanaged? -> release | deleting? -> finalize | target -> finalizer -> create or
 *   (grow partitions, alter configs) -> status
 * The periodic resync (settings.topicResyncMs) is what reverts drift made in the cluster.
 */

class TopicError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

type Target =
  { kind: 'cluster'; cluster: Cluster; bootstrap: string } | { kind: 'external'; bootstrap: string } | { kind: 'missing'; message: string };

export class TopicController {
  readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue('topic', (key) => this.reconcile(key), ctx.log.child({ controller: 'topic' }));
  }

  onTopicChange(topic: Topic): void {
    this.queue.add(keyOf(topic));
    // Topics naming the same Kafka topic compete (oldest wins): a change to one concerns the others.
    for (const other of this.rivals(topic)) this.queue.add(keyOf(other));
  }

  /** Other managed Topics for the same Kafka topic in the same target cluster. */
  private rivals(topic: Topic): Topic[] {
    const name = topicNameOf(topic);
    const target = targetKey(topic);
    return this.ctx.topics.list((t) => keyOf(t) !== keyOf(topic) && isManaged(t) && topicNameOf(t) === name && targetKey(t) === target);
  }

  /** The Topic that owns this Kafka topic when several claim it: the oldest (then by namespace/name). */
  private owner(topic: Topic): Topic {
    const candidates = [topic, ...this.rivals(topic).filter((t) => !t.metadata.deletionTimestamp)];
    candidates.sort((a, b) => {
      const ta = a.metadata.creationTimestamp ?? '';
      const tb = b.metadata.creationTimestamp ?? '';
      return ta !== tb ? (ta < tb ? -1 : 1) : keyOf(a) < keyOf(b) ? -1 : 1;
    });
    return candidates[0]!;
  }

  /** A Cluster came, changed or went: its Topics may now be creatable, or their finalizer droppable. */
  onClusterChange(cluster: Cluster): void {
    for (const topic of this.ctx.topics.list(
      (t) => t.metadata.namespace === cluster.metadata.namespace && t.spec.cluster.name === cluster.metadata.name,
    )) {
      this.queue.add(keyOf(topic));
    }
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const topic = this.ctx.topics.get(namespace, name);
    if (!topic) return {};
    const resync = { requeueAfterMs: this.ctx.settings.topicResyncMs };
    if (!isManaged(topic)) {
      await this.setFinalizer(topic, false);
      await this.writeStatus(topic, {}, [
        {
          type: 'Ready',
          status: 'Unknown',
          reason: 'Unmanaged',
          message: 'fjord.dev/managed is "false": the operator leaves this topic alone',
        },
        { type: 'Progressing', status: 'False', reason: 'Unmanaged', message: '' },
        { type: 'Degraded', status: 'False', reason: 'Unmanaged', message: '' },
      ]);
      return {};
    }
    const target = this.resolveTarget(topic);
    const owner = this.owner(topic);
    if (owner !== topic) {
      // Another Topic manages this Kafka topic: never touch it (nor delete it) from here.
      await this.setFinalizer(topic, false);
      if (topic.metadata.deletionTimestamp) return {};
      const message = `topic ${topicNameOf(topic)} is already managed by Topic ${keyOf(owner)} (the oldest wins)`;
      await this.writeStatus(topic, {}, failed('ResourceConflict', message));
      return resync;
    }
    if (topic.metadata.deletionTimestamp) return this.finalize(topic, target);
    if (target.kind === 'missing') {
      await this.writeStatus(topic, {}, failed('ClusterNotFound', target.message));
      return resync;
    }
    await this.setFinalizer(topic, true); // before the topic exists in Kafka, so it can always be cleaned up
    let admin: AdminClient | null = null;
    try {
      admin = await AdminClient.connect(target.bootstrap, { timeoutMs: this.ctx.settings.adminTimeoutMs, clientId: 'fjord-operator' });
      const { status, problems } = await this.sync(admin, topic);
      const conditions: ConditionInput[] =
        problems.length > 0
          ? [
              { type: 'Ready', status: 'False', reason: problems[0]!.reason, message: problems.map((p) => p.message).join('; ') },
              { type: 'Progressing', status: 'False', reason: problems[0]!.reason, message: 'waiting for the spec to change' },
              { type: 'Degraded', status: 'True', reason: problems[0]!.reason, message: problems.map((p) => p.message).join('; ') },
            ]
          : [
              { type: 'Ready', status: 'True', reason: 'Synced', message: `topic ${status.topicName} matches the spec` },
              { type: 'Progressing', status: 'False', reason: 'Synced', message: '' },
              { type: 'Degraded', status: 'False', reason: 'Synced', message: '' },
            ];
      for (const problem of problems) this.ctx.events.record(topic, 'Warning', problem.reason, problem.message);
      await this.writeStatus(topic, status, conditions);
      return resync;
    } catch (error) {
      const reason = error instanceof TopicError ? error.reason : 'KafkaError';
      await this.writeStatus(topic, {}, failed(reason, errorMessage(error))).catch(() => undefined);
      throw error;
    } finally {
      admin?.close();
    }
  }

  private resolveTarget(topic: Topic): Target {
    const ref = topic.spec.cluster;
    if (ref.bootstrapServers) return { kind: 'external', bootstrap: ref.bootstrapServers };
    const cluster = this.ctx.clusters.get(topic.metadata.namespace!, ref.name ?? '');
    if (!cluster || cluster.metadata.deletionTimestamp)
      return { kind: 'missing', message: `Cluster ${topic.metadata.namespace}/${ref.name} does not exist` };
    return { kind: 'cluster', cluster, bootstrap: this.ctx.settings.resolveBootstrap(cluster) };
  }

  /** Creates or updates the topic; returns the status to write and the problems found. */
  private async sync(
    admin: AdminClient,
    topic: Topic,
  ): Promise<{ status: TopicStatus; problems: Array<{ reason: string; message: string }> }> {
    const name = topicNameOf(topic);
    let description = await admin.describeTopic(name);
    const observed = description ? await this.observe(admin, description) : null;
    const plan = planTopic(name, topic.spec, observed);
    if (plan.create) {
      const result = await admin.createTopic(plan.create);
      if (result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
        throw new TopicError(
          'KafkaError',
          `create topic ${name}: ${errorName(result.errorCode)}${result.errorMessage ? ` (${result.errorMessage})` : ''}`,
        );
      }
      this.ctx.log.info('Created topic', { topic: keyOf(topic), name });
      this.ctx.events.record(topic, 'Normal', 'Created', `created topic ${name}`);
    }
    if (plan.growPartitionsTo !== null) {
      const result = await admin.createPartitions(name, plan.growPartitionsTo);
      if (result.errorCode !== ErrorCode.NONE)
        throw new TopicError(
          'KafkaError',
          `grow ${name} to ${plan.growPartitionsTo} partitions: ${errorName(result.errorCode)} ${result.errorMessage ?? ''}`,
        );
      this.ctx.events.record(topic, 'Normal', 'PartitionsIncreased', `grew ${name} to ${plan.growPartitionsTo} partitions`);
    }
    if (Object.keys(plan.alterConfigs).length > 0) {
      const result = await admin.alterTopicConfigs(name, plan.alterConfigs);
      if (result.errorCode !== ErrorCode.NONE)
        throw new TopicError('InvalidConfig', `alter configs of ${name}: ${errorName(result.errorCode)} ${result.errorMessage ?? ''}`);
      this.ctx.log.info('Altered topic configs', { topic: keyOf(topic), name, configs: plan.alterConfigs });
      this.ctx.events.record(topic, 'Normal', 'ConfigChanged', `set ${Object.keys(plan.alterConfigs).sort().join(', ')} on ${name}`);
    }
    if (plan.create || plan.growPartitionsTo !== null || Object.keys(plan.alterConfigs).length > 0) {
      description = await admin.describeTopic(name);
    }
    if (!description) throw new TopicError('KafkaError', `topic ${name} does not exist after creating it`);
    const configs = await admin.describeTopicConfigs(name);
    const inForce: Record<string, string> = {};
    for (const entry of configs.values()) if (!entry.isDefault && entry.value !== null) inForce[entry.name] = entry.value;
    return {
      status: {
        topicName: name,
        topicId: description.topicId,
        partitions: description.partitions,
        replicationFactor: description.replicationFactor,
        config: inForce,
      },
      problems: plan.problems,
    };
  }

  private async observe(admin: AdminClient, description: TopicDescription): Promise<ObservedTopic> {
    const configs = await admin.describeTopicConfigs(description.name);
    const values = new Map<string, string | null>();
    for (const entry of configs.values()) values.set(entry.name, entry.value);
    return {
      topicId: description.topicId,
      partitions: description.partitions,
      replicationFactor: description.replicationFactor,
      configs: values,
    };
  }

  /** Deletion: delete the topic in Kafka, then drop the finalizer; drop it at once when the target Cluster is gone. */
  private async finalize(topic: Topic, target: Target): Promise<ReconcileResult> {
    if (!topic.metadata.finalizers?.includes(TOPIC_FINALIZER)) return {};
    if (target.kind === 'missing') {
      this.ctx.log.info('Dropped finalizer: target cluster is gone', { topic: keyOf(topic) });
      await this.setFinalizer(topic, false);
      return {};
    }
    const name = topicNameOf(topic);
    const admin = await AdminClient.connect(target.bootstrap, { timeoutMs: this.ctx.settings.adminTimeoutMs, clientId: 'fjord-operator' });
    try {
      const result = await admin.deleteTopic(name);
      if (result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
        throw new TopicError('KafkaError', `delete topic ${name}: ${errorName(result.errorCode)}`);
      }
    } finally {
      admin.close();
    }
    this.ctx.log.info('Deleted topic', { topic: keyOf(topic), name });
    this.ctx.events.record(topic, 'Normal', 'Deleted', `deleted topic ${name}`);
    await this.setFinalizer(topic, false);
    return {};
  }

  /** Adds or removes the operator's finalizer (server-side apply: the operator owns just that list entry). */
  private async setFinalizer(topic: Topic, present: boolean): Promise<void> {
    const has = topic.metadata.finalizers?.includes(TOPIC_FINALIZER) ?? false;
    if (has === present) return;
    await this.ctx.client.apply(Resources.topic, {
      apiVersion: 'fjord.dev/v1alpha1',
      kind: 'Topic',
      metadata: { name: topic.metadata.name, namespace: topic.metadata.namespace, finalizers: present ? [TOPIC_FINALIZER] : [] },
    } as KubeObject);
  }

  private async writeStatus(topic: Topic, fields: TopicStatus, conditions: ConditionInput[]): Promise<void> {
    const generation = topic.metadata.generation ?? 0;
    const previous = topic.status ?? {};
    const status: TopicStatus = {
      ...previous,
      ...fields,
      observedGeneration: generation,
      conditions: mergeConditions(previous.conditions, conditions, generation, new Date().toISOString()),
    };
    if (jsonEqual(status, topic.status)) return;
    await this.ctx.client.apply(
      Resources.topic,
      {
        apiVersion: 'fjord.dev/v1alpha1',
        kind: 'Topic',
        metadata: { name: topic.metadata.name, namespace: topic.metadata.namespace },
        status,
      } as KubeObject,
      'status',
    );
  }
}

/** Identifies the Kafka cluster a Topic targets. */
function targetKey(topic: Topic): string {
  const ref = topic.spec.cluster;
  return ref.bootstrapServers ? `external:${ref.bootstrapServers}` : `cluster:${topic.metadata.namespace}/${ref.name}`;
}

function failed(reason: string, message: string): ConditionInput[] {
  return [
    { type: 'Ready', status: 'False', reason, message },
    { type: 'Progressing', status: 'False', reason, message: 'retrying' },
    { type: 'Degraded', status: 'True', reason, message },
  ];
}
