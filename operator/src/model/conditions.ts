import type { Condition } from '../api/types.generated.js';

/**
 * metav1.Condition bookkeeping, pure: lastTransitionTime changes only when status changes, so a
 * reconcile that finds nothing new writes an identical status (and the write is skipped).
 */
export type ConditionType = 'Ready' | 'Progressing' | 'Degraded';

export interface ConditionInput {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  generation: number,
  now: string,
): Condition[] {
  return next.map((input) => {
    const old = previous?.find((c) => c.type === input.type);
    return {
      type: input.type,
      status: input.status,
      reason: input.reason,
      message: input.message,
      observedGeneration: generation,
      lastTransitionTime: old && old.status === input.status ? old.lastTransitionTime : now,
    };
  });
}

export function findCondition(conditions: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Deep equality for JSON values (status comparison). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
