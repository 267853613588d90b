// The chart and manifests/install.yaml against a real kube-apiserver (test/k8s, as the operator
// tests start it): everything they contain is accepted (server-side dry-run after the CRDs are
// installed), and the RBAC they grant is enough for the operator and no broader.
//
// "Enough" is proven by running `fjord operator` the way its Deployment runs it in a pod (the
// image's ENTRYPOINT and files, install-harness.ts runLikeKubelet): the
// Deployment's args, the in-cluster environment a kubelet gives (KUBERNETES_SERVICE_HOST/PORT, the
// ServiceAccount token, CA and namespace at /var/run/secrets/kubernetes.io/serviceaccount, through
// a private mount namespace), uid 1000 — authenticated by a real token of the chart's
// ServiceAccount (TokenRequest), so the API server applies exactly the chart's RBAC. It then
// reconciles a Cluster (children created, status written, Ready with a fake kubelet) and Topics
// (status written; one against a real Fjord broker). "No broader" is checked with
// `kubectl auth can-i --as=system:serviceaccount:...` on what it must not be able to do.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../harness/tools.js';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { Resources, type KubeObject } from '../../operator/src/kube/types.js';
import type { LeaseObject } from '../../operator/src/kube/leader.js';
import type { Cluster, Topic } from '../../operator/src/api/types.generated.js';
import {
  createNamespace,
  getOrNull,
  startControlPlane,
  startFakeKubelet,
  type ControlPlane,
  type FakeKubelet,
} from '../operator/harness.js';
import { waitFor } from '../harness/wait.js';
import { CHART, find, parseObjects, renderChart, runLikeKubelet, valuesFile, type PodProcess } from './install-harness.js';

const SA_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
let plane: ControlPlane;
let broker: BrokerHandle;
let work: string;

interface DeploymentObject extends KubeObject {
  spec: {
    template: {
      spec: {
        serviceAccountName: string;
        securityContext: { runAsUser: number; runAsGroup: number };
        containers: Array<{ args: string[]; env?: Array<{ name: string; value: string }> }>;
      };
    };
  };
}

async function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return plane.kubectl(args);
}

async function mustKubectl(args: string[]): Promise<string> {
  const r = await kubectl(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function writeTemp(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

/** `kubectl auth can-i` as the ServiceAccount (impersonation adds its groups, as a token would). */
async function canI(sa: string, args: string[]): Promise<boolean> {
  const r = await kubectl(['auth', 'can-i', ...args, `--as=system:serviceaccount:${sa}`]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`kubectl auth can-i ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim() === 'yes';
}

async function serviceAccountToken(namespace: string, name: string): Promise<string> {
  const response = await plane.client.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    },
  );
  return response.status.token;
}

/** Runs the Deployment's container as a kubelet would, with the ServiceAccount's in-cluster credentials. */
async function runOperatorPod(deployment: DeploymentObject): Promise<PodProcess> {
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;
  const ns = deployment.metadata.namespace!;
  const token = await serviceAccountToken(ns, pod.serviceAccountName);
  const server = new URL(/server: (\S+)/.exec(readFileSync(plane.kubeconfig, 'utf8'))![1]!);
  const env: Record<string, string> = {
    HOSTNAME: `${deployment.metadata.name}-7d9f8c-x2x4q`,
    HOME: '/home/node',
    KUBERNETES_SERVICE_HOST: server.hostname,
    KUBERNETES_SERVICE_PORT: server.port,
  };
  for (const e of container.env ?? []) env[e.name] = e.value;
  return runLikeKubelet({
    args: container.args,
    env,
    uid: pod.securityContext.runAsUser,
    gid: pod.securityContext.runAsGroup,
    files: {
      [`${SA_MOUNT}/token`]: token,
      [`${SA_MOUNT}/ca.crt`]: readFileSync(join(plane.dir, 'pki', 'ca.crt'), 'utf8'),
      [`${SA_MOUNT}/namespace`]: ns,
    },
  });
}

function cluster(namespace: string, name: string): KubeObject {
  return {
    apiVersion: 'fjord.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name, namespace },
    spec: { replicas: 1, storage: { type: 'ephemeral' } },
  } as KubeObject;
}
function externalTopic(namespace: string, name: string): KubeObject {
  return {
    apiVersion: 'fjord.dev/v1alpha1',
    kind: 'Topic',
    metadata: { name, namespace },
    spec: { cluster: { bootstrapServers: broker.bootstrap }, partitions: 2, config: { 'retention.ms': 3600000 } },
  } as KubeObject;
}

/** Waits for every child of the Cluster, then for Ready=True (the fake kubelet readies the pod). */
async function expectClusterReconciled(pod: PodProcess, namespace: string, name: string): Promise<void> {
  const children: Array<[Parameters<typeof getOrNull>[1], string]> = [
    [Resources.serviceAccount, name],
    [Resources.configMap, `${name}-config`],
    [Resources.service, `${name}-brokers`],
    [Resources.service, `${name}-bootstrap`],
    [Resources.statefulSet, name],
    [Resources.podDisruptionBudget, name],
  ];
  const diagnostics = () => `operator output:\n${pod.output()}`;
  for (const [type, child] of children) {
    await waitFor(`${type.kind} ${namespace}/${child} created by the operator`, () => getOrNull(plane.client, type, namespace, child), {
      diagnostics,
    });
  }
  await waitFor(
    `Cluster ${namespace}/${name} Ready`,
    async () => {
      const c = await plane.client.get<Cluster>(Resources.cluster, namespace, name);
      return (
        c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') &&
        c.status.observedGeneration === c.metadata.generation
      );
    },
    { diagnostics },
  );
}

async function waitTopicStatus(pod: PodProcess, namespace: string, name: string, ready: 'True' | 'False'): Promise<Topic> {
  return waitFor(
    `Topic ${namespace}/${name} status Ready=${ready}`,
    async () => {
      const t = await plane.client.get<Topic>(Resources.topic, namespace, name);
      const condition = t.status?.conditions?.find((c) => c.type === 'Ready');
      return condition?.status === ready && t.status?.observedGeneration === t.metadata.generation ? t : null;
    },
    { diagnostics: () => `operator output:\n${pod.output()}` },
  );
}

function assertNoForbidden(pod: PodProcess): void {
  // A 403 from the API server says "... is forbidden: User ..." (reason Forbidden, code 403); a
  // bare /403/ would also match timestamps such as 18:24:28.403Z.
  assert.doesNotMatch(pod.output(), /forbidden|(code|status)\W{0,4}403\b/i, `the operator hit a permission error:\n${pod.output()}`);
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'fjord-install-'));
  plane = await startControlPlane();
  // The chart's CRDs (crds/ of the chart, as `helm install` installs them), then Established.
  await mustKubectl(['apply', '--server-side', '-f', join(CHART(), 'crds')]);
  await mustKubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/clusters.fjord.dev', 'crd/topics.fjord.dev']);
  for (const ns of ['fjord-system', 'apps', 'team-a', 'team-b', 'team-c']) await createNamespace(plane.client, ns);
  broker = await startBroker({ target: 'fjord' });
});
after(async () => {
  await broker?.stop();
  await plane?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('server-side dry-run: the API server accepts everything', () => {
  it('manifests/install.yaml (Namespace, CRDs, RBAC, Deployment)', async () => {
    const out = await mustKubectl(['apply', '--server-side', '--dry-run=server', '-f', join(repoRoot(), 'manifests', 'install.yaml')]);
    const count = parseObjects(readFileSync(join(repoRoot(), 'manifests', 'install.yaml'), 'utf8')).length;
    assert.equal(
      out
        .trim()
        .split('\n')
        .filter((l) => l.endsWith('(server dry run)')).length,
      count,
      out,
    );
  });

  it('the chart rendered with the non-trivial values file, Cluster and Topics included', async () => {
    const text = renderChart({ release: 'rel', valuesFiles: [valuesFile('values-namespaced.yaml')] });
    const out = await mustKubectl(['apply', '--server-side', '--dry-run=server', '-f', writeTemp('namespaced.yaml', text)]);
    assert.match(out, /cluster\.fjord\.dev\/events serverside-applied \(server dry run\)/);
    assert.match(out, /topic\.fjord\.dev\/customer-profiles serverside-applied \(server dry run\)/);
    assert.equal(out.trim().split('\n').length, parseObjects(text).length, out);
  });

  it('manifests/examples (kustomize) and manifests/kustomization.yaml', async () => {
    const out = await mustKubectl([
      'apply',
      '--server-side',
      '--dry-run=server',
      '-n',
      'apps',
      '-k',
      join(repoRoot(), 'manifests', 'examples'),
    ]);
    assert.match(out, /cluster\.fjord\.dev\/demo serverside-applied/);
    assert.equal(out.trim().split('\n').length, 4, out);
    const built = parseObjects(await mustKubectl(['kustomize', join(repoRoot(), 'manifests')]));
    const install = parseObjects(readFileSync(join(repoRoot(), 'manifests', 'install.yaml'), 'utf8'));
    assert.deepEqual(built.map((o) => `${o.kind}/${o.metadata.name}`).sort(), install.map((o) => `${o.kind}/${o.metadata.name}`).sort());
  });

  it('and it does validate: a Cluster the CRD rejects fails the dry-run', async () => {
    const text = renderChart({ set: ['cluster.enabled=true', 'cluster.spec.storage.type=tape'] });
    const r = await kubectl(['apply', '--server-side', '--dry-run=server', '-f', writeTemp('bad.yaml', text)]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.storage\.type: Unsupported value: "tape"/);
  });
});

describe('RBAC of manifests/install.yaml (all namespaces): enough, and no more', () => {
  const SA = 'fjord-system:fjord-operator';
  let deployment: DeploymentObject;
  before(async () => {
    const path = join(repoRoot(), 'manifests', 'install.yaml');
    await mustKubectl(['apply', '--server-side', '-f', path]);
    [deployment] = find(parseObjects(readFileSync(path, 'utf8')), 'Deployment') as DeploymentObject[];
  });

  it('fjord operator, run as the Deployment runs it as that ServiceAccount, reconciles Clusters and Topics', async () => {
    const pod = await runOperatorPod(deployment);
    let kubelet: FakeKubelet | null = null;
    try {
      await plane.client.create(Resources.cluster, cluster('apps', 'c1'));
      kubelet = startFakeKubelet(plane.client, 'apps', 'c1');
      await expectClusterReconciled(pod, 'apps', 'c1');
      await plane.client.create(Resources.topic, externalTopic('apps', 'events'));
      const topic = await waitTopicStatus(pod, 'apps', 'events', 'True');
      assert.equal(topic.status?.partitions, 2);
      assert.ok(topic.status?.topicId, 'topic created on the broker');
      assert.deepEqual(topic.metadata.finalizers, ['fjord.dev/topic']);
      const lease = await plane.client.get<LeaseObject>(Resources.lease, 'fjord-system', 'fjord-operator');
      assert.ok(lease.spec?.holderIdentity, 'leader election in the release namespace');
      // the finalizer path: deleting the Topic deletes the Kafka topic, then the resource goes
      await plane.client.delete(Resources.topic, 'apps', 'events');
      await waitFor(
        'Topic apps/events deleted through its finalizer',
        async () => (await getOrNull(plane.client, Resources.topic, 'apps', 'events')) === null,
        { diagnostics: () => `operator output:\n${pod.output()}` },
      );
      assertNoForbidden(pod);
    } finally {
      await kubelet?.stop();
      const code = await pod.stop();
      assert.equal(code, 0, `operator exit status:\n${pod.output()}`);
    }
    const released = await plane.client.get<LeaseObject>(Resources.lease, 'fjord-system', 'fjord-operator');
    assert.equal(released.spec?.holderIdentity ?? null, null, 'Lease released on SIGTERM');
  });

  it('may do what it needs', async () => {
    for (const args of [
      ['patch', 'statefulsets.apps', '-n', 'apps'],
      ['create', 'statefulsets.apps', '-n', 'apps'],
      ['patch', 'clusters.fjord.dev/status', '-n', 'team-c'],
      ['delete', 'pods', '-n', 'apps'],
      ['create', 'events', '-n', 'apps'],
      ['create', 'leases.coordination.k8s.io', '-n', 'fjord-system'],
      ['update', 'leases.coordination.k8s.io/fjord-operator', '-n', 'fjord-system'],
    ]) {
      assert.equal(await canI(SA, args), true, `can-i ${args.join(' ')}`);
    }
  });

  it('may not read secrets, delete namespaces, write RBAC or CRDs, create or delete workloads, or touch other Leases', async () => {
    for (const args of [
      ['get', 'secrets', '-n', 'apps'],
      ['list', 'secrets', '-A'],
      ['delete', 'namespaces'],
      ['create', 'namespaces'],
      ['create', 'clusterroles.rbac.authorization.k8s.io'],
      ['create', 'rolebindings.rbac.authorization.k8s.io', '-n', 'apps'],
      ['patch', 'customresourcedefinitions.apiextensions.k8s.io'],
      ['delete', 'statefulsets.apps', '-n', 'apps'],
      ['create', 'pods', '-n', 'apps'],
      ['patch', 'pods', '-n', 'apps'],
      ['create', 'deployments.apps', '-n', 'fjord-system'],
      ['delete', 'clusters.fjord.dev', '-n', 'apps'],
      ['delete', 'topics.fjord.dev', '-n', 'apps'],
      ['update', 'topics.fjord.dev', '-n', 'apps'],
      ['patch', 'nodes'],
      ['create', 'leases.coordination.k8s.io', '-n', 'apps'],
      ['update', 'leases.coordination.k8s.io/kube-scheduler', '-n', 'fjord-system'],
      ['impersonate', 'users'],
    ]) {
      assert.equal(await canI(SA, args), false, `must not: ${args.join(' ')}`);
    }
  });
});

describe('RBAC of the chart watching two namespaces (non-trivial values file): enough, and no more', () => {
  const SA = 'fjord-system:fjord-controller';
  let deployment: DeploymentObject;
  before(async () => {
    const text = renderChart({ release: 'rel', valuesFiles: [valuesFile('values-namespaced.yaml')] });
    await mustKubectl(['apply', '--server-side', '-f', writeTemp('namespaced-apply.yaml', text)]);
    [deployment] = find(parseObjects(text), 'Deployment', 'rel-fjord-operator-team-a') as DeploymentObject[];
  });

  it("the team-a operator, as the chart's ServiceAccount, reconciles the chart's Cluster and Topics", async () => {
    assert.ok(deployment, 'Deployment rel-fjord-operator-team-a');
    const pod = await runOperatorPod(deployment);
    let kubelet: FakeKubelet | null = null;
    try {
      kubelet = startFakeKubelet(plane.client, 'team-a', 'events');
      await expectClusterReconciled(pod, 'team-a', 'events');
      // The chart's Topics name the Cluster, whose bootstrap DNS name resolves only inside
      // Kubernetes: the operator writes their status (KafkaError), which is what RBAC must allow.
      const chartTopic = await waitTopicStatus(pod, 'team-a', 'orders', 'False');
      assert.equal(chartTopic.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'KafkaError');
      await plane.client.create(Resources.topic, externalTopic('team-a', 'audit'));
      assert.ok((await waitTopicStatus(pod, 'team-a', 'audit', 'True')).status?.topicId);
      const lease = await plane.client.get<LeaseObject>(Resources.lease, 'team-a', 'fjord-operator');
      assert.ok(lease.spec?.holderIdentity, 'leader election in the watched namespace');
      // it watches team-a only: a Cluster in team-b is left to the team-b Deployment. A Cluster
      // created in team-a after it is reconciled: by then a watch over both namespaces would have
      // delivered the team-b one too, before it (a watch stream is in resourceVersion order); and
      // such a watch would be forbidden to this ServiceAccount (assertNoForbidden below).
      await plane.client.create(Resources.cluster, cluster('team-b', 'other'));
      await plane.client.create(Resources.cluster, cluster('team-a', 'after-other'));
      await waitFor(
        'the team-a Cluster created after the team-b one to get its status',
        async () => (await plane.client.get<Cluster>(Resources.cluster, 'team-a', 'after-other')).status?.observedGeneration === 1,
        { diagnostics: () => `operator output:\n${pod.output()}` },
      );
      assert.equal(await getOrNull(plane.client, Resources.statefulSet, 'team-b', 'other'), null);
      assert.equal(
        (await plane.client.get<Cluster>(Resources.cluster, 'team-b', 'other')).status,
        undefined,
        'team-b Cluster got a status',
      );
      assertNoForbidden(pod);
    } finally {
      await kubelet?.stop();
      const code = await pod.stop();
      assert.equal(code, 0, `operator exit status:\n${pod.output()}`);
    }
  });

  it('may act in team-a and team-b', async () => {
    for (const ns of ['team-a', 'team-b']) {
      for (const args of [
        ['patch', 'statefulsets.apps'],
        ['list', 'clusters.fjord.dev'],
        ['create', 'leases.coordination.k8s.io'],
        ['delete', 'pods'],
      ]) {
        assert.equal(await canI(SA, [...args, '-n', ns]), true, `can-i ${args.join(' ')} -n ${ns}`);
      }
    }
  });

  it('may do nothing cluster-wide nor in other namespaces', async () => {
    assert.equal((await kubectl(['get', 'clusterrolebindings', '-l', 'app.kubernetes.io/instance=rel', '-o', 'name'])).stdout.trim(), '');
    for (const args of [
      ['list', 'clusters.fjord.dev', '-A'],
      ['watch', 'topics.fjord.dev', '-A'],
      ['patch', 'statefulsets.apps', '-n', 'team-c'],
      ['list', 'pods', '-n', 'apps'],
      ['create', 'leases.coordination.k8s.io', '-n', 'fjord-system'],
      ['get', 'secrets', '-n', 'team-a'],
      ['delete', 'namespaces'],
      ['create', 'clusterroles.rbac.authorization.k8s.io'],
      ['update', 'leases.coordination.k8s.io/other', '-n', 'team-a'],
    ]) {
      assert.equal(await canI(SA, args), false, `must not: ${args.join(' ')}`);
    }
  });
});
