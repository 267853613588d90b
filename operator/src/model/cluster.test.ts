import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { configHash, desiredChildren, desiredStatefulSet, kafkaClusterId, serverProperties, type ClusterInput } from './cluster.js';
import { fixtureCluster, goldenText, renderChildren, writeGolden } from '../../../test/harness/cluster-golden.js';

// Golden files: testdata/cluster.yaml -> testdata/cluster.golden.yaml.
// Regenerate after an intended change with FJORD_UPDATE_GOLDEN=1.
describe('Cluster desired state (golden)', () => {
  it('matches testdata/cluster.golden.yaml', () => {
    const text = renderChildren(fixtureCluster());
    if (process.env['FJORD_UPDATE_GOLDEN'] === '1') writeGolden(text);
    assert.equal(text, goldenText());
  });

  it('puts a controller owner reference on every child and copies no Cluster labels', () => {
    const cluster = fixtureCluster();
    for (const child of desiredChildren(cluster)) {
      assert.deepEqual(child.metadata.ownerReferences, [
        {
          apiVersion: 'fjord.dev/v1alpha1',
          kind: 'Cluster',
          name: 'demo',
          uid: cluster.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      assert.equal(child.metadata.labels?.['argocd.argoproj.io/instance'], undefined, `${child.kind} got a GitOps label`);
    }
  });

  it('derives the Kafka cluster id from the UID (22 base64url characters)', () => {
    assert.match(kafkaClusterId(fixtureCluster()), /^[A-Za-z0-9_-]{22}$/);
  });

  it('changes the config hash for broker config, image and restart annotation changes, not for replicas', () => {
    const base = fixtureCluster();
    const variant = (edit: (c: ClusterInput) => void) => {
      const copy = structuredClone(base);
      edit(copy);
      return configHash(copy);
    };
    const h = configHash(base);
    assert.notEqual(
      variant((c) => (c.spec!.config!['num.partitions'] = '6')),
      h,
    );
    assert.notEqual(
      variant((c) => (c.spec!.image = 'fjord:0.2.0')),
      h,
    );
    assert.notEqual(
      variant((c) => (c.metadata.annotations!['fjord.dev/restart'] = '2')),
      h,
    );
    assert.equal(
      variant((c) => (c.spec!.replicas = 5)),
      h,
    );
  });

  it('keeps operator-owned properties first and sorts user properties', () => {
    const lines = serverProperties(fixtureCluster())
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(
      lines.map((l) => l.split('=')[0]),
      ['cluster.id', 'process.roles', 'listeners', 'log.dirs', 'fjord.http.port', 'log.retention.hours', 'num.partitions'],
    );
  });

  it('uses emptyDir and no claim templates for ephemeral storage', () => {
    const cluster = fixtureCluster();
    cluster.spec!.storage = { type: 'ephemeral' };
    const set = desiredStatefulSet(cluster) as unknown as {
      spec: { volumeClaimTemplates?: unknown; template: { spec: { volumes: Array<{ name: string; emptyDir?: object }> } } };
    };
    assert.equal(set.spec.volumeClaimTemplates, undefined);
    assert.ok(set.spec.template.spec.volumes.some((v) => v.name === 'data' && v.emptyDir));
  });

  it('golden YAML parses back into the same objects', () => {
    const docs = goldenText()
      .split(/^---\n/m)
      .map((d) => parse(d) as unknown);
    assert.deepEqual(docs, JSON.parse(JSON.stringify(desiredChildren(fixtureCluster()))));
  });
});
