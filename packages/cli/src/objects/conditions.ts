// Status conditions, managed as knative/pkg apis/condition_set.go does: a condition's lastTransitionTime moves
// only when its status changes, and the happy condition (`Ready`) summarises the dependent ones.

import type { Condition, ConditionStatus } from './types.js';

export interface ConditionInput {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason?: string | undefined;
  readonly message?: string | undefined;
  readonly severity?: Condition['severity'];
}

export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Sets one condition in place; the list stays sorted by type with the happy condition first, as Knative prints it. */
export function setCondition(conditions: Condition[], input: ConditionInput, now: string): void {
  const existing = conditions.findIndex((c) => c.type === input.type);
  const before = existing >= 0 ? conditions[existing] : undefined;
  const next: Condition = {
    type: input.type,
    status: input.status,
    lastTransitionTime: before !== undefined && before.status === input.status ? before.lastTransitionTime : now,
  };
  if (input.severity !== undefined) next.severity = input.severity;
  if (input.reason !== undefined && input.reason !== '') next.reason = input.reason;
  if (input.message !== undefined && input.message !== '') next.message = input.message;
  if (existing >= 0) conditions[existing] = next;
  else conditions.push(next);
  conditions.sort((a, b) => rank(a.type) - rank(b.type) || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

function rank(type: string): number {
  return type === 'Ready' ? 0 : 1;
}

/**
 * The happy condition from its dependents (condition_set.go `findUnhappyDependent`): the first False wins, else
 * the first Unknown, else True.
 */
export function summarise(deps: readonly ConditionInput[]): ConditionInput {
  const failed = deps.find((d) => d.status === 'False');
  if (failed !== undefined) return { type: 'Ready', status: 'False', reason: failed.reason, message: failed.message };
  const unknown = deps.find((d) => d.status === 'Unknown');
  if (unknown !== undefined) return { type: 'Ready', status: 'Unknown', reason: unknown.reason, message: unknown.message };
  return { type: 'Ready', status: 'True' };
}

export function readyStatus(conditions: readonly Condition[] | undefined): ConditionStatus {
  return getCondition(conditions, 'Ready')?.status ?? 'Unknown';
}
