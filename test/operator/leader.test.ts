// Leader election on a real Lease: of two operator instances only the Lease holder runs its
// controllers; when it stops, the standby takes over and reconciles. "Does not happen" is asserted
// against what did happen: Lease renewals seen over more than a lease duration, the order of the
// operator's own log lines, and the creation time of what it made.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../operator/src/kube/log.js';
import { Resources, type KubeObject } from '../../operator/src/kube/types.js';
import type { LeaseObject } from '../../operator/src/kube/leader.js';
import type { Operator } from '../../operator/src/main.js';
import { createNamespace, getOrNull, installCrds, startControlPlane, startOperator, type ControlPlane } from './harness.js';
import { letTimePass, waitFor } from '../harness/wait.js';

const NS = 'leader';
let plane: ControlPlane;
const operators: Operator[] = [];
/** The log lines of operator-a and operator-b (JSON, one per line). */
const logsA: string[] = [];
const logsB: string[] = [];

const election = { namespace: NS, name: 'fjord-operator', leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };

function capturingLogger(lines: string[]) {
  return createLogger('info', {}, (line) => lines.push(line));
}

/** Index of the first log line at or after `from` whose msg is `msg`; -1 if none. */
function logIndex(lines: readonly string[], msg: string, from = 0): number {
  for (let i = from; i < lines.length; i++) if ((JSON.parse(lines[i]!) as { msg?: string }).msg === msg) return i;
  return -1;
}

const renewMs = (lease: LeaseObject) => Date.parse(lease.spec?.renewTime ?? '');

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
    const a = await startOperator(plane, { identity: 'operator-a', leaderElection: election, logger: capturingLogger(logsA) });
    operators.push(a);
    let bStarted = false;
    const bPromise = startOperator(plane, { identity: 'operator-b', leaderElection: election, logger: capturingLogger(logsB) }).then(
      (b) => {
        bStarted = true;
        return b;
      },
    );
    // B campaigns but must not win while A renews: watch A renew the Lease for longer than a lease
    // duration (plus B's retry period) after B started; B would have taken it over by then.
    const firstRenew = renewMs(await plane.client.get<LeaseObject>(Resources.lease, NS, 'fjord-operator'));
    const window = election.leaseDurationMs + 2 * election.retryPeriodMs;
    const seen = await waitFor(
      `operator-a to renew the Lease for ${window} ms while operator-b campaigns`,
      async () => {
        const lease = await plane.client.get<LeaseObject>(Resources.lease, NS, 'fjord-operator');
        if (lease.spec?.holderIdentity !== 'operator-a') return { holder: lease.spec?.holderIdentity };
        return renewMs(lease) - firstRenew > window ? { holder: 'operator-a' } : undefined;
      },
      { intervalMs: election.retryPeriodMs },
    );
    assert.equal(seen.holder, 'operator-a', 'the Lease changed hands while its holder renewed it');
    assert.equal(bStarted, false, 'standby became leader while the leader was alive');
    assert.equal(logIndex(logsB, 'Acquired leadership'), -1, 'standby acquired leadership');
    assert.equal(a.isLeading, true);

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
        await letTimePass(200, 'the intruder renews the Lease, as a leader would');
      }
    })();
    await waitFor('operator-b to step down and stop its controllers', () => !b.isLeading && logIndex(logsB, 'Controllers stopped') >= 0, {
      diagnostics: () => logsB.join('\n'),
    });
    const stoppedAt = logIndex(logsB, 'Controllers stopped');
    // While it does not lead, it does not act: a Cluster created now gets its children only once
    // operator-b leads again.
    await plane.client.create(Resources.cluster, {
      apiVersion: 'fjord.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'three', namespace: NS },
      spec: { replicas: 1 },
    } as KubeObject);
    // The intruder "crashes" without releasing: after leaseDuration the Lease is free again.
    intruding = false;
    await intruder;
    await waitFor('operator-b leads again', () => b.isLeading);
    const set = await waitFor('StatefulSet three', () => getOrNull(plane.client, Resources.statefulSet, NS, 'three'));
    const lease = await plane.client.get<LeaseObject>(Resources.lease, NS, 'fjord-operator');
    assert.equal(lease.spec?.holderIdentity, 'operator-b');
    // creationTimestamp has whole seconds; the Lease's acquireTime microseconds
    const acquiredSecond = Math.floor(Date.parse(lease.spec?.acquireTime ?? '') / 1000) * 1000;
    assert.ok(
      Date.parse(set.metadata.creationTimestamp ?? '') >= acquiredSecond,
      `StatefulSet three created at ${set.metadata.creationTimestamp}, before operator-b took the Lease back at ${lease.spec?.acquireTime}`,
    );
    const restartedAt = logIndex(logsB, 'Controllers started', stoppedAt);
    assert.ok(restartedAt > stoppedAt, `no "Controllers started" after "Controllers stopped":\n${logsB.join('\n')}`);
  });
});
