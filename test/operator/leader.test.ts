// Leader election on a real Lease: of two operator instances only the Lease holder runs its
// controllers; when it stops, the standby takes over and reconciles.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../operator/src/kube/log.js';
import { Resources, type KubeObject } from '../../operator/src/kube/types.js';
import type { LeaseObject } from '../../operator/src/kube/leader.js';
import type { Operator } from '../../operator/src/main.js';
import { createNamespace, getOrNull, installCrds, startControlPlane, startOperator, waitFor, type ControlPlane } from './harness.js';

const NS = 'leader';
let plane: ControlPlane;
const operators: Operator[] = [];

const election = { namespace: NS, name: 'fjord-operator', leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };

function capturingLogger(lines: string[]) {
  return createLogger('info', {}, (line) => lines.push(line));
}

async function clusterWithChildren(name: string): Promise<boolean> {
  await plane.client.create(Resources.cluster, {
    apiVersion: 'fjord.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name, namespace: NS },
    spec: { replicas: 1 },
  } as KubeObject);
  await waitFor(`StatefulSet ${name}`, () => getOrNull(plane.client, Resources.statefulSet, NS, name));
  return true;
}

before(async () => {
  plane = await startControlPlane();
  await installCrds(plane.client);
  await createNamespace(plane.client, NS);
});
after(async () => {
  for (const operator of operators) await operator.stop();
  await plane?.stop();
});

describe('leader election', () => {
  it('only the Lease holder acts; the standby takes over when the leader stops', async () => {
    const logsA: string[] = [];
    const logsB: string[] = [];
    const a = await startOperator(plane, { identity: 'operator-a', leaderElection: election, logger: capturingLogger(logsA) });
    operators.push(a);
    const bPromise = startOperator(plane, { identity: 'operator-b', leaderElection: election, logger: capturingLogger(logsB) });
    // B campaigns but must not win while A renews.
    const bWon = await Promise.race([bPromise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 4_000))]);
    assert.equal(bWon, false, 'standby became leader while the leader was alive');
    assert.equal(a.isLeading, true);
    const lease = await plane.client.get<LeaseObject>(Resources.lease, NS, 'fjord-operator');
    assert.equal(lease.spec?.holderIdentity, 'operator-a');

    await clusterWithChildren('one');
    assert.ok(
      logsA.some((l) => l.includes('"Controllers started"')),
      'leader started its controllers',
    );
    assert.ok(!logsB.some((l) => l.includes('"Controllers started"')), 'standby started controllers while not leading');

    await a.stop(); // releases the Lease
    operators.splice(operators.indexOf(a), 1);
    const b = await bPromise;
    operators.push(b);
    assert.equal(b.isLeading, true);
    const taken = await plane.client.get<LeaseObject>(Resources.lease, NS, 'fjord-operator');
    assert.equal(taken.spec?.holderIdentity, 'operator-b');
    assert.ok((taken.spec?.leaseTransitions ?? 0) >= 0);
    await clusterWithChildren('two'); // the new leader reconciles
  });

  it('a leader that cannot renew steps down; after the holder dies the Lease expires and it leads again', async () => {
    const b = operators.find((o) => o.identity === 'operator-b')!;
    assert.ok(b.isLeading);
    // Another holder takes the Lease (as after a network partition) and keeps renewing it.
    let intruding = true;
    const intruder = (async () => {
      while (intruding) {
        const lease = await plane.client.get<LeaseObject>(Resources.lease, NS, 'fjord-operator');
        lease.spec = {
          ...lease.spec,
          holderIdentity: 'intruder',
          renewTime: new Date().toISOString().replace('Z', '000Z'),
          leaseDurationSeconds: 3,
        };
        await plane.client.replace(Resources.lease, lease).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await waitFor('operator-b stepped down', async () => !b.isLeading, 10_000);
    // While it does not lead, it does not act: a new Cluster gets no children.
    await plane.client.create(Resources.cluster, {
      apiVersion: 'fjord.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'three', namespace: NS },
      spec: { replicas: 1 },
    } as KubeObject);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(await getOrNull(plane.client, Resources.statefulSet, NS, 'three'), null, 'a non-leader reconciled');
    // The intruder "crashes" without releasing: after leaseDuration the Lease is free again.
    intruding = false;
    await intruder;
    await waitFor('operator-b leads again', async () => b.isLeading, 15_000);
    await waitFor('StatefulSet three', () => getOrNull(plane.client, Resources.statefulSet, NS, 'three'));
  });
});
