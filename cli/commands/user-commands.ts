import type { CliContext } from '../cli-context';
import { runSpecGroup, type SubcommandSpec } from './subcommand-spec';
import { SUBMIT_HELP } from './submit-command';

/** Usage of `opsplane user`, without the submit flags, as the top-level help lists it. */
const USER_USAGE = `usage:
  opsplane user add EMAIL --role ROLE [--team TEAM] [--no-profile] [--expires-at TIMESTAMP]
  opsplane user role EMAIL --role ROLE
  opsplane user remove EMAIL

  ROLE is a role template of desired state (opsplane state get roleTemplates); templates that
  require an expiry (contractor) need --expires-at, an RFC 3339 time such as 2026-12-31T00:00:00Z.
  A user gets a personal Kubeflow profile if the template says so, unless --no-profile.
  user remove always waits for approval; so does a role with admin-like project roles.`;

/** Usage of `opsplane user`, with the flags every submitting command takes. */
const USER_HELP = `${USER_USAGE}\n${SUBMIT_HELP}`;

/** `user add|role|remove` → user.add, user.role.set, user.remove. */
const USER_SPECS: Record<string, SubcommandSpec> = {
  add: {
    type: 'user.add',
    positional: { name: 'EMAIL', field: 'email' },
    flags: {
      role: { field: 'role', kind: 'string', required: true },
      team: { field: 'team', kind: 'string' },
      'no-profile': { field: 'profile', kind: 'false' },
      'expires-at': { field: 'expiresAt', kind: 'string' },
    },
  },
  role: {
    type: 'user.role.set',
    positional: { name: 'EMAIL', field: 'email' },
    flags: { role: { field: 'role', kind: 'string', required: true } },
  },
  remove: {
    type: 'user.remove',
    positional: { name: 'EMAIL', field: 'email' },
    flags: {},
  },
};

/** `opsplane user …`: who has access to the platform, and with which role. */
const runUserCommand = (ctx: CliContext, argv: string[]): Promise<number> =>
  runSpecGroup(ctx, 'user', USER_HELP, USER_SPECS, argv);

export { runUserCommand, USER_HELP, USER_USAGE };
