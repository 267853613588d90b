import type { ConditionInput } from './conditions.js';
import { NOT_SUPPORTED_YET_REASON } from './cluster.js';
import type { RollStep } from './roll.js';

/**
 * A Cluster's Ready / Progressing / Degraded conditions from what one reconcile saw, pure:
 *   Ready        True when every broker the StatefulSet runs is ready and nothing rolls, and the
 *                spec can be met; False with the reason that stops it otherwise.
 *   Progressing  True while brokers start or roll.
 *   Degraded     True when the spec is not what runs: a blocked scale-down, or more brokers than
 *                can form one cluster yet (ClusterNotSupportedYet).
 */

export interface ClusterObservation {
  /** Brokers the StatefulSet runs. */
  replicas: number;
  /** Broker pods ready (StatefulSet status). */
  readyBrokers: number;
  roll: RollStep;
  /** Why the StatefulSet keeps brokers spec.replicas drops; null when it does not. */
  scaleDownBlocked: string | null;
  /** Why fewer brokers run than spec.replicas asks for (planBrokers); null when all of them run. */
  notSupported: string | null;
}

export function clusterConditions(o: ClusterObservation): ConditionInput[] {
  const ready = `${o.readyBrokers}/${o.replicas} brokers ready`;
  let progressing: ConditionInput;
  let readiness: ConditionInput;
  if (o.roll.action !== 'none') {
    progressing = { type: 'Progressing', status: 'True', reason: 'RollingRestart', message: o.roll.message };
    readiness = { type: 'Ready', status: 'False', reason: 'RollingRestart', message: o.roll.message };
  } else if (o.readyBrokers < o.replicas) {
    progressing = { type: 'Progressing', status: 'True', reason: 'BrokersStarting', message: ready };
    readiness = { type: 'Ready', status: 'False', reason: 'BrokersNotReady', message: ready };
  } else {
    progressing = { type: 'Progressing', status: 'False', reason: 'Idle', message: 'nothing to do' };
    readiness = { type: 'Ready', status: 'True', reason: 'Ready', message: ready };
  }
  // Running fewer brokers than asked for is never Ready, whatever the brokers that run do.
  if (o.notSupported !== null) readiness = { type: 'Ready', status: 'False', reason: NOT_SUPPORTED_YET_REASON, message: o.notSupported };
  let degraded: ConditionInput;
  if (o.scaleDownBlocked !== null) degraded = { type: 'Degraded', status: 'True', reason: 'ScaleDownBlocked', message: o.scaleDownBlocked };
  else if (o.notSupported !== null)
    degraded = { type: 'Degraded', status: 'True', reason: NOT_SUPPORTED_YET_REASON, message: o.notSupported };
  else degraded = { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'as specified' };
  return [readiness, progressing, degraded];
}
