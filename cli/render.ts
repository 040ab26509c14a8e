import type { AccessPolicy, GpuPoolPolicy, UserState } from '../shared/desired-state';
import type { NodePoolView } from '../shared/gcp';
import type { OperationRecord } from '../shared/ledger';
// The module itself, not the operations index: the CLI needs no operation module loaded.
import { type BasePlan, renderPlan } from '../shared/operations/operation';
import type { ValueChange } from './state-path';

/** Human-readable renderings of ledger records and desired state for the terminal. */

/** `key=value` pairs of a command's args, for one-line listings. */
const argsText = (args: Record<string, unknown>): string =>
  Object.entries(args)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');

const pad = (text: string, width: number): string =>
  text.length >= width ? text : text + ' '.repeat(width - text.length);

/** Rows under a header, each column as wide as its widest cell. */
const renderTable = (header: string[], rows: string[][]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => pad(cell, widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

/** `opsplane ops list`: one line per operation, newest first. */
const renderList = (records: OperationRecord[]): string => {
  if (records.length === 0) return 'no operations yet';
  const rows = records.map((r) => [
    r.createdAt.replace('T', ' ').slice(0, 19),
    r.status + (r.dryRun ? ' (dry run)' : ''),
    r.type,
    argsText(r.args),
    r.actor,
    r.id,
  ]);
  return renderTable(['CREATED (UTC)', 'STATUS', 'TYPE', 'ARGS', 'ACTOR', 'ID'], rows);
};

/** Indents a multi-line block under a label column. */
const indented = (text: string): string[] => text.split('\n').map((l) => `  ${l}`);

/** The approval lines of a record: why it needs one, then the decision (or how to make it). */
const approvalLines = (r: OperationRecord): string[] => {
  const lines: string[] = [];
  const { approval } = r;
  if (approval) {
    lines.push(`approval   ${approval.reason} (requested ${approval.requestedAt})`);
    if (approval.decision) {
      lines.push(
        `decision   ${approval.decision} by ${approval.approver ?? 'unknown'}${approval.decidedAt ? ` at ${approval.decidedAt}` : ''}${approval.comment ? `: ${approval.comment}` : ''}`,
      );
    } else if (r.status === 'pending_approval') {
      lines.push(`decision   pending: opsplane approve ${r.id}  |  opsplane deny ${r.id}`);
    }
  }
  const wouldNeed = r.result?.approvalRequired;
  if (r.dryRun && typeof wouldNeed === 'string') lines.push(`approval   would be required: ${wouldNeed}`);
  return lines;
};

/** `opsplane ops show` and the end of `--wait`: everything the ledger knows about one operation. */
const renderRecord = (r: OperationRecord): string => {
  const lines = [
    `operation  ${r.id}`,
    `type       ${r.type} ${argsText(r.args)}`,
    `status     ${r.status}${r.dryRun ? ' (dry run)' : ''}`,
    `actor      ${r.actor}`,
    `reason     ${r.reason}`,
    `attempts   ${r.attempts}`,
    `created    ${r.createdAt}${r.finishedAt ? `   finished ${r.finishedAt}` : ''}`,
    ...approvalLines(r),
  ];
  if (r.waiting) {
    lines.push(`waiting    ${r.waiting.reason} (since ${r.waiting.since}, resumes at ${r.waiting.resumeAt})`);
  }
  if (r.googleOperations.length > 0) {
    lines.push(`google ops ${r.googleOperations.map((op) => `${op.step}: ${op.name}`).join(', ')}`);
  }
  if (r.steps && Object.keys(r.steps).length > 0) lines.push(`steps      ${Object.keys(r.steps).join(', ')}`);
  if (r.plan) lines.push('plan', ...indented(renderPlan(r.plan as unknown as BasePlan)));
  if (r.result) lines.push(`result     ${JSON.stringify(r.result)}`);
  if (r.error) lines.push(`error      ${r.error.code}: ${r.error.message}`);
  else if (r.lastError && r.status === 'running')
    lines.push(`retrying   ${r.lastError.code}: ${r.lastError.message}`);
  return lines.join('\n');
};

/**
 * The approvers who may decide on an operation: access.approvers with groups expanded, without the
 * requester (who never approves their own request).
 */
const approversFor = (access: AccessPolicy, requester: string): string[] => {
  const expanded = access.approvers.flatMap((principal) =>
    principal.startsWith('group:') ? (access.groups[principal.slice('group:'.length)] ?? []) : [principal],
  );
  return [...new Set(expanded)].filter((principal) => principal !== requester);
};

/**
 * What to do about an operation waiting for approval: why, who can decide, and the exact commands.
 * `access` is undefined when desired state could not be read.
 */
const renderApprovalHint = (r: OperationRecord, access: AccessPolicy | undefined): string => {
  const lines = [`operation ${r.id} is waiting for approval: ${r.approval?.reason ?? 'approval required'}`];
  if (!access) {
    lines.push('who can approve: the approvers in desired state (opsplane state get access.approvers)');
  } else {
    const approvers = approversFor(access, r.actor);
    lines.push(
      approvers.length > 0
        ? `who can approve: ${approvers.join(', ')} (not ${r.actor}, who asked for it)`
        : `who can approve: nobody but ${r.actor}, who asked for it and may not; add an approver to desired state access.approvers`,
    );
  }
  lines.push(
    `to approve:  opsplane approve ${r.id}`,
    `to deny:     opsplane deny ${r.id}`,
    '(either takes --comment TEXT, kept in the ledger with the decision)',
  );
  return lines.join('\n');
};

/** `opsplane state get users`: the managed users, one line each. */
const renderUsers = (users: UserState[]): string => {
  if (users.length === 0) return 'no managed users';
  return renderTable(
    ['EMAIL', 'ROLE', 'TEAM', 'PROFILE', 'EXPIRES', 'UPDATED'],
    users.map((u) => [u.email, u.role, u.team ?? '-', u.profile ?? '-', u.expiresAt ?? '-', u.updatedAt]),
  );
};

/** A value for the terminal: strings as they are, anything else as (indented) JSON. */
const renderValue = (value: unknown): string =>
  typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? 'undefined');

/** The leaves a `state set` changes, in the notation of plan diffs. */
const renderChanges = (changes: ValueChange[]): string => {
  if (changes.length === 0) return '  (no change)';
  return changes
    .map((change) => {
      const symbol = change.from === undefined ? '+' : change.to === undefined ? '-' : '~';
      return `  ${symbol} ${change.path}: ${JSON.stringify(change.from ?? null)} → ${JSON.stringify(change.to ?? null)}`;
    })
    .join('\n');
};

/** A GPU pool as it is, next to what desired state says it should be. */
const renderPoolStatus = (status: {
  pool: string;
  cluster: string;
  live: NodePoolView;
  desired: GpuPoolPolicy | null;
}): string => {
  const { live, desired } = status;
  const bounds = (a: { enabled: boolean; minNodeCount: number; maxNodeCount: number }) =>
    a.enabled ? `${a.minNodeCount}–${a.maxNodeCount} per zone` : 'off';
  const total = Object.values(live.sizeByZone).reduce((a, b) => a + b, 0);
  const lines = [
    `pool        ${status.pool} (cluster ${status.cluster}, ${live.status})`,
    `nodes       ${total} (${Object.entries(live.sizeByZone)
      .map(([zone, size]) => `${zone}: ${size}`)
      .join(', ')})`,
    `autoscaling ${bounds(live.autoscaling)}${live.autoscaling.locationPolicy ? `, ${live.autoscaling.locationPolicy}` : ''}`,
  ];
  if (desired) {
    const drift =
      desired.autoscaling.enabled !== live.autoscaling.enabled ||
      desired.autoscaling.minNodeCount !== live.autoscaling.minNodeCount ||
      desired.autoscaling.maxNodeCount !== live.autoscaling.maxNodeCount;
    lines.push(
      `desired     autoscaling ${bounds(desired.autoscaling)}${drift ? '   (differs from live)' : ''}`,
    );
    lines.push(`policy      at most ${desired.limits.maxNodesPerZone} nodes per zone`);
  } else {
    lines.push('desired     (no policy for this pool in desired state)');
  }
  return lines.join('\n');
};

export {
  approversFor,
  argsText,
  renderApprovalHint,
  renderChanges,
  renderList,
  renderPoolStatus,
  renderRecord,
  renderTable,
  renderUsers,
  renderValue,
};
