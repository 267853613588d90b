// The Topic controller against a real kube-apiserver and real brokers: a Fjord broker process
// (test/harness/broker.ts) behind a Cluster, and Apache Kafka (from Maven Central, test/tools) as
// an external cluster. Everything is checked on the broker side through the admin client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdminClient } from '../../broker/src/client/admin-client.js';
import { Resources, type KubeObject } from '../../operator/src/kube/types.js';
import type { Cluster, Topic } from '../../operator/src/api/types.generated.js';
import type { Operator } from '../../operator/src/main.js';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { createNamespace, getOrNull, installCrds, startControlPlane, startOperator, type ControlPlane } from './harness.js';
import { waitFor } from '../harness/wait.js';

const NS = 'topics';
let plane: ControlPlane;
let operator: Operator;
let fjord: BrokerHandle;
let admin: AdminClient;

function topic(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject {
  return { apiVersion: 'fjord.dev/v1alpha1', kind: 'Topic', metadata: { name, namespace: NS, annotations }, spec } as KubeObject;
}

async function getTopic(name: string): Promise<Topic> {
  return plane.client.get<Topic>(Resources.topic, NS, name);
}

/** Waits until the Topic's status describes its current generation with the given Ready status/reason. */
async function waitReady(name: string, status: 'True' | 'False' | 'Unknown' = 'True', reason?: string): Promise<Topic> {
  return waitFor(`Topic ${name} Ready=${status}${reason ? `/${reason}` : ''}`, async () => {
    const t = await getTopic(name);
    const ready = t.status?.conditions?.find((c) => c.type === 'Ready');
    const ok =
      t.status?.observedGeneration === t.metadata.generation &&
      ready?.status === status &&
      (reason === undefined || ready.reason === reason);
    return ok ? t : null;
  });
}

async function brokerTopic(client: AdminClient, name: string) {
  const description = await client.describeTopic(name);
  if (!description) return null;
  const configs = await client.describeTopicConfigs(name);
  return { ...description, config: (key: string) => configs.get(key)?.value ?? null };
}

before(async () => {
  plane = await startControlPlane();
  await installCrds(plane.client);
  await createNamespace(plane.client, NS);
  fjord = await startBroker({ target: 'fjord' });
  admin = await AdminClient.connect(fjord.bootstrap);
  // The operator runs outside the Kubernetes cluster: every Cluster resolves to the real broker.
  // Clusters of several brokers (the scale-down case) need the broker limit raised.
  operator = await startOperator(plane, { settings: { resolveBootstrap: () => fjord.bootstrap, clusterBrokersMax: 3 } });
  await plane.client.create(Resources.cluster, {
    apiVersion: 'fjord.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'demo', namespace: NS },
    spec: { replicas: 3 },
  } as KubeObject);
});
after(async () => {
  admin?.close();
  await operator?.stop();
  await fjord?.stop();
  await plane?.stop();
});

describe('Topic controller against a Fjord broker', () => {
  it('creates the topic with partitions and config, adds the finalizer, reports status', async () => {
    await plane.client.create(
      Resources.topic,
      topic('orders', { cluster: { name: 'demo' }, partitions: 3, config: { 'retention.ms': 3600000 } }),
    );
    const t = await waitReady('orders');
    const onBroker = await brokerTopic(admin, 'orders');
    assert.ok(onBroker, 'topic exists on the broker');
    assert.equal(onBroker.partitions, 3);
    assert.equal(onBroker.config('retention.ms'), '3600000');
    assert.deepEqual(t.metadata.finalizers, ['fjord.dev/topic']);
    assert.equal(t.status?.topicName, 'orders');
    assert.equal(t.status?.topicId, onBroker.topicId);
    assert.equal(t.status?.partitions, 3);
    assert.equal(t.status?.replicationFactor, 1);
    assert.equal(t.status?.config?.['retention.ms'], '3600000');
  });

  it('grows partitions', async () => {
    await plane.client.mergePatch(Resources.topic, NS, 'orders', { spec: { partitions: 5 } });
    const t = await waitReady('orders');
    assert.equal(t.status?.partitions, 5);
    assert.equal((await brokerTopic(admin, 'orders'))?.partitions, 5);
  });

  it('changes config', async () => {
    await plane.client.mergePatch(Resources.topic, NS, 'orders', {
      spec: { config: { 'retention.ms': 7200000, 'cleanup.policy': 'compact' } },
    });
    await waitReady('orders');
    const onBroker = await brokerTopic(admin, 'orders');
    assert.equal(onBroker?.config('retention.ms'), '7200000');
    assert.equal(onBroker?.config('cleanup.policy'), 'compact');
  });

  it('refuses a partition decrease with Ready=False and a reason, and recovers when the spec is fixed', async () => {
    await plane.client.mergePatch(Resources.topic, NS, 'orders', { spec: { partitions: 2 } });
    const t = await waitReady('orders', 'False', 'PartitionDecreaseRefused');
    assert.match(
      t.status!.conditions!.find((c) => c.type === 'Ready')!.message,
      /spec\.partitions is 2 but the topic has 5: partitions can only grow/,
    );
    assert.equal(t.status?.conditions?.find((c) => c.type === 'Degraded')?.status, 'True');
    assert.equal((await brokerTopic(admin, 'orders'))?.partitions, 5);
    await plane.client.mergePatch(Resources.topic, NS, 'orders', { spec: { partitions: 5 } });
    await waitReady('orders', 'True', 'Synced');
  });

  it('reverts drift made directly in the cluster on resync', async () => {
    const result = await admin.alterTopicConfigs('orders', { 'retention.ms': '1000', 'segment.bytes': '1048576' });
    assert.equal(result.errorCode, 0);
    // (not read back here: a resync may revert it at any moment; segment.bytes below shows it applied)
    await waitFor('retention.ms reverted', async () => (await brokerTopic(admin, 'orders'))?.config('retention.ms') === '7200000');
    // segment.bytes is not in the spec: not managed, so left as it was set
    assert.equal((await brokerTopic(admin, 'orders'))?.config('segment.bytes'), '1048576');
    // a topic deleted behind the operator's back comes back
    assert.equal((await admin.deleteTopic('orders')).errorCode, 0);
    await waitFor('topic recreated', async () => (await brokerTopic(admin, 'orders'))?.partitions === 5);
  });

  it('a finalizer deletes the topic when the Topic is deleted', async () => {
    await plane.client.create(Resources.topic, topic('doomed', { cluster: { name: 'demo' }, topicName: 'doomed.v1', partitions: 1 }));
    await waitReady('doomed');
    assert.ok(await admin.describeTopic('doomed.v1'));
    await plane.client.delete(Resources.topic, NS, 'doomed');
    await waitFor('Topic resource gone', async () => (await getOrNull(plane.client, Resources.topic, NS, 'doomed')) === null);
    assert.equal(await admin.describeTopic('doomed.v1'), null);
  });

  it('fjord.dev/managed: "false" releases the topic: no more changes, no delete', async () => {
    await plane.client.create(Resources.topic, topic('released', { cluster: { name: 'demo' }, partitions: 2 }));
    await waitReady('released');
    await plane.client.mergePatch(Resources.topic, NS, 'released', { metadata: { annotations: { 'fjord.dev/managed': 'false' } } });
    const t = await waitFor('finalizer removed and Unmanaged', async () => {
      const got = await getTopic('released');
      const ready = got.status?.conditions?.find((c) => c.type === 'Ready');
      return (got.metadata.finalizers ?? []).length === 0 && ready?.reason === 'Unmanaged' ? got : null;
    });
    assert.equal(t.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'Unknown');
    await plane.client.mergePatch(Resources.topic, NS, 'released', { spec: { partitions: 4 } });
    // The operator has handled the new generation (the status says so) without growing the topic.
    const handled = await waitReady('released', 'Unknown', 'Unmanaged');
    assert.equal(handled.metadata.generation, t.metadata.generation! + 1);
    assert.equal((await brokerTopic(admin, 'released'))?.partitions, 2);
    await plane.client.delete(Resources.topic, NS, 'released');
    await waitFor('Topic resource gone', async () => (await getOrNull(plane.client, Resources.topic, NS, 'released')) === null);
    assert.equal((await brokerTopic(admin, 'released'))?.partitions, 2, 'the topic stays in the cluster');
  });

  it('the finalizer is dropped (topic kept) when the target Cluster no longer exists', async () => {
    await plane.client.create(Resources.cluster, {
      apiVersion: 'fjord.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'ghost', namespace: NS },
      spec: { replicas: 1 },
    } as KubeObject);
    await plane.client.create(Resources.topic, topic('orphan', { cluster: { name: 'ghost' }, partitions: 1 }));
    await waitReady('orphan');
    await plane.client.delete(Resources.cluster, NS, 'ghost');
    await waitReady('orphan', 'False', 'ClusterNotFound');
    await plane.client.delete(Resources.topic, NS, 'orphan');
    await waitFor('Topic resource gone', async () => (await getOrNull(plane.client, Resources.topic, NS, 'orphan')) === null);
    assert.ok(await admin.describeTopic('orphan'), 'nothing deleted in Kafka');
  });

  it('two Topics for one Kafka topic: the oldest wins, the other reports ResourceConflict and takes over when the first goes', async () => {
    await plane.client.create(
      Resources.topic,
      topic('first', { cluster: { name: 'demo' }, topicName: 'shared', partitions: 1, config: { 'retention.ms': 111111 } }),
    );
    await waitReady('first');
    await plane.client.create(
      Resources.topic,
      topic('second', { cluster: { name: 'demo' }, topicName: 'shared', partitions: 1, config: { 'retention.ms': 222222 } }),
    );
    const second = await waitReady('second', 'False', 'ResourceConflict');
    assert.match(second.status!.conditions!.find((c) => c.type === 'Ready')!.message, /already managed by Topic topics\/first/);
    assert.deepEqual(second.metadata.finalizers ?? [], []);
    // That status is the end of the loser's reconcile: the topic is as the winner set it.
    assert.equal((await brokerTopic(admin, 'shared'))?.config('retention.ms'), '111111', 'the loser changed the topic');
    // A spec change of the loser is handled (a status for the new generation) and changes nothing.
    await plane.client.mergePatch(Resources.topic, NS, 'second', { spec: { config: { 'retention.ms': 333333 } } });
    const again = await waitReady('second', 'False', 'ResourceConflict');
    assert.equal(again.metadata.generation, second.metadata.generation! + 1);
    assert.equal((await brokerTopic(admin, 'shared'))?.config('retention.ms'), '111111', 'the loser changed the topic');
    await plane.client.delete(Resources.topic, NS, 'first'); // deletes the Kafka topic (finalizer)
    await waitReady('second');
    assert.equal((await brokerTopic(admin, 'shared'))?.config('retention.ms'), '333333');
  });

  it('scale-down keeps brokers that hold partition replicas and says why', async () => {
    // The Fjord test broker is node 1 and holds every partition: dropping broker 2 is fine, broker 1 is not.
    const replicasOf = async () =>
      (await plane.client.get<KubeObject & { spec: { replicas: number } }>(Resources.statefulSet, NS, 'demo')).spec.replicas;
    await waitFor(
      'StatefulSet with 3 replicas',
      async () => (await getOrNull(plane.client, Resources.statefulSet, NS, 'demo')) && (await replicasOf()) === 3,
    );
    await plane.client.mergePatch(Resources.cluster, NS, 'demo', { spec: { replicas: 2 } });
    await waitFor('scaled to 2', async () => (await replicasOf()) === 2);
    await plane.client.mergePatch(Resources.cluster, NS, 'demo', { spec: { replicas: 1 } });
    const cluster = await waitFor('ScaleDownBlocked', async () => {
      const c = await plane.client.get<Cluster>(Resources.cluster, NS, 'demo');
      const degraded = c.status?.conditions?.find((x) => x.type === 'Degraded');
      return c.status?.observedGeneration === c.metadata.generation && degraded?.reason === 'ScaleDownBlocked' ? c : null;
    });
    assert.match(
      cluster.status!.conditions!.find((x) => x.type === 'Degraded')!.message,
      /kept 2 brokers: broker\(s\) 1 still hold replicas of .*orders/,
    );
    assert.equal(await replicasOf(), 2);
  });
});

describe('Topic controller against Apache Kafka (external cluster by bootstrap address)', () => {
  let kafka: BrokerHandle;
  let kafkaAdmin: AdminClient;
  before(async () => {
    kafka = await startBroker({ target: 'kafka' });
    kafkaAdmin = await AdminClient.connect(kafka.bootstrap);
  });
  after(async () => {
    kafkaAdmin?.close();
    await kafka?.stop();
  });

  it('creates, grows, configures, refuses a decrease, reverts drift and deletes', async () => {
    await plane.client.create(
      Resources.topic,
      topic('external', {
        cluster: { bootstrapServers: kafka.bootstrap },
        topicName: 'ext.events',
        partitions: 2,
        config: { 'retention.ms': 600000 },
      }),
    );
    await waitReady('external', 'True');
    // Kafka's broker applies metadata changes from its controller asynchronously (KRaft): right
    // after the operator's change a Metadata or DescribeConfigs may still show the previous state.
    const onKafka = async (partitions: number, retentionMs: string) => {
      let last: unknown;
      await waitFor(
        `ext.events on Kafka with ${partitions} partitions and retention.ms ${retentionMs}`,
        async () => {
          const t = await brokerTopic(kafkaAdmin, 'ext.events');
          last = t && { partitions: t.partitions, retentionMs: t.config('retention.ms') };
          return t?.partitions === partitions && t.config('retention.ms') === retentionMs;
        },
        { diagnostics: () => `last seen: ${JSON.stringify(last)}` },
      );
    };
    await onKafka(2, '600000');

    await plane.client.mergePatch(Resources.topic, NS, 'external', { spec: { partitions: 4, config: { 'retention.ms': 900000 } } });
    await waitReady('external');
    await onKafka(4, '900000');

    await plane.client.mergePatch(Resources.topic, NS, 'external', { spec: { partitions: 1 } });
    await waitReady('external', 'False', 'PartitionDecreaseRefused');
    await plane.client.mergePatch(Resources.topic, NS, 'external', { spec: { partitions: 4 } });
    await waitReady('external');

    assert.equal((await kafkaAdmin.alterTopicConfigs('ext.events', { 'retention.ms': '1000' })).errorCode, 0);
    await waitFor(
      'drift reverted on Kafka',
      async () => (await brokerTopic(kafkaAdmin, 'ext.events'))?.config('retention.ms') === '900000',
    );

    await plane.client.delete(Resources.topic, NS, 'external');
    await waitFor('Topic resource gone', async () => (await getOrNull(plane.client, Resources.topic, NS, 'external')) === null);
    await waitFor('topic deleted on Kafka', async () => (await kafkaAdmin.describeTopic('ext.events')) === null);
  });
});
