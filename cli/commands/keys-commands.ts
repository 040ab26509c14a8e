import type { CliContext } from '../cli-context';
import { runSpecGroup, type SubcommandSpec } from './subcommand-spec';
import { SUBMIT_HELP } from './submit-command';

/** Usage of `opsplane keys`, without the submit flags, as the top-level help lists it. */
const KEYS_USAGE = `usage:
  opsplane keys rotate SERVICE_ACCOUNT [--grace-hours H]
  opsplane keys prune SERVICE_ACCOUNT
  opsplane keys check SERVICE_ACCOUNT

  SERVICE_ACCOUNT is an email, e.g. ci-terraform@acme-ml-prod.iam.gserviceaccount.com.
  rotate stores a new key in Secret Manager and retires the old one after --grace-hours (default:
  the key policy's, opsplane state get keys.defaultGraceHours); prune deletes keys past the policy;
  check (what the daily key-age schedule runs) rotates only when the key is older than the policy.`;

/** Usage of `opsplane keys`, with the flags every submitting command takes. */
const KEYS_HELP = `${KEYS_USAGE}\n${SUBMIT_HELP}`;

/** `keys rotate|prune` → keys.rotate, keys.prune. */
const KEYS_SPECS: Record<string, SubcommandSpec> = {
  rotate: {
    type: 'keys.rotate',
    positional: { name: 'SERVICE_ACCOUNT', field: 'serviceAccount' },
    flags: { 'grace-hours': { field: 'graceHours', kind: 'number' } },
  },
  prune: {
    type: 'keys.prune',
    positional: { name: 'SERVICE_ACCOUNT', field: 'serviceAccount' },
    flags: {},
  },
  check: {
    type: 'keys.check',
    positional: { name: 'SERVICE_ACCOUNT', field: 'serviceAccount' },
    flags: {},
  },
};

/** `opsplane keys …`: service-account key rotation. */
const runKeysCommand = (ctx: CliContext, argv: string[]): Promise<number> =>
  runSpecGroup(ctx, 'keys', KEYS_HELP, KEYS_SPECS, argv);

export { KEYS_HELP, KEYS_USAGE, runKeysCommand };
