// The Cluster controller against a real kube-apiserver. The test plays the StatefulSet controller
// and the kubelet (startFakeKubelet): it creates pods from the StatefulSet template, marks them
// ready and writes the StatefulSet status.
//
// Brokers do not form one cluster yet, so the operator runs at most one broker per Cluster
// (CLUSTER_BROKERS_MAX). The rolls and scaling of several brokers, which the cluster issues build
// on, are tested with that limit raised (namespace "fjord"); the limit itself with the operator's
// defaults (namespace "single").
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Resources, type KubeObject, type ResourceType } from '../../operator/src/kube/types.js';
import type { Cluster } from '../../operator/src/api/types.generated.js';
import { CONFIG_HASH_ANNOTATION, configHash, kafkaClusterId, type ClusterInput } from '../../operator/src/model/cluster.js';
import { fixtureCluster, goldenText, parseDocuments } from '../harness/cluster-golden.js';
import type { Operator } from '../../operator/src/main.js';
import {
  createNamespace,
  getOrNull,
  installCrds,
  startControlPlane,
  startFakeKubelet,
  startOperator,
  type ControlPlane,
  type FakeKubelet,
} from './harness.js';
import { letTimePass, waitFor } from '../harness/wait.js';

const NS = 'fjord'; // the fixture's namespace
/** Where an operator with its default settings runs (at most CLUSTER_BROKERS_MAX brokers per Cluster). */
const SINGLE_NS = 'single';
/** The operator for NS: several brokers per Cluster, as after the cluster issues. */
const operatorOptions = { namespace: NS, settings: { clusterBrokersMax: 4 } };
let plane: ControlPlane;
let operator: Operator;
let kubelet: FakeKubelet;

async function getCluster(): Promise<Cluster & ClusterInput> {
  return plane.client.get<Cluster & ClusterInput>(Resources.cluster, NS, 'demo');
}

function readyCondition(cluster: Cluster) {
  return cluster.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Every field of `expected` is in `actual` with the same value (the server adds defaults). */
function assertSubset(actual: unknown, expected: unknown, path = ''): void {
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: expected an object, got ${JSON.stringify(actual)}`);
    if (Array.isArray(expected)) {
      assert.ok(
        Array.isArray(actual) && actual.length === expected.length,
        `${path}: expected ${expected.length} items, got ${JSON.stringify(actual)}`,
      );
      expected.forEach((item, i) => assertSubset((actual as unknown[])[i], item, `${path}[${i}]`));
      return;
    }
    for (const [key, value] of Object.entries(expected)) assertSubset((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    return;
  }
  assert.deepEqual(actual, expected, `${path}`);
}

async function podsOf(): Promise<Array<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>> {
  return (await plane.client.list<KubeObject>(Resources.pod, NS, { labelSelector: 'fjord.dev/cluster=demo' })).items;
}

/** Waits until every pod runs the Cluster's current hash and the Cluster is Ready for its generation. */
async function waitRolled(timeoutMs = 60_000): Promise<Cluster> {
  return waitFor(
    'roll finished and Ready',
    async () => {
      const cluster = await getCluster();
      const hash = configHash(cluster);
      const pods = await podsOf();
      const ready = readyCondition(cluster);
      const done =
        pods.length === 3 &&
        pods.every((p) => p.metadata.annotations?.[CONFIG_HASH_ANNOTATION] === hash) &&
        ready?.status === 'True' &&
        cluster.status?.observedGeneration === cluster.metadata.generation;
      return done ? cluster : null;
    },
    { timeoutMs },
  );
}

/** Records the Ready/Progressing reasons the Cluster shows while `body` runs. */
async function recordReasons(body: () => Promise<void>): Promise<Set<string>> {
  const seen = new Set<string>();
  let running = true;
  const poll = (async () => {
    while (running) {
      const cluster = await getCluster().catch(() => null);
      for (const c of cluster?.status?.conditions ?? []) seen.add(`${c.type}=${c.status}/${c.reason}`);
      await letTimePass(50, 'samples the status while the body runs');
    }
  })();
  try {
    await body();
  } finally {
    running = false;
    await poll;
  }
  return seen;
}

before(async () => {
  plane = await startControlPlane();
  await installCrds(plane.client);
  await createNamespace(plane.client, NS);
  operator = await startOperator(plane, operatorOptions);
});
after(async () => {
  await kubelet?.stop();
  await operator?.stop();
  await plane?.stop();
});

describe('Cluster controller', () => {
  it('creates exactly the expected children (golden file, read back) with owner references', async () => {
    const fixture = fixtureCluster();
    const { uid: _uid, generation: _generation, ...metadata } = fixture.metadata;
    await plane.client.create(Resources.cluster, { ...fixture, metadata } as KubeObject);
    const cluster = await getCluster();
    await waitFor('the PodDisruptionBudget', () => getOrNull(plane.client, Resources.podDisruptionBudget, NS, 'demo'));

    // The golden file was rendered for the fixture's uid; substitute the real one (and what derives from it).
    const golden = goldenText()
      .replaceAll(fixture.metadata.uid, cluster.metadata.uid)
      .replaceAll(kafkaClusterId(fixture), kafkaClusterId(cluster))
      .replaceAll(configHash(fixture), configHash(cluster));
    const expected = parseDocuments(golden);
    const kinds: Array<[string, ResourceType]> = [
      ['ServiceAccount', Resources.serviceAccount],
      ['ConfigMap', Resources.configMap],
      ['Service', Resources.service],
      ['StatefulSet', Resources.statefulSet],
      ['PodDisruptionBudget', Resources.podDisruptionBudget],
    ];
    for (const [kind, type] of kinds) {
      type Read = KubeObject & { metadata: { managedFields?: Array<{ manager: string; operation: string }> } };
      const listed = (await plane.client.list<Read>(type, NS)).items.filter((o) =>
        o.metadata.ownerReferences?.some((r) => r.uid === cluster.metadata.uid),
      );
      // read each back individually (list items carry no apiVersion/kind)
      const actual = await Promise.all(listed.map((o) => plane.client.get<Read>(type, NS, o.metadata.name)));
      const wanted = expected.filter((o) => o.kind === kind);
      assert.deepEqual(actual.map((o) => o.metadata.name).sort(), wanted.map((o) => o.metadata.name).sort(), `${kind} children`);
      for (const want of wanted) {
        const got = actual.find((o) => o.metadata.name === want.metadata.name)!;
        assertSubset(got, want, `${kind}/${want.metadata.name}`);
        assert.deepEqual(got.metadata.ownerReferences, [
          {
            apiVersion: 'fjord.dev/v1alpha1',
            kind: 'Cluster',
            name: 'demo',
            uid: cluster.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ]);
        assert.equal(got.metadata.labels?.['argocd.argoproj.io/instance'], undefined, 'GitOps tracking label copied');
        assert.deepEqual(
          got.metadata.managedFields?.map((f) => `${f.manager}/${f.operation}`),
          ['fjord-operator/Apply'],
          `${kind} field managers`,
        );
      }
    }
  });

  it('reports Progressing while brokers start, then Ready with observedGeneration', async () => {
    const before = await waitFor('status written', async () => ((await getCluster()).status?.conditions ? getCluster() : null));
    const notReady = readyCondition(before);
    assert.equal(notReady?.status, 'False');
    assert.equal(notReady?.reason, 'BrokersNotReady');
    assert.equal(before.status?.conditions?.find((c) => c.type === 'Progressing')?.status, 'True');
    kubelet = startFakeKubelet(plane.client, NS, 'demo');
    const cluster = await waitRolled();
    assert.equal(cluster.status?.readyBrokers, 3);
    assert.equal(cluster.status?.observedGeneration, 1);
    assert.equal(cluster.status?.bootstrap, 'demo-bootstrap.fjord.svc:9092');
    assert.equal(cluster.status?.clusterId, kafkaClusterId(cluster as ClusterInput));
    assert.deepEqual(
      cluster.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration]),
      [
        ['Ready', 'True', 'Ready', 1],
        ['Progressing', 'False', 'Idle', 1],
        ['Degraded', 'False', 'AsExpected', 1],
      ],
    );
    assert.deepEqual(kubelet.deletions, [], 'a fresh cluster rolls nothing');
  });

  it('a broker config change updates the ConfigMap and rolls the pods one at a time, highest ordinal first', async () => {
    kubelet.deletions.length = 0;
    kubelet.maxUnavailable = 0;
    const reasons = await recordReasons(async () => {
      await plane.client.mergePatch(Resources.cluster, NS, 'demo', { spec: { config: { 'num.partitions': '6' } } });
      const cluster = await waitRolled();
      assert.equal(cluster.status?.observedGeneration, 2);
    });
    assert.deepEqual(kubelet.deletions, ['demo-2', 'demo-1', 'demo-0']);
    assert.equal(kubelet.maxUnavailable, 1, 'never more than one broker down');
    const events = (
      await plane.client.list<KubeObject & { reason: string; message: string; involvedObject: { name: string; kind: string } }>(
        Resources.event,
        NS,
      )
    ).items;
    const rolls = events.filter(
      (e) => e.involvedObject.kind === 'Cluster' && e.involvedObject.name === 'demo' && e.reason === 'RollingRestart',
    );
    // (the order is proven by the deletions above; Event names and second-resolution timestamps do not keep it)
    assert.deepEqual(rolls.map((e) => e.message).sort(), [
      'restarting pod demo-0 (1 to go)',
      'restarting pod demo-1 (2 to go)',
      'restarting pod demo-2 (3 to go)',
    ]);
    assert.ok(reasons.has('Ready=False/RollingRestart') && reasons.has('Progressing=True/RollingRestart'), [...reasons].join(' '));
    const configMap = await plane.client.get<KubeObject & { data: Record<string, string> }>(Resources.configMap, NS, 'demo-config');
    assert.match(configMap.data['server.properties']!, /^num\.partitions=6$/m);
  });

  it('the restart annotation rolls every broker without a spec change', async () => {
    kubelet.deletions.length = 0;
    await plane.client.mergePatch(Resources.cluster, NS, 'demo', { metadata: { annotations: { 'fjord.dev/restart': '2' } } });
    await waitRolled();
    assert.deepEqual(kubelet.deletions, ['demo-2', 'demo-1', 'demo-0']);
  });

  it('an operator restarted in the middle of a roll finishes it without restarting a pod twice', async () => {
    kubelet.deletions.length = 0;
    await plane.client.mergePatch(Resources.cluster, NS, 'demo', { spec: { image: 'fjord:0.1.1' } });
    await waitFor('first pod deleted', () => kubelet.deletions.length >= 1, { intervalMs: 10 });
    await operator.stop(); // mid-roll: demo-2 is being replaced, demo-1 and demo-0 still outdated
    assert.deepEqual(kubelet.deletions, ['demo-2']);
    await waitFor('demo-2 back and ready', async () => {
      const pod = (await podsOf()).find((p) => p.metadata.name === 'demo-2');
      return pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    });
    operator = await startOperator(plane, operatorOptions);
    await waitRolled();
    assert.deepEqual(kubelet.deletions, ['demo-2', 'demo-1', 'demo-0']);
  });

  it('scaling up updates the StatefulSet', async () => {
    await plane.client.mergePatch(Resources.cluster, NS, 'demo', { spec: { replicas: 4 } });
    await waitFor('StatefulSet with 4 replicas', async () => {
      const set = await plane.client.get<KubeObject & { spec: { replicas: number } }>(Resources.statefulSet, NS, 'demo');
      return set.spec.replicas === 4;
    });
    await waitFor('4 ready brokers', async () => {
      const cluster = await getCluster();
      return (
        cluster.status?.readyBrokers === 4 &&
        readyCondition(cluster)?.status === 'True' &&
        cluster.status.observedGeneration === cluster.metadata.generation
      );
    });
  });
});

describe('Cluster controller, until brokers form one cluster (default settings)', () => {
  let single: Operator | undefined;
  let singleKubelet: FakeKubelet | undefined;
  after(async () => {
    await singleKubelet?.stop();
    await single?.stop();
  });

  const get = () => plane.client.get<Cluster>(Resources.cluster, SINGLE_NS, 'three');
  const statefulSetReplicas = async () =>
    (await plane.client.get<KubeObject & { spec: { replicas: number } }>(Resources.statefulSet, SINGLE_NS, 'three')).spec.replicas;
  /** The status the operator wrote for the Cluster's current generation, once Ready has `reason`. */
  const statusFor = (reason: string, extra: (c: Cluster) => boolean = () => true) => {
    let last: Cluster | undefined;
    return waitFor(
      `Cluster ${SINGLE_NS}/three: status of its current generation with Ready reason ${reason}`,
      async () => {
        const c = (last = await get());
        return c.status?.observedGeneration === c.metadata.generation && readyCondition(c)?.reason === reason && extra(c) ? c : null;
      },
      { diagnostics: () => `last seen: generation ${last?.metadata.generation}, status ${JSON.stringify(last?.status)}` },
    );
  };
  const conditionsOf = (c: Cluster) => c.status?.conditions?.map((x) => [x.type, x.status, x.reason, x.observedGeneration]);

  it('a Cluster asking for 3 brokers runs 1 and says why: Ready=False, Degraded=True, reason ClusterNotSupportedYet', async () => {
    await createNamespace(plane.client, SINGLE_NS);
    single = await startOperator(plane, { namespace: SINGLE_NS });
    await plane.client.create(Resources.cluster, {
      apiVersion: 'fjord.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'three', namespace: SINGLE_NS },
      spec: { replicas: 3, storage: { type: 'ephemeral' } },
    } as KubeObject);
    const first = await statusFor('ClusterNotSupportedYet');
    assert.match(
      readyCondition(first)!.message,
      /^spec\.replicas is 3, but Fjord brokers do not form one cluster yet .*: running 1 broker; set spec\.replicas to 1$/,
    );
    assert.equal(await statefulSetReplicas(), 1, 'the StatefulSet runs one broker');
    assert.equal(first.status?.replicas, 1);

    // Its one broker ready: still not Ready (the spec is not met), nothing in progress.
    singleKubelet = startFakeKubelet(plane.client, SINGLE_NS, 'three');
    const running = await statusFor('ClusterNotSupportedYet', (c) => c.status?.readyBrokers === 1);
    assert.deepEqual(conditionsOf(running), [
      ['Ready', 'False', 'ClusterNotSupportedYet', 1],
      ['Progressing', 'False', 'Idle', 1],
      ['Degraded', 'True', 'ClusterNotSupportedYet', 1],
    ]);
    assert.equal(running.status?.conditions?.find((c) => c.type === 'Degraded')?.message, readyCondition(first)!.message);
  });

  it('with spec.replicas 1 it is Ready; asking for 2 again is refused the same way, still on one broker', async () => {
    await plane.client.mergePatch(Resources.cluster, SINGLE_NS, 'three', { spec: { replicas: 1 } });
    const ready = await statusFor('Ready');
    assert.deepEqual(conditionsOf(ready), [
      ['Ready', 'True', 'Ready', 2],
      ['Progressing', 'False', 'Idle', 2],
      ['Degraded', 'False', 'AsExpected', 2],
    ]);
    assert.equal(ready.status?.readyBrokers, 1);

    await plane.client.mergePatch(Resources.cluster, SINGLE_NS, 'three', { spec: { replicas: 2 } });
    const refused = await statusFor('ClusterNotSupportedYet');
    assert.equal(refused.status?.observedGeneration, 3);
    assert.match(readyCondition(refused)!.message, /^spec\.replicas is 2, but /);
    assert.equal(await statefulSetReplicas(), 1, 'the StatefulSet still runs one broker');
    assert.deepEqual(
      (await plane.client.list<KubeObject>(Resources.pod, SINGLE_NS, { labelSelector: 'fjord.dev/cluster=three' })).items.map(
        (p) => p.metadata.name,
      ),
      ['three-0'],
    );
  });
});
