import type { PlatformState, UserState } from '../../desired-state';
import {
  buildDriftReport,
  collectLiveState,
  type DriftReport,
  type DriftResourceKind,
  kindsOfScope,
  type LivePlatform,
} from '../../drift';
import type { BasePlan, ObserveDeps, OperationModule } from '../operation';

/**
 * `drift.report` (A0, read-only; ops catalog §8): desired state against the live platform. Observe
 * reads both (a number of API calls that grows with policies, not users), plan is the report
 * (pure), apply does nothing and verify returns the report, so `opsplane drift` goes through the
 * normal command path (ledger, audit) like every other command.
 */

/** Kinds whose comparison needs the managed users (access, and key holders). */
const KINDS_NEEDING_USERS: readonly DriftResourceKind[] = ['user', 'project-iam', 'iap', 'profile', 'keys'];

/** Desired users and one read of the live platform. */
interface DriftReportObserved {
  users: UserState[];
  live: LivePlatform;
}

/**
 * Desired users and one read of the live platform for a scope; what `drift.report` and
 * `reconcile.run` both observe.
 */
const observeDrift = async (
  scope: readonly string[],
  platform: PlatformState,
  deps: ObserveDeps,
): Promise<DriftReportObserved> => {
  const kinds = kindsOfScope(scope);
  const users = KINDS_NEEDING_USERS.some((kind) => kinds.has(kind))
    ? await deps.desiredState.listUsers()
    : [];
  const live = await collectLiveState(platform, users, deps, kinds);
  return { users, live };
};

/** The plan is the report itself. */
interface DriftReportPlan extends BasePlan {
  report: DriftReport;
}

/** The `drift.report` operation module (registered in shared/operations/registry.ts). */
const driftReport: OperationModule<'drift.report', DriftReportObserved, DriftReportPlan> = {
  type: 'drift.report',

  // Reads only: reports never wait for (or hold up) a change of any resource.
  resource: (_args, platform) => `drift/${platform.projectId}`,

  observe: (args, platform, deps) => observeDrift(args.resources ?? [], platform, deps),

  plan(platform, observed, args) {
    const report = buildDriftReport(platform, observed.users, observed.live, args.resources ?? []);
    const { counts } = report;
    return {
      summary:
        counts.total === 0
          ? `no drift in ${platform.projectId}`
          : `${counts.total} drift finding${counts.total === 1 ? '' : 's'} in ${platform.projectId} (${counts.bySeverity.high} high, ${counts.bySeverity.medium} medium, ${counts.bySeverity.low} low, ${counts.bySeverity.info} info); ${counts.fixable} with a fix command`,
      changes: [],
      warnings: [],
      noop: true,
      report,
    };
  },

  async apply() {
    // Read-only: the plan holds the report.
  },

  async verify(plan) {
    return { ...plan.report };
  },
};

export type { DriftReportObserved, DriftReportPlan };
export { driftReport, observeDrift };
