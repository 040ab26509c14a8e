import type { GpuPoolPolicy } from '../shared/desired-state';
import type { NodePoolView } from '../shared/gcp';
import type { OperationRecord } from '../shared/ledger';
import { type BasePlan, renderPlan } from '../shared/operations';

/** Human-readable renderings of ledger records for the terminal. */

const argsText = (args: Record<string, unknown>): string =>
  Object.entries(args)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');

const pad = (text: string, width: number): string =>
  text.length >= width ? text : text + ' '.repeat(width - text.length);

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
  const header = ['CREATED (UTC)', 'STATUS', 'TYPE', 'ARGS', 'ACTOR', 'ID'];
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

const renderRecord = (r: OperationRecord): string => {
  const lines = [
    `operation  ${r.id}`,
    `type       ${r.type} ${argsText(r.args)}`,
    `status     ${r.status}${r.dryRun ? ' (dry run)' : ''}`,
    `actor      ${r.actor}`,
    `reason     ${r.reason}`,
    `attempts   ${r.attempts}`,
    `created    ${r.createdAt}${r.finishedAt ? `   finished ${r.finishedAt}` : ''}`,
  ];
  if (r.googleOperations.length > 0) {
    lines.push(`google ops ${r.googleOperations.map((op) => `${op.step}: ${op.name}`).join(', ')}`);
  }
  if (r.plan)
    lines.push(
      'plan',
      ...renderPlan(r.plan as unknown as BasePlan)
        .split('\n')
        .map((l) => `  ${l}`),
    );
  if (r.result) lines.push(`result     ${JSON.stringify(r.result)}`);
  if (r.error) lines.push(`error      ${r.error.code}: ${r.error.message}`);
  else if (r.lastError && r.status === 'running')
    lines.push(`retrying   ${r.lastError.code}: ${r.lastError.message}`);
  return lines.join('\n');
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

export { argsText, renderList, renderPoolStatus, renderRecord };
