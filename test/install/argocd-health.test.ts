// The Argo CD health checks (docs/gitops/argocd/fjord.dev/{Cluster,Topic}/health.lua), run with
// Debian's lua5.4 (test/install/install-lua.sh) the way Argo CD runs them: the object as the global
// `obj`, the chunk's return value the verdict. Sample objects carry the conditions the operator
// writes (controllers/cluster-controller.ts, controllers/topic-controller.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../harness/tools.js';

const DIR = () => join(repoRoot(), 'docs', 'gitops', 'argocd');

function luaBinary(): string {
  const r = spawnSync('sh', ['-c', 'command -v lua5.4'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('lua5.4 is missing: run `bash test/install/install-lua.sh` (the Makefile does)');
  return r.stdout.trim();
}

/** A JSON value as a Lua table constructor. */
function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value); // JSON string escapes are valid Lua
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `[${JSON.stringify(k)}] = ${toLua(v)}`)
    .join(', ')}}`;
}

function health(kind: 'Cluster' | 'Topic', object: unknown): { status: string; message: string } {
  const script = join(DIR(), 'fjord.dev', kind, 'health.lua');
  const driver = `obj = ${toLua(object)}\nlocal hs = dofile(${JSON.stringify(script)})\nio.write(hs.status, "\\n", hs.message or "")`;
  const r = spawnSync(luaBinary(), ['-'], { input: driver, encoding: 'utf8' });
  assert.equal(r.status, 0, `lua failed: ${r.stderr}`);
  const [status, ...message] = r.stdout.split('\n');
  return { status: status!, message: message.join('\n') };
}

type Cond = [type: string, status: string, reason: string, message?: string];
function resource(
  kind: string,
  generation: number,
  observed: number | null,
  conditions: Cond[] | null,
  extra: Record<string, unknown> = {},
): unknown {
  const metadata = { name: 'x', namespace: 'ns', generation, ...extra };
  if (conditions === null) return { apiVersion: 'fjord.dev/v1alpha1', kind, metadata, spec: {} };
  return {
    apiVersion: 'fjord.dev/v1alpha1',
    kind,
    metadata,
    spec: {},
    status: {
      ...(observed === null ? {} : { observedGeneration: observed }),
      conditions: conditions.map(([type, status, reason, message]) => ({
        type,
        status,
        reason,
        message: message ?? '',
        observedGeneration: observed ?? 1,
        lastTransitionTime: '2026-01-01T00:00:00Z',
      })),
    },
  };
}

const clusterCases: Array<[string, unknown, string, RegExp]> = [
  ['no status yet', resource('Cluster', 1, null, null), 'Progressing', /Waiting for the operator/],
  [
    'brokers starting',
    resource('Cluster', 1, 1, [
      ['Ready', 'False', 'BrokersNotReady', '1/3 brokers ready'],
      ['Progressing', 'True', 'BrokersStarting', '1/3 brokers ready'],
      ['Degraded', 'False', 'AsExpected'],
    ]),
    'Progressing',
    /BrokersStarting: 1\/3 brokers ready/,
  ],
  [
    'ready',
    resource('Cluster', 2, 2, [
      ['Ready', 'True', 'Ready', '3/3 brokers ready'],
      ['Progressing', 'False', 'Idle', 'nothing to do'],
      ['Degraded', 'False', 'AsExpected', 'as specified'],
    ]),
    'Healthy',
    /Ready: 3\/3 brokers ready/,
  ],
  [
    'rolling restart',
    resource('Cluster', 3, 3, [
      ['Ready', 'False', 'RollingRestart', 'restarting demo-2'],
      ['Progressing', 'True', 'RollingRestart', 'restarting demo-2'],
      ['Degraded', 'False', 'AsExpected'],
    ]),
    'Progressing',
    /RollingRestart/,
  ],
  [
    'scale-down blocked (still serving)',
    resource('Cluster', 4, 4, [
      ['Ready', 'True', 'Ready', '3/3 brokers ready'],
      ['Progressing', 'False', 'Idle'],
      ['Degraded', 'True', 'ScaleDownBlocked', 'broker 2 holds replicas of orders'],
    ]),
    'Degraded',
    /ScaleDownBlocked: broker 2 holds replicas/,
  ],
  [
    'more brokers asked for than can form one cluster yet (one runs)',
    resource('Cluster', 1, 1, [
      ['Ready', 'False', 'ClusterNotSupportedYet', 'spec.replicas is 3, but Fjord brokers do not form one cluster yet'],
      ['Progressing', 'False', 'Idle', 'nothing to do'],
      ['Degraded', 'True', 'ClusterNotSupportedYet', 'spec.replicas is 3, but Fjord brokers do not form one cluster yet'],
    ]),
    'Degraded',
    /ClusterNotSupportedYet: spec\.replicas is 3, but Fjord brokers do not form one cluster yet/,
  ],
  [
    'reconcile failed',
    resource('Cluster', 1, 1, [
      ['Ready', 'False', 'ReconcileFailed', 'boom'],
      ['Progressing', 'False', 'ReconcileFailed'],
      ['Degraded', 'True', 'ReconcileFailed', 'boom'],
    ]),
    'Degraded',
    /ReconcileFailed: boom/,
  ],
  [
    'spec changed, not yet observed (old status says Ready)',
    resource('Cluster', 5, 4, [
      ['Ready', 'True', 'Ready'],
      ['Progressing', 'False', 'Idle'],
      ['Degraded', 'False', 'AsExpected'],
    ]),
    'Progressing',
    /observe generation 5/,
  ],
  [
    'being deleted',
    resource('Cluster', 1, 1, [['Ready', 'True', 'Ready']], { deletionTimestamp: '2026-01-01T00:00:00Z' }),
    'Progressing',
    /Deleting/,
  ],
  [
    'Ready=False, nothing progressing',
    resource('Cluster', 1, 1, [['Ready', 'False', 'Stuck', 'no brokers']]),
    'Degraded',
    /Stuck: no brokers/,
  ],
];

const topicCases: Array<[string, unknown, string, RegExp]> = [
  ['no status yet', resource('Topic', 1, null, null), 'Progressing', /Waiting for the operator/],
  [
    'synced',
    resource('Topic', 1, 1, [
      ['Ready', 'True', 'Synced', 'topic orders matches the spec'],
      ['Progressing', 'False', 'Synced'],
      ['Degraded', 'False', 'Synced'],
    ]),
    'Healthy',
    /Synced: topic orders matches the spec/,
  ],
  [
    'partition decrease refused',
    resource('Topic', 2, 2, [
      ['Ready', 'False', 'PartitionDecreaseRefused', 'cannot go from 6 to 3'],
      ['Progressing', 'False', 'PartitionDecreaseRefused'],
      ['Degraded', 'True', 'PartitionDecreaseRefused', 'cannot go from 6 to 3'],
    ]),
    'Degraded',
    /PartitionDecreaseRefused/,
  ],
  [
    'conflict with an older Topic',
    resource('Topic', 1, 1, [
      ['Ready', 'False', 'ResourceConflict', 'already managed'],
      ['Progressing', 'False', 'ResourceConflict'],
      ['Degraded', 'True', 'ResourceConflict', 'already managed'],
    ]),
    'Degraded',
    /ResourceConflict/,
  ],
  [
    'unmanaged',
    resource('Topic', 1, 1, [
      ['Ready', 'Unknown', 'Unmanaged', 'fjord.dev/managed is "false"'],
      ['Progressing', 'False', 'Unmanaged'],
      ['Degraded', 'False', 'Unmanaged'],
    ]),
    'Suspended',
    /Unmanaged/,
  ],
  ['new generation not observed', resource('Topic', 3, 2, [['Ready', 'True', 'Synced']]), 'Progressing', /generation 3/],
  [
    'deleting (finalizer)',
    resource('Topic', 1, 1, [['Ready', 'True', 'Synced']], { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['fjord.dev/topic'] }),
    'Progressing',
    /Deleting/,
  ],
];

describe('Argo CD health: Cluster', () => {
  for (const [name, object, status, message] of clusterCases) {
    it(`${name} -> ${status}`, () => {
      const verdict = health('Cluster', object);
      assert.equal(verdict.status, status, verdict.message);
      assert.match(verdict.message, message);
    });
  }
});

describe('Argo CD health: Topic', () => {
  for (const [name, object, status, message] of topicCases) {
    it(`${name} -> ${status}`, () => {
      const verdict = health('Topic', object);
      assert.equal(verdict.status, status, verdict.message);
      assert.match(verdict.message, message);
    });
  }
});

describe('Argo CD health: the argocd-cm patch', () => {
  it('inlines exactly the two scripts under the keys Argo CD reads', () => {
    const patch = parse(readFileSync(join(DIR(), 'argocd-cm-patch.yaml'), 'utf8')) as { data: Record<string, string> };
    assert.deepEqual(Object.keys(patch.data).sort(), [
      'resource.customizations.health.fjord.dev_Cluster',
      'resource.customizations.health.fjord.dev_Topic',
    ]);
    for (const kind of ['Cluster', 'Topic']) {
      assert.equal(
        patch.data[`resource.customizations.health.fjord.dev_${kind}`],
        readFileSync(join(DIR(), 'fjord.dev', kind, 'health.lua'), 'utf8'),
        `${kind}: run \`make manifests\``,
      );
    }
  });
});
