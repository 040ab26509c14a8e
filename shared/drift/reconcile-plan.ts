import type { OperationCommandType } from '../commands';
import type { DriftFinding } from './drift-finding';
import type { DriftReport } from './drift-report';

/**
 * What `reconcile --apply` would submit for a report (not wired to a command yet): one command per
 * distinct fix of the findings in `enforce` mode, each through the normal command path so that
 * approvals and policy apply as to any other command. Pure, so the plan can be shown first.
 */

/** One command reconcile submits, and the findings it fixes. */
interface ReconcileCommand {
  type: OperationCommandType;
  args: Record<string, unknown>;
  cli: string;
  /** `resource:kind` of each finding this command fixes. */
  fixes: string[];
}

interface ReconcilePlan {
  commands: ReconcileCommand[];
  /** Enforced findings no command fixes: a human must act (their messages say how). */
  manual: Array<Pick<DriftFinding, 'resource' | 'kind' | 'message'>>;
  /** Findings in `observe` mode: reported, left alone. */
  observed: number;
}

/** Removal comes before anything else about the same person, then access, then data, then keys. */
const ORDER: Partial<Record<OperationCommandType, number>> = {
  'user.remove': 0,
  'user.add': 1,
  'user.role.set': 1,
  'gpu.autoscaling.set': 2,
  'sql.backup': 3,
  'filestore.backup': 3,
  'sql.backups.prune': 4,
  'filestore.backups.prune': 4,
  'keys.rotate': 5,
};

/** A stable identity of a command: type and args with sorted keys. */
const commandKey = (type: string, args: Record<string, unknown>): string =>
  `${type} ${JSON.stringify(Object.fromEntries(Object.entries(args).sort(([a], [b]) => a.localeCompare(b))))}`;

/**
 * The commands that bring enforced resources back to desired state: fixes deduplicated (three key
 * findings of one account are one rotation), a backup before the prune of the same resource
 * (prunes keep the newest), and no `user.add` for a person whose removal is planned.
 */
const planReconcile = (report: Pick<DriftReport, 'findings'>): ReconcilePlan => {
  const byKey = new Map<string, ReconcileCommand>();
  const manual: ReconcilePlan['manual'] = [];
  let observed = 0;
  for (const finding of report.findings) {
    if (finding.mode !== 'enforce') {
      observed += 1;
      continue;
    }
    if (!finding.fix) {
      manual.push({ resource: finding.resource, kind: finding.kind, message: finding.message });
      continue;
    }
    const { type, args } = finding.fix.command;
    const key = commandKey(type, args);
    const existing = byKey.get(key);
    if (existing) existing.fixes.push(`${finding.resource}:${finding.kind}`);
    else byKey.set(key, { type, args, cli: finding.fix.cli, fixes: [`${finding.resource}:${finding.kind}`] });
  }
  const removed = new Set(
    [...byKey.values()]
      .filter((command) => command.type === 'user.remove')
      .map((command) => command.args.email),
  );
  const commands = [...byKey.values()]
    .filter((command) => command.type !== 'user.add' || !removed.has(command.args.email))
    .sort((a, b) => (ORDER[a.type] ?? 9) - (ORDER[b.type] ?? 9) || a.cli.localeCompare(b.cli));
  return { commands, manual, observed };
};

export type { ReconcileCommand, ReconcilePlan };
export { planReconcile };
