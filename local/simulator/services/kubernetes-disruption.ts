import { KubernetesApiError } from './kubernetes-errors';
import {
  isJsonObject,
  jsonEqual,
  type KubeObject,
  type KubernetesState,
  listStored,
  writeStored,
} from './kubernetes-model';
import { labelSelectorRequirements, matchesLabels } from './kubernetes-selectors';

/**
 * PodDisruptionBudgets as the eviction subresource and the disruption controller apply them
 * (pkg/registry/core/pod/storage/eviction.go, pkg/controller/disruption): which budget guards a
 * pod, how many disruptions it allows now, and whether an eviction may go ahead. The simulator
 * computes a budget's numbers from the pods it stores: the expected count is the number of pods the
 * selector matches (the real controller asks the pods' controller for its scale).
 */

/** A budget's `status`, as the disruption controller writes it. */
interface DisruptionStatus {
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
}

/** What an eviction decided: the pod may go, or the budget that holds it back. */
type EvictionDecision = { allowed: true } | { allowed: false; budget: KubeObject; status: DisruptionStatus };

const specOf = (object: KubeObject): Record<string, unknown> =>
  isJsonObject(object.spec) ? object.spec : {};
const statusOf = (object: KubeObject): Record<string, unknown> =>
  isJsonObject(object.status) ? object.status : {};

/** Running and not reported unready: what the disruption controller counts as healthy. */
const isHealthy = (pod: KubeObject): boolean => {
  const status = statusOf(pod);
  if (status.phase !== 'Running' || pod.metadata.deletionTimestamp !== undefined) return false;
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  const ready = conditions.find((condition) => isJsonObject(condition) && condition.type === 'Ready');
  return !isJsonObject(ready) || ready.status === 'True';
};

/** Whether the budget's selector selects the pod (same namespace only). */
const selects = (budget: KubeObject, pod: KubeObject): boolean => {
  if (budget.metadata.namespace !== pod.metadata.namespace) return false;
  const requirements = labelSelectorRequirements(specOf(budget).selector);
  return requirements !== undefined && matchesLabels(requirements, pod.metadata.labels);
};

/** An IntOrString count against `total`: `2` is 2, `"50%"` is half of it, rounded up. */
const scaled = (value: unknown, total: number): number | undefined => {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const percent = /^(\d+)%$/.exec(value);
  if (percent) return Math.ceil((Number(percent[1]) * total) / 100);
  return /^\d+$/.test(value) ? Number(value) : undefined;
};

/** The budget's numbers over the pods stored now. */
const disruptionStatus = (state: KubernetesState, budget: KubeObject): DisruptionStatus => {
  const pods = listStored(state, 'pods', budget.metadata.namespace).filter((pod) => selects(budget, pod));
  const expectedPods = pods.length;
  const currentHealthy = pods.filter(isHealthy).length;
  const spec = specOf(budget);
  const minAvailable = scaled(spec.minAvailable, expectedPods);
  const maxUnavailable = scaled(spec.maxUnavailable, expectedPods);
  const desiredHealthy =
    minAvailable !== undefined
      ? minAvailable
      : maxUnavailable !== undefined
        ? Math.max(0, expectedPods - maxUnavailable)
        : 0;
  return {
    disruptionsAllowed: Math.max(0, currentHealthy - desiredHealthy),
    currentHealthy,
    desiredHealthy,
    expectedPods,
  };
};

/**
 * Whether the pod may be evicted now. A pod that is not running (or already going) is never held
 * back; one guarded by more than one budget cannot be evicted at all (500, as the API server
 * answers); an unhealthy pod may go while its budget has its desired healthy count.
 *
 * @throws KubernetesApiError 500 InternalError when more than one budget selects the pod.
 */
const decideEviction = (state: KubernetesState, pod: KubeObject): EvictionDecision => {
  const phase = statusOf(pod).phase;
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending') return { allowed: true };
  if (pod.metadata.deletionTimestamp !== undefined) return { allowed: true };
  const budgets = listStored(state, 'poddisruptionbudgets', pod.metadata.namespace).filter((budget) =>
    selects(budget, pod),
  );
  if (budgets.length === 0) return { allowed: true };
  if (budgets.length > 1) {
    throw new KubernetesApiError(
      500,
      'InternalError',
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  }
  const budget = budgets[0] as KubeObject;
  const status = disruptionStatus(state, budget);
  const allowed = isHealthy(pod)
    ? status.disruptionsAllowed > 0
    : status.currentHealthy >= status.desiredHealthy;
  return allowed ? { allowed: true } : { allowed: false, budget, status };
};

/** 429 TooManyRequests with the API server's wording, naming the budget in its cause. */
const disruptionBudgetError = (budget: KubeObject, status: DisruptionStatus): KubernetesApiError =>
  new KubernetesApiError(
    429,
    'TooManyRequests',
    "Cannot evict pod as it would violate the pod's disruption budget.",
    {
      causes: [
        {
          reason: 'DisruptionBudget',
          message: `The disruption budget ${budget.metadata.name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
        },
      ],
    },
  );

/**
 * Rewrites the `status` of the budgets in the namespaces given whose numbers changed (after pods
 * went), keeping `observedGeneration` and anything else the fixture gave.
 */
const refreshDisruptionBudgets = (state: KubernetesState, namespaces: Iterable<string | undefined>): void => {
  for (const namespace of new Set(namespaces)) {
    if (namespace === undefined) continue;
    for (const budget of listStored(state, 'poddisruptionbudgets', namespace)) {
      const previous = statusOf(budget);
      const next = { ...previous, ...disruptionStatus(state, budget) };
      if (jsonEqual(previous, next)) continue;
      writeStored(state, 'poddisruptionbudgets', { ...budget, status: next });
    }
  }
};

export type { DisruptionStatus, EvictionDecision };
export { decideEviction, disruptionBudgetError, disruptionStatus, refreshDisruptionBudgets };
