import type { CliContext } from '../cli-context';
import { runSpecGroup, type SubcommandSpec } from './subcommand-spec';
import { SUBMIT_HELP } from './submit-command';

/** Usage of `opsplane iam`, without the submit flags, as the top-level help lists it. */
const IAM_USAGE = `usage:
  opsplane iam reconcile POLICY [--member user:EMAIL ...]

  POLICY is project (the project's IAM policy) or iap (the IAP-secured web app's).
  reconcile makes the humans' bindings of the roles opsplane manages in that policy what desired
  state says, in one read and at most one write; service accounts and groups are never touched.
  --member (repeatable) limits it to those members; default: every human member of the policy.
  Removing owner or editor, or more than 5 members, waits for approval. opsplane drift shows
  what it would change.`;

/** Usage of `opsplane iam`, with the flags every submitting command takes. */
const IAM_HELP = `${IAM_USAGE}\n${SUBMIT_HELP}`;

/** `iam reconcile` → iam.bindings.reconcile. */
const IAM_SPECS: Record<string, SubcommandSpec> = {
  reconcile: {
    type: 'iam.bindings.reconcile',
    positional: { name: 'POLICY', field: 'policy' },
    flags: { member: { field: 'members', kind: 'list' } },
  },
};

/** `opsplane iam …`: IAM policies as a whole. */
const runIamCommand = (ctx: CliContext, argv: string[]): Promise<number> =>
  runSpecGroup(ctx, 'iam', IAM_HELP, IAM_SPECS, argv);

export { IAM_HELP, IAM_USAGE, runIamCommand };
