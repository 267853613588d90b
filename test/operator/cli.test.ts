// `fjord operator` as a process (bin/fjord.js, built into dist/ by `npx tsc -p tsconfig.json`):
// it runs against the kubeconfig it is given, reconciles, and exits cleanly on SIGTERM,
// releasing its Lease.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../harness/tools.js';
import { Resources, type KubeObject } from '../../operator/src/kube/types.js';
import type { LeaseObject } from '../../operator/src/kube/leader.js';
import { createNamespace, getOrNull, installCrds, startControlPlane, type ControlPlane } from './harness.js';
import { waitFor } from '../harness/wait.js';

const NS = 'cli';
let plane: ControlPlane;
let child: ChildProcess | null = null;

before(async () => {
  plane = await startControlPlane();
  await installCrds(plane.client);
  await createNamespace(plane.client, NS);
});
after(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await plane?.stop();
});

describe('fjord operator (CLI)', () => {
  it('reconciles against the given kubeconfig and stops on SIGTERM, releasing the Lease', async () => {
    let output = '';
    child = spawn(
      process.execPath,
      [join(repoRoot(), 'bin', 'fjord.js'), 'operator', '--kubeconfig', plane.kubeconfig, '--namespace', NS],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    await plane.client.create(Resources.cluster, {
      apiVersion: 'fjord.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'c1', namespace: NS },
      spec: { replicas: 1 },
    } as KubeObject);
    await waitFor('StatefulSet c1 from the CLI operator', () => getOrNull(plane.client, Resources.statefulSet, NS, 'c1'), {
      diagnostics: () => `operator output:\n${output}`,
    });
    const lease = await plane.client.get<LeaseObject>(Resources.lease, NS, 'fjord-operator');
    assert.ok(lease.spec?.holderIdentity, 'holds the Lease');
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    const released = await plane.client.get<LeaseObject>(Resources.lease, NS, 'fjord-operator');
    assert.equal(released.spec?.holderIdentity ?? null, null, 'Lease released on shutdown');
    const lines = output.split('\n').filter((l) => l.startsWith('{'));
    assert.ok(lines.length > 0 && lines.every((l) => typeof JSON.parse(l).msg === 'string'), 'structured JSON logs');
    assert.ok(lines.some((l) => JSON.parse(l).msg === 'Controllers started'));
  });
});
