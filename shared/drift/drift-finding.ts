import type { CommandArgs, OperationCommandType } from '../commands';
import type { ReconcileMode, ReconcilePolicy } from '../desired-state';

/**
 * What a drift report is made of: one finding per way a resource differs from desired state, with
 * the catalog command that brings it back (when one does), in the form the command path takes and
 * the form a person types. Plain data: the report is an operation's plan and result.
 */

/** How urgent a finding is: `high` is access or data at risk now, `low` is hygiene. */
type DriftSeverity = 'high' | 'medium' | 'low' | 'info';

/** The kinds of resource findings name, as the first part of `resource` (`user/ada@acme.ai`). */
const DRIFT_RESOURCE_KINDS = [
  'user',
  'project-iam',
  'iap',
  'profile',
  'gpu-pool',
  'sql',
  'filestore',
  'keys',
] as const;
type DriftResourceKind = (typeof DRIFT_RESOURCE_KINDS)[number];

/** A command that fixes a finding: what to submit, and the same as a CLI line. */
interface DriftFix {
  command: { type: OperationCommandType; args: Record<string, unknown> };
  cli: string;
}

/** One difference between desired state and the live platform. */
interface DriftFinding {
  /** `<kind>/<name>`, e.g. `user/liam.obrien@acme.ai`, `gpu-pool/gpu-a100-pool`. */
  resource: string;
  /** What differs, e.g. `unmanaged-access`, `autoscaling-bounds`, `key-age`. */
  kind: string;
  severity: DriftSeverity;
  desired: unknown;
  actual: unknown;
  /** One sentence a person can act on; says what a human must do when `fix` is absent. */
  message: string;
  fix?: DriftFix;
  /** The resource's reconcile mode (`paused` resources are left out of reports). */
  mode: ReconcileMode;
}

/** A finding before the resource's mode is known. */
type UnmodedFinding = Omit<DriftFinding, 'mode'>;

const SEVERITY_ORDER: Record<DriftSeverity, number> = { high: 0, medium: 1, low: 2, info: 3 };

/** Quotes a CLI word only when it needs it. */
const shellWord = (value: string): string => (/^[\w@.:/+=-]+$/.test(value) ? value : JSON.stringify(value));

/** `opsplane …` for a command, as the CLI's subcommands spell it. */
const cliLineFor = (type: OperationCommandType, args: Record<string, unknown>): string => {
  const text = (name: string): string => shellWord(String(args[name]));
  const optional = (name: string, flag: string): string =>
    args[name] === undefined ? '' : ` --${flag} ${text(name)}`;
  switch (type) {
    case 'user.add':
      return `opsplane user add ${text('email')} --role ${text('role')}${optional('team', 'team')}${
        args.profile === false ? ' --no-profile' : ''
      }${optional('expiresAt', 'expires-at')}`;
    case 'user.role.set':
      return `opsplane user role ${text('email')} --role ${text('role')}`;
    case 'user.remove':
      return `opsplane user remove ${text('email')}${args.keepProfile === true ? ' --keep-profile' : ''}`;
    case 'gpu.autoscaling.set':
      return `opsplane gpu autoscaling --min ${text('min')} --max ${text('max')}${optional('pool', 'pool')}${
        args.offHours === true ? ' --off-hours' : ''
      }`;
    case 'gpu.scale':
      return `opsplane gpu scale --nodes ${text('nodes')}${optional('pool', 'pool')}`;
    case 'sql.backup':
      return `opsplane sql backup ${text('instance')}${optional('description', 'description')}`;
    case 'sql.backups.prune':
      return `opsplane sql prune ${text('instance')}`;
    case 'sql.protect':
      return `opsplane sql protect ${text('instance')}${args.deletionProtection === false ? ' --off' : ''}`;
    case 'filestore.backup':
      return `opsplane filestore backup ${text('instance')}${optional('share', 'share')}`;
    case 'filestore.backups.prune':
      return `opsplane filestore prune ${text('instance')}`;
    case 'keys.rotate':
      return `opsplane keys rotate ${text('serviceAccount')}`;
    case 'keys.prune':
      return `opsplane keys prune ${text('serviceAccount')}`;
    case 'keys.check':
      return `opsplane keys check ${text('serviceAccount')}`;
    case 'iam.bindings.reconcile':
      return `opsplane iam reconcile ${text('policy')}${(Array.isArray(args.members) ? args.members : [])
        .map((member) => ` --member ${shellWord(String(member))}`)
        .join('')}`;
    default:
      return `(no CLI subcommand) submit ${type} with args ${JSON.stringify(args)}`;
  }
};

/** The fix of a finding: `type` with `args`, and its CLI line. */
const fixWith = <T extends OperationCommandType>(type: T, args: CommandArgs<T>): DriftFix => {
  const plain = { ...(args as Record<string, unknown>) };
  return { command: { type, args: plain }, cli: cliLineFor(type, plain) };
};

/**
 * The mode of a resource: its own entry, else its kind's wildcard (`user/*`), else the policy's
 * default; without a policy, `observe`.
 */
const modeOf = (resource: string, policy: ReconcilePolicy | undefined): ReconcileMode => {
  if (!policy) return 'observe';
  const kind = resource.split('/')[0] ?? resource;
  return policy.resources[resource] ?? policy.resources[`${kind}/*`] ?? policy.defaultMode;
};

/**
 * Gives each finding its resource's mode, leaves out `paused` resources, and orders them: most
 * severe first, then by resource.
 */
const withModes = (
  findings: readonly UnmodedFinding[],
  policy: ReconcilePolicy | undefined,
): DriftFinding[] =>
  findings
    .map((finding) => ({ ...finding, mode: modeOf(finding.resource, policy) }))
    .filter((finding) => finding.mode !== 'paused')
    .sort(
      (a, b) =>
        SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
        a.resource.localeCompare(b.resource) ||
        a.kind.localeCompare(b.kind),
    );

export type { DriftFinding, DriftFix, DriftResourceKind, DriftSeverity, UnmodedFinding };
export { cliLineFor, DRIFT_RESOURCE_KINDS, fixWith, modeOf, withModes };
