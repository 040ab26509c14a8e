import type { CliContext } from '../cli-context';
import { runSpecGroup, type SubcommandSpec } from './subcommand-spec';
import { SUBMIT_HELP } from './submit-command';

/** Usage of `opsplane filestore`, without the submit flags, as the top-level help lists it. */
const FILESTORE_USAGE = `usage:
  opsplane filestore backup INSTANCE [--share SHARE]
  opsplane filestore snapshot INSTANCE
  opsplane filestore restore INSTANCE --backup BACKUP [--share SHARE]
  opsplane filestore prune INSTANCE

  INSTANCE is a Filestore instance id; SHARE defaults to the instance's file share. BACKUP is a
  backup id or projects/P/locations/L/backups/ID. restore overwrites the share in place and always
  waits for approval. prune deletes backups outside the retention policy.`;

/** Usage of `opsplane filestore`, with the flags every submitting command takes. */
const FILESTORE_HELP = `${FILESTORE_USAGE}\n${SUBMIT_HELP}`;

/** `filestore backup|snapshot|restore|prune` → filestore.backup, .snapshot, .restore, .backups.prune. */
const FILESTORE_SPECS: Record<string, SubcommandSpec> = {
  backup: {
    type: 'filestore.backup',
    positional: { name: 'INSTANCE', field: 'instance' },
    flags: { share: { field: 'share', kind: 'string' } },
  },
  snapshot: {
    type: 'filestore.snapshot',
    positional: { name: 'INSTANCE', field: 'instance' },
    flags: {},
  },
  restore: {
    type: 'filestore.restore',
    positional: { name: 'INSTANCE', field: 'instance' },
    flags: {
      backup: { field: 'backup', kind: 'string', required: true },
      share: { field: 'share', kind: 'string' },
    },
  },
  prune: {
    type: 'filestore.backups.prune',
    positional: { name: 'INSTANCE', field: 'instance' },
    flags: {},
  },
};

/** `opsplane filestore …`: Filestore backups, snapshots and restores. */
const runFilestoreCommand = (ctx: CliContext, argv: string[]): Promise<number> =>
  runSpecGroup(ctx, 'filestore', FILESTORE_HELP, FILESTORE_SPECS, argv);

export { FILESTORE_HELP, FILESTORE_USAGE, runFilestoreCommand };
