import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clusterConditions, type ClusterObservation } from './cluster-status.js';
import { CLUSTER_BROKERS_MAX, planBrokers, type ClusterInput } from './cluster.js';
import { fixtureCluster } from '../../../test/harness/cluster-golden.js';

const withReplicas = (replicas: number | undefined): ClusterInput => {
  const cluster = fixtureCluster();
  if (replicas === undefined) delete cluster.spec!.replicas;
  else cluster.spec!.replicas = replicas;
  return cluster;
};

const observed = (o: Partial<ClusterObservation>): ClusterObservation => ({
  replicas: 1,
  readyBrokers: 1,
  roll: { action: 'none' },
  scaleDownBlocked: null,
  notSupported: null,
  ...o,
});

const summary = (o: ClusterObservation) => clusterConditions(o).map((c) => [c.type, c.status, c.reason]);

describe('planBrokers: at most CLUSTER_BROKERS_MAX brokers until they form one cluster', () => {
  it('is 1 today', () => {
    assert.equal(CLUSTER_BROKERS_MAX, 1);
  });

  it('runs spec.replicas when it is within the limit (the CRD default is 1)', () => {
    assert.deepEqual(planBrokers(withReplicas(1), CLUSTER_BROKERS_MAX), { replicas: 1, notSupported: null });
    assert.deepEqual(planBrokers(withReplicas(undefined), CLUSTER_BROKERS_MAX), { replicas: 1, notSupported: null });
    assert.deepEqual(planBrokers(withReplicas(3), 4), { replicas: 3, notSupported: null });
  });

  it('runs the limit and says why when spec.replicas is over it', () => {
    assert.deepEqual(planBrokers(withReplicas(3), CLUSTER_BROKERS_MAX), {
      replicas: 1,
      notSupported:
        'spec.replicas is 3, but Fjord brokers do not form one cluster yet (each would be a separate single-node ' +
        'cluster behind the bootstrap Service): running 1 broker; set spec.replicas to 1',
    });
    assert.match(planBrokers(withReplicas(5), 2).notSupported ?? '', /running 2 brokers; set spec\.replicas to 2$/);
  });
});

describe('clusterConditions', () => {
  it('Ready when every broker is ready and nothing rolls', () => {
    assert.deepEqual(summary(observed({ replicas: 3, readyBrokers: 3 })), [
      ['Ready', 'True', 'Ready'],
      ['Progressing', 'False', 'Idle'],
      ['Degraded', 'False', 'AsExpected'],
    ]);
  });

  it('BrokersNotReady while brokers start, RollingRestart while a roll goes on', () => {
    assert.deepEqual(summary(observed({ replicas: 3, readyBrokers: 1 })), [
      ['Ready', 'False', 'BrokersNotReady'],
      ['Progressing', 'True', 'BrokersStarting'],
      ['Degraded', 'False', 'AsExpected'],
    ]);
    assert.deepEqual(summary(observed({ roll: { action: 'wait', pending: 1, message: 'waiting for pod demo-0 to be ready' } })), [
      ['Ready', 'False', 'RollingRestart'],
      ['Progressing', 'True', 'RollingRestart'],
      ['Degraded', 'False', 'AsExpected'],
    ]);
  });

  it('ScaleDownBlocked is Degraded, the brokers that run still Ready', () => {
    assert.deepEqual(summary(observed({ replicas: 2, readyBrokers: 2, scaleDownBlocked: 'kept 2 brokers' })), [
      ['Ready', 'True', 'Ready'],
      ['Progressing', 'False', 'Idle'],
      ['Degraded', 'True', 'ScaleDownBlocked'],
    ]);
  });

  it('more brokers than can form one cluster: never Ready, Degraded with the reason, Progressing as the broker that runs', () => {
    const notSupported = 'spec.replicas is 3, but ...';
    const conditions = clusterConditions(observed({ notSupported }));
    assert.deepEqual(conditions, [
      { type: 'Ready', status: 'False', reason: 'ClusterNotSupportedYet', message: notSupported },
      { type: 'Progressing', status: 'False', reason: 'Idle', message: 'nothing to do' },
      { type: 'Degraded', status: 'True', reason: 'ClusterNotSupportedYet', message: notSupported },
    ]);
    assert.deepEqual(summary(observed({ readyBrokers: 0, notSupported })), [
      ['Ready', 'False', 'ClusterNotSupportedYet'],
      ['Progressing', 'True', 'BrokersStarting'],
      ['Degraded', 'True', 'ClusterNotSupportedYet'],
    ]);
    // a blocked scale-down (e.g. from 3 brokers an older operator ran) is the more urgent Degraded reason
    assert.deepEqual(summary(observed({ replicas: 3, readyBrokers: 3, notSupported, scaleDownBlocked: 'kept 3 brokers' })), [
      ['Ready', 'False', 'ClusterNotSupportedYet'],
      ['Progressing', 'False', 'Idle'],
      ['Degraded', 'True', 'ScaleDownBlocked'],
    ]);
  });
});
