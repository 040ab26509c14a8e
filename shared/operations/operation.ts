import type { CommandArgs, CommandEnvelope, OperationCommandType } from '../commands';
import type { DesiredStateStore, PlatformState } from '../desired-state';
import type {
  FilestoreApi,
  GkeApi,
  IamApi,
  KubeflowApi,
  KubernetesWorkloadsApi,
  PollSettings,
  SecretsApi,
  SqlApi,
} from '../gcp';
import type { GoogleOperationRef } from '../ledger';
import type { Logger } from '../logging';
import type { Clock } from '../time';

/** One line of a plan's diff: `resource.field: from → to`. */
interface PlanChange {
  resource: string;
  field: string;
  from: unknown;
  to: unknown;
}

/** What every plan has; each operation adds its own fields. Plans are plain data (stored in the ledger). */
interface BasePlan {
  summary: string;
  changes: PlanChange[];
  warnings: string[];
  /** Nothing to change: apply does nothing and verify only confirms. */
  noop: boolean;
}

/**
 * Lets apply find and record what it already did, so a redelivery resumes instead of repeating:
 * the Google operations it started, and facts of steps that are not long-running (a created key's
 * id, say). Both are written to the ledger before apply goes on.
 */
interface OperationProgress {
  googleOperation(step: string): GoogleOperationRef | undefined;
  recordGoogleOperation(ref: Omit<GoogleOperationRef, 'startedAt'>): Promise<void>;
  /** What `recordStep` stored for this step, if an earlier attempt got that far. */
  step(step: string): Record<string, unknown> | undefined;
  recordStep(step: string, facts: Record<string, unknown>): Promise<void>;
}

/** The platform's Google (and Kubernetes) APIs, as adapters. */
interface PlatformApis {
  gke: GkeApi;
  sql: SqlApi;
  filestore: FilestoreApi;
  iam: IamApi;
  secrets: SecretsApi;
  kubeflow: KubeflowApi;
  /**
   * Nodes and pods (the GPU busy check). Optional so that dependencies built for operations that
   * never look at workloads (test harnesses, tools) need not stub it; `createPlatformApis` always
   * provides it, and an operation that needs it and finds none says so.
   */
  workloads?: KubernetesWorkloadsApi;
}

/** What `observe` may use: read the platform and desired state. */
interface ObserveDeps extends PlatformApis {
  desiredState: DesiredStateStore;
  clock: Clock;
}

/**
 * Puts a command on the command path (ops-commands) and returns the ledger id it runs under (its
 * idempotency key). What `reconcile.run` submits its fixes with, so that each fix runs with its own
 * authorization, approval and ledger record, like any other command.
 */
type CommandSubmit = (command: CommandEnvelope) => Promise<string>;

/** The narrow dependencies apply and verify get; built by the command processor per delivery. */
interface OperationDeps extends ObserveDeps {
  logger: Logger;
  polling: PollSettings;
  progress: OperationProgress;
  /** The ledger id of the running operation (for labels and desired-state records). */
  operationId: string;
  /** Who asked for it, e.g. `user:dev.patel@acme.ai`. */
  actor: string;
  /**
   * Submits another command (reconcile's fixes). Optional so that dependencies built for operations
   * that never submit (tools, the operation runner) need not provide it; an operation that needs it
   * and finds none says so.
   */
  submit?: CommandSubmit;
  /**
   * Operations not finished yet (waiting for approval, or running), so that a reconcile does not
   * submit a second copy of a fix that still waits for its approver. Optional like `submit`.
   */
  openOperations?: () => Promise<Array<{ id: string; type: string; args: Record<string, unknown> }>>;
}

/**
 * One operation = one module. `observe` reads, `plan` is pure (and throws PolicyViolationError for
 * what policy forbids), `apply` is idempotent (re-running it after a crash anywhere converges and
 * never doubles an effect), `verify` reads back and proves the end state.
 *
 * Long-running Google operations are started and recorded (progress), then waited for at most
 * `polling.deadlineMs`; still running, apply throws OperationPendingError and the command processor
 * parks the operation until the operations poller resumes it. Waits (a grace period) work the same
 * way, with `resumeAt`.
 */
interface OperationModule<T extends OperationCommandType, TObserved, TPlan extends BasePlan> {
  readonly type: T;
  /** The lease key: operations on the same resource never run at the same time. */
  resource(args: CommandArgs<T>, platform: PlatformState): string;
  observe(args: CommandArgs<T>, platform: PlatformState, deps: ObserveDeps): Promise<TObserved>;
  plan(platform: PlatformState, observed: TObserved, args: CommandArgs<T>): TPlan;
  /**
   * Why this plan needs a human approval on top of the catalog's class (A3 always does), e.g. a
   * role escalation to an admin-like role; undefined when it does not.
   */
  approvalReason?(plan: TPlan, args: CommandArgs<T>, platform: PlatformState): string | undefined;
  /**
   * `observed`: what this delivery's observe returned for the plan being applied, when apply runs
   * in the delivery that observed (absent on a resume); an operation may start from it instead of
   * reading again, as long as its writes are guarded against it being stale (an etag).
   */
  apply(plan: TPlan, deps: OperationDeps, observed?: TObserved): Promise<void>;
  verify(plan: TPlan, deps: OperationDeps): Promise<Record<string, unknown>>;
}

/** Renders a plan's changes as a diff a person can read. */
const renderPlan = (plan: BasePlan): string => {
  const lines = [plan.summary];
  if (plan.noop) lines.push('  (no change)');
  for (const change of plan.changes) {
    const symbol =
      change.from === null || change.from === undefined
        ? '+'
        : change.to === null || change.to === undefined
          ? '-'
          : '~';
    lines.push(
      `  ${symbol} ${change.resource} ${change.field}: ${JSON.stringify(change.from ?? null)} → ${JSON.stringify(change.to ?? null)}`,
    );
  }
  for (const warning of plan.warnings) lines.push(`  ! ${warning}`);
  return lines.join('\n');
};

export type {
  BasePlan,
  CommandSubmit,
  ObserveDeps,
  OperationDeps,
  OperationModule,
  OperationProgress,
  PlanChange,
  PlatformApis,
};
export { renderPlan };
