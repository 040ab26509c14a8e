import type { PlatformState, ReconcileMode, UserState } from '../desired-state';
import { compareAccess } from './compare-access';
import { compareFilestore, compareGpuPools, compareKeys, compareSql } from './compare-resources';
import {
  DRIFT_RESOURCE_KINDS,
  type DriftFinding,
  type DriftResourceKind,
  type DriftSeverity,
  type UnmodedFinding,
  withModes,
} from './drift-finding';
import type { LivePlatform } from './live-state';

/**
 * The drift report: desired state against one read of the live platform, as findings. Pure, so
 * that an operation's plan can be it, and small: findings only, never the live snapshot.
 */

/** Findings a report keeps at most (a ledger document must stay well under Firestore's 1 MiB). */
const MAX_REPORT_FINDINGS = 300;

interface DriftReport {
  generatedAt: string;
  projectId: string;
  /** The resource filters asked for (empty: everything). */
  scope: string[];
  counts: {
    total: number;
    bySeverity: Record<DriftSeverity, number>;
    byMode: Record<Exclude<ReconcileMode, 'paused'>, number>;
    /** Findings with a command that fixes them. */
    fixable: number;
  };
  /** Most severe first; at most {@link MAX_REPORT_FINDINGS}. */
  findings: DriftFinding[];
  /** Findings left out beyond the cap (the counts include them). */
  truncated: number;
}

/**
 * The kinds a scope asks for: `["sql", "user/ada@acme.ai"]` → sql and user. An empty scope is
 * every kind.
 */
const kindsOfScope = (scope: readonly string[]): Set<DriftResourceKind> => {
  if (scope.length === 0) return new Set(DRIFT_RESOURCE_KINDS);
  const kinds = new Set<DriftResourceKind>();
  for (const entry of scope) {
    const kind = DRIFT_RESOURCE_KINDS.find((known) => entry === known || entry.startsWith(`${known}/`));
    if (kind) kinds.add(kind);
  }
  return kinds;
};

/** Whether a finding's resource is inside the scope: an entry is a kind, or a resource (prefix). */
const inScope = (resource: string, scope: readonly string[]): boolean =>
  scope.length === 0 ||
  scope.some((entry) => resource === entry || resource.startsWith(entry.endsWith('/') ? entry : `${entry}/`));

/** Unreadable resources as findings: a report must say what it could not look at. */
const unreadableFindings = (live: LivePlatform): UnmodedFinding[] =>
  live.unreadable.map((entry) => ({
    resource: entry.resource,
    kind: 'unreadable',
    severity: 'medium',
    desired: null,
    actual: null,
    message: `could not read ${entry.resource}: ${entry.message}; its drift is unknown`,
  }));

/** Every finding for desired state against `live`, with modes, within `scope`. */
const buildDriftReport = (
  platform: PlatformState,
  users: readonly UserState[],
  live: LivePlatform,
  scope: readonly string[] = [],
): DriftReport => {
  const raw: UnmodedFinding[] = [
    ...(live.access ? compareAccess(platform, users, live.access, live.now) : []),
    ...compareGpuPools(platform, live.nodePools, live.now),
    ...compareSql(platform, live.sql, live.now),
    ...compareFilestore(platform, live.filestore, live.now),
    ...compareKeys(platform, live.keys, users, live.now),
    ...unreadableFindings(live),
  ];
  const findings = withModes(
    raw.filter((finding) => inScope(finding.resource, scope)),
    platform.reconcile,
  );
  const bySeverity: Record<DriftSeverity, number> = { high: 0, medium: 0, low: 0, info: 0 };
  const byMode = { enforce: 0, observe: 0 };
  for (const finding of findings) {
    bySeverity[finding.severity] += 1;
    if (finding.mode !== 'paused') byMode[finding.mode] += 1;
  }
  return {
    generatedAt: live.now,
    projectId: platform.projectId,
    scope: [...scope],
    counts: {
      total: findings.length,
      bySeverity,
      byMode,
      fixable: findings.filter((finding) => finding.fix !== undefined).length,
    },
    findings: findings.slice(0, MAX_REPORT_FINDINGS),
    truncated: Math.max(0, findings.length - MAX_REPORT_FINDINGS),
  };
};

/** The report as a person reads it: one block per finding, most severe first. */
const renderDriftReport = (report: DriftReport): string => {
  const { counts } = report;
  const lines = [
    `drift report for ${report.projectId} at ${report.generatedAt}${report.scope.length > 0 ? ` (scope: ${report.scope.join(', ')})` : ''}`,
    `${counts.total} finding${counts.total === 1 ? '' : 's'}: ${counts.bySeverity.high} high, ${counts.bySeverity.medium} medium, ${counts.bySeverity.low} low, ${counts.bySeverity.info} info; ${counts.fixable} with a fix command; ${counts.byMode.enforce} enforce, ${counts.byMode.observe} observe`,
  ];
  if (counts.total === 0) lines.push('', 'no drift: the platform is as desired state says.');
  for (const finding of report.findings) {
    lines.push(
      '',
      `[${finding.severity}] ${finding.resource}  ${finding.kind}  (${finding.mode})`,
      `  ${finding.message}`,
      `  desired: ${JSON.stringify(finding.desired)}`,
      `  actual:  ${JSON.stringify(finding.actual)}`,
      finding.fix ? `  fix:     ${finding.fix.cli}` : '  fix:     none (a human must act, see above)',
    );
  }
  if (report.truncated > 0) lines.push('', `… and ${report.truncated} more (narrow the scope to see them)`);
  return lines.join('\n');
};

export type { DriftReport };
export { buildDriftReport, inScope, kindsOfScope, MAX_REPORT_FINDINGS, renderDriftReport };
