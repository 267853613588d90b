// CRDs against a real kube-apiserver: install, defaults, OpenAPI + CEL validation at admission
// (with the messages users see), discovery (short names, category), and `kubectl get` columns.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../harness/tools.js';
import { ApiError } from '../../operator/src/kube/client.js';
import { Resources, type KubeObject, type ResourceType } from '../../operator/src/kube/types.js';
import { createNamespace, installCrds, startControlPlane, type ControlPlane } from './harness.js';

const NS = 'crd-tests';
let plane: ControlPlane;

function sample(file: string): KubeObject & { spec: Record<string, unknown> } {
  const object = parse(readFileSync(join(repoRoot(), 'operator', 'samples', file), 'utf8')) as KubeObject & {
    spec: Record<string, unknown>;
  };
  object.metadata.namespace = NS;
  return object;
}

function topic(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'fjord.dev/v1alpha1', kind: 'Topic', metadata: { name, namespace: NS }, spec } as KubeObject;
}
function cluster(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'fjord.dev/v1alpha1', kind: 'Cluster', metadata: { name, namespace: NS }, spec } as KubeObject;
}

/** Creates with strict field validation (what kubectl does by default) and returns the rejection message. */
async function rejection(type: ResourceType, object: KubeObject): Promise<string> {
  try {
    await plane.client.create(type, object, { fieldValidation: 'Strict' });
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    assert.ok(error.status === 422 || error.status === 400, `expected 422/400, got ${error.status}: ${error.message}`);
    return error.message;
  }
  assert.fail(`${object.kind} ${object.metadata.name} was accepted but should have been rejected`);
}

before(async () => {
  plane = await startControlPlane();
  await installCrds(plane.client);
  await createNamespace(plane.client, NS);
});
after(async () => {
  await plane?.stop();
});

describe('CRDs in a real kube-apiserver', () => {
  it('are served with short names and the fjord category', async () => {
    const discovery = await plane.client.request<{
      resources: Array<{ name: string; shortNames?: string[]; categories?: string[]; kind: string }>;
    }>('GET', '/apis/fjord.dev/v1alpha1');
    const byName = new Map(discovery.resources.map((r) => [r.name, r]));
    assert.deepEqual(byName.get('clusters')?.shortNames, ['fjc']);
    assert.deepEqual(byName.get('topics')?.shortNames, ['fjt']);
    assert.deepEqual(byName.get('clusters')?.categories, ['fjord']);
    assert.deepEqual(byName.get('topics')?.categories, ['fjord']);
    assert.ok(byName.has('clusters/status') && byName.has('topics/status'), 'status subresources');
  });

  it('accept the samples and apply defaults', async () => {
    const created = await plane.client.create<KubeObject & { spec: { replicas: number; storage: { type: string } } }>(
      Resources.cluster,
      sample('cluster.yaml'),
      { fieldValidation: 'Strict' },
    );
    assert.equal(created.spec.replicas, 1, 'the sample runs one broker (brokers do not form one cluster yet)');
    await plane.client.create(Resources.topic, sample('topic.yaml'), { fieldValidation: 'Strict' });
    await plane.client.create(Resources.topic, sample('topic-external.yaml'), { fieldValidation: 'Strict' });
    const minimal = await plane.client.create<
      KubeObject & { spec: { replicas: number; image: string; storage: { type: string; size: string; deleteClaim: boolean } } }
    >(Resources.cluster, cluster('minimal', {}));
    assert.equal(minimal.spec.replicas, 1);
    assert.equal(minimal.spec.image, 'fjord:0.1.0');
    assert.deepEqual(minimal.spec.storage, { type: 'persistent-claim', size: '10Gi', deleteClaim: false });
  });

  const invalidTopics: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'negative partitions',
      { cluster: { name: 'demo' }, partitions: -3 },
      /spec\.partitions: Invalid value: -3: spec\.partitions in body should be greater than or equal to 1/,
    ],
    ['zero partitions', { cluster: { name: 'demo' }, partitions: 0 }, /spec\.partitions.*greater than or equal to 1/],
    ['an unknown field', { cluster: { name: 'demo' }, partitionz: 3 }, /unknown field "spec\.partitionz"/],
    ['no cluster', { partitions: 1 }, /spec\.cluster: Required value/],
    [
      'both cluster name and bootstrap',
      { cluster: { name: 'demo', bootstrapServers: 'a:9092' } },
      /set exactly one of cluster\.name or cluster\.bootstrapServers/,
    ],
    ['a bad bootstrap address', { cluster: { bootstrapServers: 'no-port' } }, /spec\.cluster\.bootstrapServers.*should match/],
    [
      'an unknown cleanup.policy',
      { cluster: { name: 'demo' }, config: { 'cleanup.policy': 'shred' } },
      /cleanup\.policy must be one of delete, compact, delete,compact/,
    ],
    ['a bad topic name', { cluster: { name: 'demo' }, topicName: 'no/slashes' }, /spec\.topicName.*should match/],
  ];
  for (const [what, spec, message] of invalidTopics) {
    it(`reject a Topic with ${what}`, async () => {
      assert.match(await rejection(Resources.topic, topic(`bad-${what.replace(/[^a-z]+/g, '-')}`, spec)), message);
    });
  }

  const invalidClusters: Array<[string, Record<string, unknown>, RegExp]> = [
    ['zero replicas', { replicas: 0 }, /spec\.replicas.*greater than or equal to 1/],
    [
      'an unknown storage type',
      { storage: { type: 'nfs' } },
      /spec\.storage\.type: Unsupported value: "nfs": supported values: "persistent-claim", "ephemeral"/,
    ],
    ['an operator-owned broker property', { config: { 'node.id': '7' } }, /must not set properties the operator owns: node\.id/],
    ['an unknown field', { replicaz: 3 }, /unknown field "spec\.replicaz"/],
  ];
  for (const [what, spec, message] of invalidClusters) {
    it(`reject a Cluster with ${what}`, async () => {
      assert.match(await rejection(Resources.cluster, cluster(`bad-${what.replace(/[^a-z]+/g, '-')}`, spec)), message);
    });
  }

  it('reject changing, adding or removing topicName (transition rules)', async () => {
    const named = await plane.client.create<KubeObject & { spec: Record<string, unknown> }>(
      Resources.topic,
      topic('named', { cluster: { name: 'demo' }, topicName: 'first' }),
    );
    await assert.rejects(
      plane.client.replace(Resources.topic, { ...named, spec: { ...named.spec, topicName: 'second' } } as KubeObject),
      (error: ApiError) => error.status === 422 && /topicName is immutable/.test(error.message),
    );
    const { topicName: _removed, ...withoutName } = named.spec;
    await assert.rejects(
      plane.client.replace(Resources.topic, { ...named, spec: withoutName } as KubeObject),
      (error: ApiError) => error.status === 422 && /topicName is immutable/.test(error.message),
    );
    const unnamed = await plane.client.create<KubeObject & { spec: Record<string, unknown> }>(
      Resources.topic,
      topic('unnamed', { cluster: { name: 'demo' } }),
    );
    await assert.rejects(
      plane.client.replace(Resources.topic, { ...unnamed, spec: { ...unnamed.spec, topicName: 'late' } } as KubeObject),
      (error: ApiError) => error.status === 422 && /topicName is immutable/.test(error.message),
    );
    // other fields stay mutable
    await plane.client.replace(Resources.topic, { ...named, spec: { ...named.spec, partitions: 4 } } as KubeObject);
  });

  it('reject storage changes after creation, but allow deleteClaim changes', async () => {
    const created = await plane.client.create<KubeObject & { spec: { storage: Record<string, unknown> } }>(
      Resources.cluster,
      cluster('storage', { storage: { size: '5Gi' } }),
    );
    await assert.rejects(
      plane.client.replace(Resources.cluster, {
        ...created,
        spec: { ...created.spec, storage: { ...created.spec.storage, size: '50Gi' } },
      } as KubeObject),
      (error: ApiError) =>
        error.status === 422 &&
        /spec\.storage: Invalid value: .*storage type, size and storageClassName cannot change after creation/.test(error.message),
    );
    await plane.client.replace(Resources.cluster, {
      ...created,
      spec: { ...created.spec, storage: { ...created.spec.storage, deleteClaim: true } },
    } as KubeObject);
  });

  it('`kubectl get clusters,topics` prints the printer columns', async () => {
    await plane.client.mergePatch(
      Resources.cluster,
      NS,
      'demo',
      {
        status: {
          readyBrokers: 0,
          bootstrap: 'demo-bootstrap.crd-tests.svc:9092',
          conditions: [
            { type: 'Ready', status: 'False', reason: 'BrokersNotReady', message: '0/1', lastTransitionTime: new Date().toISOString() },
          ],
        },
      },
      'status',
    );
    await plane.client.mergePatch(
      Resources.topic,
      NS,
      'orders',
      {
        status: {
          topicName: 'orders',
          partitions: 6,
          replicationFactor: 1,
          conditions: [{ type: 'Ready', status: 'True', reason: 'Synced', message: '', lastTransitionTime: new Date().toISOString() }],
        },
      },
      'status',
    );
    const result = await plane.kubectl(['get', 'clusters,topics', '-n', NS]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n');
    const clusterHeader = lines.find((l) => l.startsWith('NAME') && l.includes('BROKERS'));
    assert.ok(clusterHeader, result.stdout);
    assert.match(clusterHeader, /NAME\s+BROKERS\s+READY BROKERS\s+READY\s+REASON\s+AGE/);
    assert.match(result.stdout, /cluster\.fjord\.dev\/demo\s+1\s+0\s+False\s+BrokersNotReady\s+\d+s/);
    const topicHeader = lines.find((l) => l.startsWith('NAME') && l.includes('PARTITIONS'));
    assert.ok(topicHeader, result.stdout);
    assert.match(topicHeader, /NAME\s+CLUSTER\s+TOPIC\s+PARTITIONS\s+RF\s+READY\s+REASON\s+AGE/);
    assert.match(result.stdout, /topic\.fjord\.dev\/orders\s+demo\s+orders\s+6\s+1\s+True\s+Synced\s+\d+s/);
    const wide = await plane.kubectl(['get', 'clusters', 'demo', '-n', NS, '-o', 'wide']);
    assert.match(wide.stdout, /BOOTSTRAP[\s\S]*demo-bootstrap\.crd-tests\.svc:9092/);
    const category = await plane.kubectl(['get', 'fjord', '-n', NS, '-o', 'name']);
    assert.equal(category.code, 0, category.stderr);
    assert.match(category.stdout, /cluster\.fjord\.dev\/demo/);
    assert.match(category.stdout, /topic\.fjord\.dev\/orders/);
    const short = await plane.kubectl(['get', 'fjc,fjt', '-n', NS, '-o', 'name']);
    assert.match(short.stdout, /cluster\.fjord\.dev\/minimal/);
    assert.match(short.stdout, /topic\.fjord\.dev\/audit-log/);
  });
});
