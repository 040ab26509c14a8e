import type { CliContext } from '../cli-context';
import { runSpecGroup, type SubcommandSpec } from './subcommand-spec';
import { SUBMIT_HELP } from './submit-command';

/** Usage of `opsplane sql`, without the submit flags, as the top-level help lists it. */
const SQL_USAGE = `usage:
  opsplane sql backup INSTANCE [--description TEXT]
  opsplane sql restore INSTANCE --backup-id ID [--source-instance SOURCE]
  opsplane sql clone INSTANCE --point-in-time TIMESTAMP --target NEW_INSTANCE
  opsplane sql prune INSTANCE
  opsplane sql protect INSTANCE [--off]

  INSTANCE is a Cloud SQL instance id. restore overwrites INSTANCE with backup run ID (taken of
  SOURCE, default INSTANCE) and always waits for approval. clone creates NEW_INSTANCE as INSTANCE
  was at TIMESTAMP (RFC 3339, e.g. 2026-03-01T09:30:00Z). prune deletes on-demand backups outside
  the retention policy (opsplane state get sql.retention). protect turns INSTANCE's deletion
  protection on; with --off it turns it off, and waits for approval.`;

/** Usage of `opsplane sql`, with the flags every submitting command takes. */
const SQL_HELP = `${SQL_USAGE}\n${SUBMIT_HELP}`;

/**
 * `sql backup|restore|clone|prune|protect` → sql.backup, sql.restore, sql.clone, sql.backups.prune,
 * sql.protect.
 */
const SQL_SPECS: Record<string, SubcommandSpec> = {
  backup: {
    type: 'sql.backup',
    positional: { name: 'INSTANCE', field: 'instance' },
    flags: { description: { field: 'description', kind: 'string' } },
  },
  restore: {
    type: 'sql.restore',
    positional: { name: 'INSTANCE', field: 'instance' },
    flags: {
      'backup-id': { field: 'backupId', kind: 'string', required: true },
      'source-instance': { field: 'sourceInstance', kind: 'string' },
    },
  },
  clone: {
    type: 'sql.clone',
    positional: { name: 'INSTANCE', field: 'instance' },
    flags: {
      'point-in-time': { field: 'pointInTime', kind: 'string', required: true },
      target: { field: 'targetInstance', kind: 'string', required: true },
    },
  },
  prune: {
    type: 'sql.backups.prune',
    positional: { name: 'INSTANCE', field: 'instance' },
    flags: {},
  },
  protect: {
    type: 'sql.protect',
    positional: { name: 'INSTANCE', field: 'instance' },
    flags: { off: { field: 'deletionProtection', kind: 'false' } },
  },
};

/** `opsplane sql …`: Cloud SQL backups, restores, clones and deletion protection. */
const runSqlCommand = (ctx: CliContext, argv: string[]): Promise<number> =>
  runSpecGroup(ctx, 'sql', SQL_HELP, SQL_SPECS, argv);

export { runSqlCommand, SQL_HELP, SQL_USAGE };
