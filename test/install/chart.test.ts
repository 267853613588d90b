// The Helm chart on its own (no API server): helm lint, helm template with the default values and
// with a non-trivial values file, values.schema.json rejecting bad values with the key's path in
// the message, and the generated copies never drifting from their sources:
// charts/fjord-operator/crds/ from crds/, manifests/install.yaml from the chart.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../harness/tools.js';
import { CHART, find, helm, helmBinary, parseObjects, renderChart, valuesFile } from './install-harness.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Deployment {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      spec: {
        serviceAccountName: string;
        securityContext: Record<string, unknown>;
        containers: Array<{ image: string; args: string[]; securityContext: Record<string, unknown> }>;
      };
    };
  };
}

/**
 * The operator's needs: operator/README.md's list ("Permissions the operator needs"), plus `create`
 * on the Cluster's children — a server-side apply that creates an object is authorized as create
 * (apiserver.test.ts fails without it).
 */
const OPERATOR_RULES: Array<[string, string, string[]]> = [
  ['fjord.dev', 'clusters', ['get', 'list', 'watch', 'patch']],
  ['fjord.dev', 'topics', ['get', 'list', 'watch', 'patch']],
  ['fjord.dev', 'clusters/status', ['patch']],
  ['fjord.dev', 'topics/status', ['patch']],
  ['', 'serviceaccounts', ['get', 'list', 'watch', 'create', 'patch']],
  ['', 'configmaps', ['get', 'list', 'watch', 'create', 'patch']],
  ['', 'services', ['get', 'list', 'watch', 'create', 'patch']],
  ['apps', 'statefulsets', ['get', 'list', 'watch', 'create', 'patch']],
  ['policy', 'poddisruptionbudgets', ['get', 'list', 'watch', 'create', 'patch']],
  ['', 'pods', ['list', 'watch', 'delete']],
  ['', 'events', ['create']],
];

function grants(rules: Rule[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of rules) {
    for (const g of r.apiGroups) {
      for (const res of r.resources) {
        const key = `${g}/${res}`;
        const set = out.get(key) ?? new Set<string>();
        for (const v of r.verbs) set.add(v);
        out.set(key, set);
      }
    }
  }
  return out;
}

describe('helm lint', () => {
  it('passes with the default values and with the non-trivial values file', () => {
    for (const extra of [[], ['--values', valuesFile('values-namespaced.yaml')]]) {
      const r = helm(['lint', '--strict', CHART(), ...extra]);
      assert.equal(r.code, 0, `helm lint ${extra.join(' ')}:\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });
});

describe('helm template, default values (watch all namespaces)', () => {
  const objects = parseObjects(renderChart());

  it('renders the ServiceAccount, cluster-wide watch rules, a Lease-only Role and one Deployment', () => {
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'ClusterRole/fjord-operator',
      'ClusterRoleBinding/fjord-operator',
      'Deployment/fjord-operator',
      'Role/fjord-operator-leader-election',
      'RoleBinding/fjord-operator-leader-election',
      'ServiceAccount/fjord-operator',
    ]);
    const [deployment] = find<Deployment>(objects, 'Deployment');
    const container = deployment!.spec.template.spec.containers[0]!;
    assert.deepEqual(container.args, ['operator', '--leader-elect=true', '--lease-namespace=fjord-system', '--log-level=info']);
    assert.equal(container.image, 'fjord:0.1.0', 'image tag defaults to appVersion (the operator default broker image is fjord:0.1.0 too)');
    assert.equal(deployment!.spec.replicas, 1);
    assert.equal(deployment!.spec.template.spec.serviceAccountName, 'fjord-operator');
    assert.equal(container.securityContext['readOnlyRootFilesystem'], true);
    assert.equal(container.securityContext['allowPrivilegeEscalation'], false);
    assert.equal(deployment!.spec.template.spec.securityContext['runAsNonRoot'], true);
  });

  it('grants exactly what the operator needs, plus clusters/finalizers update and the Lease', () => {
    const [clusterRole] = find<{ rules: Rule[] }>(objects, 'ClusterRole');
    const granted = grants(clusterRole!.rules);
    for (const [group, resource, verbs] of OPERATOR_RULES) {
      assert.deepEqual([...(granted.get(`${group}/${resource}`) ?? [])].sort(), [...verbs].sort(), `${group}/${resource}`);
    }
    assert.deepEqual(
      [...granted.keys()].sort(),
      [...OPERATOR_RULES.map(([g, r]) => `${g}/${r}`), 'fjord.dev/clusters/finalizers'].sort(),
      'nothing else cluster-wide',
    );
    assert.deepEqual([...granted.get('fjord.dev/clusters/finalizers')!], ['update']);
    const [leaseRole] = find<{ rules: Rule[] }>(objects, 'Role');
    assert.equal(leaseRole!.metadata.namespace, 'fjord-system');
    assert.deepEqual(leaseRole!.rules, [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['fjord-operator'], verbs: ['get', 'update'] },
    ]);
  });
});

describe('helm template, a non-trivial values file (two namespaces, two replicas, a Cluster)', () => {
  const objects = parseObjects(renderChart({ release: 'rel', valuesFiles: [valuesFile('values-namespaced.yaml')] }));

  it('grants nothing cluster-scoped: a Role and RoleBinding in each watched namespace', () => {
    assert.equal(find(objects, 'ClusterRole').length + find(objects, 'ClusterRoleBinding').length, 0);
    for (const ns of ['team-a', 'team-b']) {
      const [role] = find<{ rules: Rule[] }>(objects, 'Role', 'rel-fjord-operator', ns);
      assert.ok(role, `Role in ${ns}`);
      const granted = grants(role.rules);
      assert.ok(granted.get('coordination.k8s.io/leases')?.has('create'), `the Lease lives in ${ns}`);
      const [binding] = find<{ subjects: Array<{ name: string; namespace: string }> }>(objects, 'RoleBinding', 'rel-fjord-operator', ns);
      assert.deepEqual(binding!.subjects, [{ kind: 'ServiceAccount', name: 'fjord-controller', namespace: 'fjord-system' }]);
    }
    assert.deepEqual(
      find(objects, 'Role')
        .map((r) => r.metadata.namespace)
        .sort(),
      ['team-a', 'team-b'],
    );
  });

  it('runs one Deployment per watched namespace, with distinct selectors, the values applied', () => {
    const deployments = find<Deployment>(objects, 'Deployment');
    assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), ['rel-fjord-operator-team-a', 'rel-fjord-operator-team-b']);
    for (const d of deployments) {
      const ns = d.metadata.name.replace('rel-fjord-operator-', '');
      const container = d.spec.template.spec.containers[0]!;
      assert.deepEqual(container.args, [
        'operator',
        `--namespace=${ns}`,
        '--leader-elect=true',
        `--lease-namespace=${ns}`,
        '--log-level=debug',
      ]);
      assert.equal(container.image, 'registry.example.com/streaming/fjord:0.1.0-rc1');
      assert.equal(d.spec.replicas, 2);
      assert.equal(d.spec.selector.matchLabels['fjord.dev/watch-namespace'], ns);
      assert.equal(d.spec.template.spec.serviceAccountName, 'fjord-controller');
      assert.equal(d.metadata.labels?.['cost-center'], 'cc-42');
    }
  });

  it('creates the Cluster and its Topics, the Cluster image defaulting to the operator image', () => {
    const [cluster] = find<{ spec: Record<string, unknown> }>(objects, 'Cluster', 'events', 'team-a');
    assert.ok(cluster);
    assert.equal(cluster.spec['image'], 'registry.example.com/streaming/fjord:0.1.0-rc1');
    assert.deepEqual(cluster.spec['storage'], { type: 'ephemeral' }, 'no defaults merged into the user spec');
    assert.equal(cluster.metadata.labels?.['app.kubernetes.io/component'], undefined, 'no operator labels on the Cluster');
    const topics = find<{ spec: Record<string, unknown> }>(objects, 'Topic');
    assert.deepEqual(
      topics.map((t) => [t.metadata.name, t.metadata.namespace, (t.spec['cluster'] as { name: string }).name]),
      [
        ['orders', 'team-a', 'events'],
        ['customer-profiles', 'team-a', 'events'],
      ],
    );
    assert.equal(topics[1]!.spec['topicName'], 'customer.profiles.v1');
    assert.equal(topics[0]!.spec['partitions'], 6);
  });
});

describe('values.schema.json and template checks reject bad values with a clear message', () => {
  const cases: Array<[string[], RegExp]> = [
    [['replicas=0'], /at '\/replicas': minimum: got 0, want 1/],
    [['image.pullPolicy=Sometimes'], /at '\/image\/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'/],
    [['watchNamespaces[0]=Team_A'], /at '\/watchNamespaces\/0': 'Team_A' does not match pattern/],
    [['logLevel=verbose'], /at '\/logLevel': value must be one of 'debug', 'info', 'warn', 'error'/],
    [['replica=2'], /additional properties 'replica' not allowed/],
    [['cluster.topics[0].name=t', 'cluster.topics[0].partitions=0'], /at '\/cluster\/topics\/0\/partitions': minimum: got 0, want 1/],
    [
      ['cluster.enabled=true', 'cluster.namespace=elsewhere', 'watchNamespaces[0]=team-a'],
      /cluster.namespace "elsewhere" is not watched by the operator: add it to watchNamespaces \[team-a\]/,
    ],
  ];
  for (const [sets, message] of cases) {
    it(`--set ${sets.join(' --set ')}`, () => {
      const r = helm(['template', 'x', CHART(), ...sets.flatMap((s) => ['--set', s])]);
      assert.notEqual(r.code, 0, 'helm template must fail');
      assert.match(r.stderr, message);
    });
  }
  it('helm lint fails on a bad values file too', () => {
    const r = helm(['lint', CHART(), '--set', 'replicas=many']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /at '\/replicas': got string, want integer/);
  });
});

describe('generated copies never drift', () => {
  it('charts/fjord-operator/crds/ is an exact copy of crds/ (manifests/generate.sh)', () => {
    const source = join(repoRoot(), 'crds');
    const copy = join(CHART(), 'crds');
    assert.deepEqual(
      readdirSync(copy).sort(),
      readdirSync(source)
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
      'same files: run `make manifests`',
    );
    for (const f of readdirSync(source).filter((f) => f.endsWith('.yaml'))) {
      assert.equal(readFileSync(join(copy, f), 'utf8'), readFileSync(join(source, f), 'utf8'), `${f} differs: run \`make manifests\``);
    }
  });

  it('manifests/install.yaml is exactly what the chart renders with its default values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fjord-manifests-'));
    try {
      const out = join(dir, 'install.yaml');
      const r = spawnSync('bash', [join(repoRoot(), 'manifests', 'generate.sh'), '--install-yaml', out], {
        encoding: 'utf8',
        env: { ...process.env, HELM: helmBinary() },
      });
      assert.equal(r.status, 0, r.stderr);
      const fresh = readFileSync(out, 'utf8');
      assert.equal(
        readFileSync(join(repoRoot(), 'manifests', 'install.yaml'), 'utf8'),
        fresh,
        'manifests/install.yaml is stale: run `make manifests`',
      );
      // and it is the chart: every rendered object is in it, plus the Namespace and the CRDs
      const kinds = parseObjects(fresh).map((o) => `${o.kind}/${o.metadata.name}`);
      const chart = parseObjects(renderChart({ includeCrds: true })).map((o) => `${o.kind}/${o.metadata.name}`);
      assert.deepEqual(kinds, ['Namespace/fjord-system', ...chart]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('NOTES.txt and the GitOps examples', () => {
  it('NOTES tells what to apply next, or how to wait for the chart-made Cluster, and how to produce/consume', () => {
    const plain = helm(['install', '--dry-run=client', 'fjord-operator', CHART(), '--namespace', 'fjord-system']);
    assert.equal(plain.code, 0, plain.stderr);
    const notes = plain.stdout.slice(plain.stdout.indexOf('NOTES:'));
    assert.match(notes, /It reconciles Clusters and Topics in every namespace/);
    assert.match(notes, /kind: Cluster[\s\S]*kind: Topic/);
    assert.match(notes, /kafka-console-consumer\.sh --bootstrap-server demo-bootstrap\.default\.svc:9092 --topic orders/);
    assert.match(notes, /helm show crds/);
    const withCluster = helm([
      'install',
      '--dry-run=client',
      'rel',
      CHART(),
      '--namespace',
      'fjord-system',
      '--values',
      valuesFile('values-namespaced.yaml'),
    ]);
    assert.equal(withCluster.code, 0, withCluster.stderr);
    const notes2 = withCluster.stdout.slice(withCluster.stdout.indexOf('NOTES:'));
    assert.match(notes2, /in: team-a, team-b/);
    assert.match(notes2, /kubectl -n team-a wait cluster\/events --for=condition=Ready/);
    assert.match(notes2, /events-bootstrap\.team-a\.svc:9092 --topic orders/);
    assert.match(notes2, /logs deploy\/rel-fjord-operator-team-a/);
  });

  it('the Argo CD Applications and the Flux example point at paths that exist', () => {
    const docs = join(repoRoot(), 'docs', 'gitops');
    const paths: string[] = [];
    for (const o of parseObjects(readFileSync(join(docs, 'argocd', 'application.yaml'), 'utf8')) as unknown as Array<KubeObjectLike>)
      paths.push(o.spec.source!.path!);
    for (const o of parseObjects(readFileSync(join(docs, 'flux', 'fjord.yaml'), 'utf8')) as unknown as Array<KubeObjectLike>) {
      if (o.kind === 'Kustomization') paths.push(o.spec.path!);
      if (o.kind === 'HelmRelease') paths.push(o.spec.chart!.spec.chart);
    }
    assert.deepEqual(paths.map((p) => p.replace(/^\.\//, '')).sort(), [
      'charts/fjord-operator',
      'charts/fjord-operator',
      'charts/fjord-operator/crds',
      'manifests/examples',
      'manifests/examples',
    ]);
    for (const p of paths) assert.ok(existsSync(join(repoRoot(), p)), p);
  });
});

interface KubeObjectLike {
  kind: string;
  spec: { source?: { path?: string }; path?: string; chart?: { spec: { chart: string } } };
}
