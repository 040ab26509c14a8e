import type { CommandArgs, CommandType } from '../commands';
import type { DesiredStateStore, PlatformState } from '../desired-state';
import type { GkeApi, PollSettings } from '../gcp';
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

/** Lets apply find and record the Google operations it starts, so a redelivery resumes, not repeats. */
interface OperationProgress {
  googleOperation(step: string): GoogleOperationRef | undefined;
  recordGoogleOperation(ref: Omit<GoogleOperationRef, 'startedAt'>): Promise<void>;
}

/** The narrow dependencies operations get; built by the command processor per delivery. */
interface OperationDeps {
  gke: GkeApi;
  desiredState: DesiredStateStore;
  clock: Clock;
  logger: Logger;
  polling: PollSettings;
  progress: OperationProgress;
}

/**
 * One operation = one module. `observe` reads, `plan` is pure (and throws PolicyViolationError for
 * what policy forbids), `apply` is idempotent (re-running it after a crash anywhere converges and
 * never doubles an effect), `verify` reads back and proves the end state.
 */
interface OperationModule<T extends CommandType, TObserved, TPlan extends BasePlan> {
  readonly type: T;
  /** The lease key: operations on the same resource never run at the same time. */
  resource(args: CommandArgs<T>, platform: PlatformState): string;
  observe(
    args: CommandArgs<T>,
    platform: PlatformState,
    deps: Pick<OperationDeps, 'gke'>,
  ): Promise<TObserved>;
  plan(platform: PlatformState, observed: TObserved, args: CommandArgs<T>): TPlan;
  apply(plan: TPlan, deps: OperationDeps): Promise<void>;
  verify(plan: TPlan, deps: OperationDeps): Promise<Record<string, unknown>>;
}

/** Renders a plan's changes as a diff a person can read. */
const renderPlan = (plan: BasePlan): string => {
  const lines = [plan.summary];
  if (plan.noop) lines.push('  (no change)');
  for (const change of plan.changes) {
    lines.push(
      `  ~ ${change.resource} ${change.field}: ${JSON.stringify(change.from)} → ${JSON.stringify(change.to)}`,
    );
  }
  for (const warning of plan.warnings) lines.push(`  ! ${warning}`);
  return lines.join('\n');
};

export type { BasePlan, OperationDeps, OperationModule, OperationProgress, PlanChange };
export { renderPlan };
