import type { OperationCommandType } from '../commands';
import { cliLineFor, type DriftFinding } from './drift-finding';
import type { DriftReport } from './drift-report';

/**
 * What `reconcile --apply` submits for a report (`reconcile.run`): one command per distinct fix of
 * the findings in `enforce` mode, each through the normal command path so that approvals and
 * policy apply as to any other command. Fixes of one IAM policy are merged into one command, so a
 * policy gets at most one write whatever the number of members. Pure, so the plan can be shown first.
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
  'iam.bindings.reconcile': 1,
  'gpu.autoscaling.set': 2,
  'sql.backup': 3,
  'sql.protect': 3,
  'filestore.backup': 3,
  'sql.backups.prune': 4,
  'filestore.backups.prune': 4,
  'keys.rotate': 5,
};

/** A stable identity of a command: type and args with sorted keys. */
const commandKey = (type: string, args: Record<string, unknown>): string =>
  `${type} ${JSON.stringify(Object.fromEntries(Object.entries(args).sort(([a], [b]) => a.localeCompare(b))))}`;

/**
 * Merges the `iam.bindings.reconcile` commands of one policy into one: the union of their members,
 * or the whole policy when any of them covers it. Mutates `byKey`.
 */
const mergePolicyFixes = (byKey: Map<string, ReconcileCommand>): void => {
  const byPolicy = new Map<string, ReconcileCommand[]>();
  for (const [key, command] of byKey) {
    if (command.type !== 'iam.bindings.reconcile') continue;
    byKey.delete(key);
    const policy = String(command.args.policy);
    byPolicy.set(policy, [...(byPolicy.get(policy) ?? []), command]);
  }
  for (const [policy, commands] of byPolicy) {
    const whole = commands.some((command) => !Array.isArray(command.args.members));
    const members = [
      ...new Set(commands.flatMap((command) => (command.args.members as string[] | undefined) ?? [])),
    ].sort();
    const args: Record<string, unknown> = whole ? { policy } : { policy, members };
    byKey.set(commandKey('iam.bindings.reconcile', args), {
      type: 'iam.bindings.reconcile',
      args,
      cli: cliLineFor('iam.bindings.reconcile', args),
      fixes: [...new Set(commands.flatMap((command) => command.fixes))],
    });
  }
};

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
  mergePolicyFixes(byKey);
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
export { commandKey, planReconcile };
