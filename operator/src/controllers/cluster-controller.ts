import { AdminClient } from '../../../broker/src/client/admin-client.js';
import type { Cluster, ClusterStatus } from '../api/types.generated.js';
import { ApiError } from '../kube/client.js';
import { errorMessage } from '../kube/log.js';
import { WorkQueue, type ReconcileResult } from '../kube/queue.js';
import { Resources, keyOf, splitKey, type KubeObject, type ResourceType } from '../kube/types.js';
import {
  CLUSTER_LABEL,
  CONFIG_HASH_ANNOTATION,
  bootstrapAddress,
  configHash,
  desiredBootstrapService,
  desiredConfigMap,
  desiredHeadlessService,
  desiredPodDisruptionBudget,
  desiredServiceAccount,
  desiredStatefulSet,
  kafkaClusterId,
  names,
  planBrokers,
  type ClusterInput,
} from '../model/cluster.js';
import { clusterConditions } from '../model/cluster-status.js';
import { jsonEqual, mergeConditions, type ConditionInput } from '../model/conditions.js';
import { planRoll, podOrdinal, type ObservedPod, type RollStep } from '../model/roll.js';
import type { ControllerContext } from './context.js';

/**
 * Reconciles a Cluster, as a named pipeline:
 *   replicas (at most settings.clusterBrokersMax; scale-down guard) -> serviceAccount -> configMap -> headlessService ->
 *   bootstrapService -> statefulSet -> podDisruptionBudget -> rollingRestart -> status
 * Every step is idempotent and reads observed state; nothing about progress is remembered between
 * reconciles, so it is level-triggered and resumable.
 */

interface PodLike extends KubeObject {
  status?: { conditions?: Array<{ type: string; status: string }> };
}
interface StatefulSetLike extends KubeObject {
  spec?: { replicas?: number };
  status?: { readyReplicas?: number; replicas?: number };
}

interface ScaleDecision {
  replicas: number;
  blocked: string | null;
  /** Why fewer brokers run than spec.replicas asks for (planBrokers). */
  notSupported: string | null;
}

export class ClusterController {
  readonly queue: WorkQueue;
  /**
   * Pod UIDs this process deleted and whose deletion the pod cache has not shown yet
   * (client-go's "expectations"): until then the cached pod is treated as terminating, so a
   * stale cache never leads to deleting it again. In memory only; the roll itself is derived
   * from the pods, so a restarted operator loses nothing it needs.
   */
  private readonly deletedPods = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue('cluster', (key) => this.reconcile(key), ctx.log.child({ controller: 'cluster' }));
  }

  /** Informer hooks: Cluster changes, and changes to its StatefulSet and pods. */
  onClusterChange(cluster: Cluster): void {
    this.queue.add(keyOf(cluster));
  }
  onChildChange(child: KubeObject): void {
    const cluster = child.metadata.labels?.[CLUSTER_LABEL];
    if (cluster) this.queue.add(`${child.metadata.namespace}/${cluster}`);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.ctx.clusters.get(namespace, name);
    if (!cached || cached.metadata.deletionTimestamp) return {}; // children go with it (owner references)
    const cluster = cached as ClusterInput;
    const log = this.ctx.log.child({ controller: 'cluster', cluster: key });
    try {
      const scale = await this.replicasStep(cluster);
      await this.apply(Resources.serviceAccount, desiredServiceAccount(cluster));
      await this.apply(Resources.configMap, desiredConfigMap(cluster));
      await this.apply(Resources.service, desiredHeadlessService(cluster));
      await this.apply(Resources.service, desiredBootstrapService(cluster));
      const statefulSet = (await this.apply(Resources.statefulSet, desiredStatefulSet(cluster, scale.replicas))) as StatefulSetLike;
      await this.apply(Resources.podDisruptionBudget, desiredPodDisruptionBudget(cluster));
      const roll = await this.rollingRestartStep(cluster, scale.replicas);
      await this.statusStep(cluster, scale, statefulSet, roll);
      const settling = roll.action !== 'none' || (statefulSet.status?.readyReplicas ?? 0) < scale.replicas;
      return { requeueAfterMs: settling ? Math.min(5_000, this.ctx.settings.clusterResyncMs) : this.ctx.settings.clusterResyncMs };
    } catch (error) {
      log.error('Reconcile failed', { error: errorMessage(error) });
      await this.writeStatus(cluster, {
        conditions: [
          { type: 'Ready', status: 'False', reason: 'ReconcileFailed', message: errorMessage(error) },
          { type: 'Progressing', status: 'False', reason: 'ReconcileFailed', message: 'reconcile failed; retrying' },
          { type: 'Degraded', status: 'True', reason: 'ReconcileFailed', message: errorMessage(error) },
        ],
      }).catch(() => undefined);
      throw error;
    }
  }

  private apply(type: ResourceType, object: KubeObject): Promise<KubeObject> {
    return this.ctx.client.apply(type, object);
  }

  /**
   * Brokers to run: spec.replicas, at most settings.clusterBrokersMax (more cannot form one cluster
   * yet). Scale-down guard: the StatefulSet drops the highest ordinals; do that only when those
   * brokers hold no partition replicas (asked through the Kafka protocol). Otherwise keep the size.
   */
  private async replicasStep(cluster: ClusterInput): Promise<ScaleDecision> {
    const { replicas: desired, notSupported } = planBrokers(cluster, this.ctx.settings.clusterBrokersMax);
    const current = (
      this.ctx.statefulSets.get(cluster.metadata.namespace, names.statefulSet(cluster.metadata.name)) as StatefulSetLike | undefined
    )?.spec?.replicas;
    if (current === undefined || desired >= current) return { replicas: desired, blocked: null, notSupported };
    const removed = Array.from({ length: current - desired }, (_, i) => desired + i);
    let admin: AdminClient | null = null;
    try {
      admin = await AdminClient.connect(this.ctx.settings.resolveBootstrap(cluster), { timeoutMs: this.ctx.settings.adminTimeoutMs });
      const { topics } = await admin.metadata();
      const holding: string[] = [];
      for (const [topic, description] of topics) {
        if ('replicaBrokers' in description && description.replicaBrokers.some((id) => removed.includes(id))) holding.push(topic);
      }
      if (holding.length === 0) return { replicas: desired, blocked: null, notSupported };
      holding.sort();
      const shown = holding.length > 5 ? `${holding.slice(0, 5).join(', ')} and ${holding.length - 5} more` : holding.join(', ');
      return {
        replicas: current,
        blocked: `kept ${current} brokers: broker(s) ${removed.join(', ')} still hold replicas of ${shown}`,
        notSupported,
      };
    } catch (error) {
      return {
        replicas: current,
        blocked: `kept ${current} brokers: cannot check the replicas of broker(s) ${removed.join(', ')}: ${errorMessage(error)}`,
        notSupported,
      };
    } finally {
      admin?.close();
    }
  }

  private observedPods(cluster: ClusterInput): ObservedPod[] {
    const setName = names.statefulSet(cluster.metadata.name);
    const out: ObservedPod[] = [];
    const cachedUids = new Set<string>();
    for (const pod of this.ctx.pods.list(
      (p) => p.metadata.namespace === cluster.metadata.namespace && p.metadata.labels?.[CLUSTER_LABEL] === cluster.metadata.name,
    ) as PodLike[]) {
      const ordinal = podOrdinal(setName, pod.metadata.name);
      if (ordinal === null) continue;
      const uid = pod.metadata.uid ?? '';
      cachedUids.add(uid);
      out.push({
        name: pod.metadata.name,
        ordinal,
        ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        terminating: pod.metadata.deletionTimestamp !== undefined || this.deletedPods.has(uid),
        configHash: pod.metadata.annotations?.[CONFIG_HASH_ANNOTATION],
      });
    }
    for (const uid of this.deletedPods) {
      if (!cachedUids.has(uid) && !this.ctx.pods.list((p) => p.metadata.uid === uid).length) this.deletedPods.delete(uid);
    }
    return out;
  }

  /** Deletes at most one outdated pod per pass (StatefulSet OnDelete recreates it from the new template). */
  private async rollingRestartStep(cluster: ClusterInput, replicas: number): Promise<RollStep> {
    const step = planRoll(configHash(cluster), replicas, this.observedPods(cluster));
    if (step.action !== 'delete') return step;
    const uid = this.ctx.pods.get(cluster.metadata.namespace, step.pod)?.metadata.uid;
    try {
      // Preconditioned on the UID: never deletes a newer pod of the same name.
      await this.ctx.client.delete(
        Resources.pod,
        cluster.metadata.namespace,
        step.pod,
        uid ? { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid } } : undefined,
      );
      if (uid) this.deletedPods.add(uid);
    } catch (error) {
      // gone already, or replaced by a newer pod (UID precondition failed: 409)
      if (error instanceof ApiError && (error.notFound || error.conflict))
        return { action: 'wait', pending: step.pending, message: `waiting for pod ${step.pod}` };
      throw error;
    }
    this.ctx.log.info('Deleted pod for rolling restart', { cluster: keyOf(cluster), pod: step.pod, remaining: step.pending });
    this.ctx.events.record(cluster, 'Normal', 'RollingRestart', step.message);
    return step;
  }

  private async statusStep(cluster: ClusterInput, scale: ScaleDecision, statefulSet: StatefulSetLike, roll: RollStep): Promise<void> {
    const readyBrokers = statefulSet.status?.readyReplicas ?? 0;
    const conditions = clusterConditions({
      replicas: scale.replicas,
      readyBrokers,
      roll,
      scaleDownBlocked: scale.blocked,
      notSupported: scale.notSupported,
    });
    await this.writeStatus(cluster, {
      conditions,
      replicas: scale.replicas,
      readyBrokers,
      bootstrap: bootstrapAddress(cluster),
      clusterId: kafkaClusterId(cluster),
      configHash: configHash(cluster),
    });
  }

  /** Writes status (server-side apply on /status) unless it would not change anything. */
  private async writeStatus(
    cluster: ClusterInput,
    input: Omit<ClusterStatus, 'conditions' | 'observedGeneration'> & { conditions: ConditionInput[] },
  ): Promise<void> {
    const generation = cluster.metadata.generation ?? 0;
    const previous = cluster.status ?? {};
    const status: ClusterStatus = {
      ...previous,
      ...input,
      observedGeneration: generation,
      conditions: mergeConditions(previous.conditions, input.conditions, generation, new Date().toISOString()),
    };
    if (jsonEqual(status, cluster.status)) return;
    await this.ctx.client.apply(
      Resources.cluster,
      {
        apiVersion: 'fjord.dev/v1alpha1',
        kind: 'Cluster',
        metadata: { name: cluster.metadata.name, namespace: cluster.metadata.namespace },
        status,
      } as KubeObject,
      'status',
    );
  }
}
