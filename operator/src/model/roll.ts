/**
 * Rolling restart planner, pure. The roll's progress is never stored: it is derived from the pods
 * as observed (their config-hash annotation, readiness, deletion), so an operator restarted in
 * the middle of a roll resumes where it stopped.
 *
 * Rules: one broker at a time; a pod is deleted only when every broker pod exists, none is
 * terminating and all are ready; outdated pods go from the highest ordinal down (as a StatefulSet
 * RollingUpdate would).
 */

export interface ObservedPod {
  name: string;
  ordinal: number;
  ready: boolean;
  terminating: boolean;
  configHash: string | undefined;
}

export type RollStep =
  | { action: 'none' }
  | { action: 'wait'; pending: number; message: string }
  | { action: 'delete'; pod: string; pending: number; message: string };

export function planRoll(desiredHash: string, replicas: number, pods: readonly ObservedPod[]): RollStep {
  const byOrdinal = new Map<number, ObservedPod>();
  for (const pod of pods) if (pod.ordinal < replicas) byOrdinal.set(pod.ordinal, pod);
  const outdated = [...byOrdinal.values()].filter((p) => p.configHash !== desiredHash).sort((a, b) => b.ordinal - a.ordinal);
  if (outdated.length === 0) return { action: 'none' };
  for (let ordinal = 0; ordinal < replicas; ordinal++) {
    const pod = byOrdinal.get(ordinal);
    if (!pod) return { action: 'wait', pending: outdated.length, message: `waiting for broker ${ordinal} to be created` };
    if (pod.terminating) return { action: 'wait', pending: outdated.length, message: `waiting for pod ${pod.name} to terminate` };
    if (!pod.ready) return { action: 'wait', pending: outdated.length, message: `waiting for pod ${pod.name} to be ready` };
  }
  const next = outdated[0]!;
  return { action: 'delete', pod: next.name, pending: outdated.length, message: `restarting pod ${next.name} (${outdated.length} to go)` };
}

/** The ordinal of a StatefulSet pod named <set>-<n>; null when the name does not match. */
export function podOrdinal(setName: string, podName: string): number | null {
  if (!podName.startsWith(`${setName}-`)) return null;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : null;
}
