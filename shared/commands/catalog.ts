import { z } from 'zod';

/**
 * The command catalog: the one table every command type is declared in. The command function, the
 * CLI, the JSON Schema export and (later) the chat parser and infra-bootstrap all read it. Adding a
 * command is one entry here plus its operation module in `shared/operations`.
 */

/** Approval classes from the ops catalog: A0 read-only, A1 routine, A2 within policy, A3 human approval. */
const APPROVAL_CLASSES = ['A0', 'A1', 'A2', 'A3'] as const;
type ApprovalClass = (typeof APPROVAL_CLASSES)[number];

/** A GKE node pool name: lowercase letters, digits and hyphens, starting with a letter. */
const NodePoolNameSchema = z
  .string()
  .regex(
    /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/,
    'must be a GKE node pool name (lowercase letters, digits, hyphens)',
  );

/** Per-zone node count; GKE's setSize and autoscaling bounds are per zone. */
const NodeCountSchema = z.number().int().min(0).max(1000);

const GpuScaleArgsSchema = z
  .object({
    pool: NodePoolNameSchema.optional().describe("Node pool; defaults to the platform's GPU pool"),
    nodes: NodeCountSchema.describe('Wanted node count per zone'),
  })
  .strict();

const GpuAutoscalingSetArgsSchema = z
  .object({
    pool: NodePoolNameSchema.optional().describe("Node pool; defaults to the platform's GPU pool"),
    min: NodeCountSchema.describe('Autoscaler minimum per zone'),
    max: NodeCountSchema.describe('Autoscaler maximum per zone'),
    offHours: z
      .boolean()
      .optional()
      .describe(
        "The off-hours scale-down: the bounds hold for the night only, and desired state keeps the pool's day bounds",
      ),
  })
  .strict()
  .refine((args) => args.min <= args.max, { message: 'must not be greater than max', path: ['min'] });

const GpuWorkloadsArgsSchema = z
  .object({
    pool: NodePoolNameSchema.optional().describe("Node pool; defaults to the platform's GPU pool"),
  })
  .strict();

/** A user's email, lowercase as IAM stores it. */
const EmailSchema = z
  .string()
  .max(254)
  .regex(/^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$/, 'must be a lowercase email address, e.g. ada@acme.ai');

/** A role template name from desired state, e.g. `ml-engineer`. */
const RoleTemplateNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be a role template name (lowercase letters, digits, hyphens)');

/** A team name; also used in namespace labels. */
const TeamNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits, hyphens');

/** An RFC 3339 timestamp with an explicit offset, e.g. `2026-12-31T00:00:00Z`. */
const TimestampSchema = z.iso.datetime({
  offset: true,
  message: 'must be an RFC 3339 timestamp, e.g. 2026-12-31T00:00:00Z',
});

/** A service account email, e.g. `ci-terraform@acme-ml-prod.iam.gserviceaccount.com`. */
const ServiceAccountEmailSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9.-]+\.gserviceaccount\.com$/,
    'must be a service account email (<name>@<project>.iam.gserviceaccount.com)',
  );

/** A Cloud SQL instance id (no project prefix). */
const SqlInstanceNameSchema = z
  .string()
  .regex(
    /^[a-z]([-a-z0-9]{0,96}[a-z0-9])?$/,
    'must be a Cloud SQL instance id (lowercase letters, digits, hyphens)',
  );

/** A Cloud SQL backup run id: a decimal int64, as a string (JSON numbers lose precision above 2^53). */
const SqlBackupRunIdSchema = z
  .union([z.string(), z.number().int().nonnegative()])
  .transform(String)
  .pipe(z.string().regex(/^\d{1,19}$/, 'must be a backup run id (digits)'));

/** A Filestore instance id (no project or location). */
const FilestoreInstanceNameSchema = z
  .string()
  .regex(
    /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
    'must be a Filestore instance id (lowercase letters, digits, hyphens)',
  );

/** A Filestore file share name. */
const FileShareNameSchema = z
  .string()
  .regex(
    /^[a-zA-Z][a-zA-Z0-9_]{0,15}$/,
    'must be a file share name (letters, digits, underscores; up to 16)',
  );

/** A Filestore backup: its id, or its full name `projects/…/locations/…/backups/…`. */
const FilestoreBackupSchema = z
  .string()
  .regex(
    /^(projects\/[^/]+\/locations\/[^/]+\/backups\/)?[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
    'must be a backup id or projects/<p>/locations/<region>/backups/<id>',
  );

/** The id of an operation in the ledger (its idempotency key). */
const OperationIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$/, 'must be an operation id as `opsplane ops list` shows it');

const UserAddArgsSchema = z
  .object({
    email: EmailSchema.describe('The user to add'),
    role: RoleTemplateNameSchema.describe('Role template from desired state, e.g. ml-engineer'),
    team: TeamNameSchema.optional().describe('Team the user belongs to'),
    profile: z.boolean().default(true).describe('Create a personal Kubeflow profile'),
    expiresAt: TimestampSchema.optional().describe(
      'When access ends (required by contractor-like templates)',
    ),
  })
  .strict();

const UserRoleSetArgsSchema = z
  .object({
    email: EmailSchema.describe('The user'),
    role: RoleTemplateNameSchema.describe('New role template'),
  })
  .strict();

const UserRemoveArgsSchema = z
  .object({
    email: EmailSchema.describe('The user to remove'),
    keepProfile: z
      .boolean()
      .optional()
      .describe(
        'Revoke access only, at once and without approval; keep the personal profiles for a later user.remove (which deletes them with approval)',
      ),
  })
  .strict();

const KeysRotateArgsSchema = z
  .object({
    serviceAccount: ServiceAccountEmailSchema.describe('Service account whose user-managed key is rotated'),
    graceHours: z
      .number()
      .min(0)
      .max(24 * 30)
      .optional()
      .describe('Hours the old key stays enabled after the new one is stored; default from the key policy'),
  })
  .strict();

const KeysPruneArgsSchema = z
  .object({
    serviceAccount: ServiceAccountEmailSchema.describe('Service account whose old keys are removed'),
  })
  .strict();

const KeysCheckArgsSchema = z
  .object({
    serviceAccount: ServiceAccountEmailSchema.describe('Service account whose newest key age is checked'),
  })
  .strict();

const SqlBackupArgsSchema = z
  .object({
    instance: SqlInstanceNameSchema.describe('Cloud SQL instance id'),
    description: z.string().max(200).optional().describe('Backup description, e.g. pre-upgrade-OPS-123'),
  })
  .strict();

const SqlRestoreArgsSchema = z
  .object({
    instance: SqlInstanceNameSchema.describe('Instance restored into (overwritten)'),
    backupId: SqlBackupRunIdSchema.describe('Backup run id'),
    sourceInstance: SqlInstanceNameSchema.optional().describe(
      'Instance the backup belongs to; default: instance',
    ),
  })
  .strict();

const SqlCloneArgsSchema = z
  .object({
    instance: SqlInstanceNameSchema.describe('Source instance'),
    pointInTime: TimestampSchema.describe('Point in time to clone at'),
    targetInstance: SqlInstanceNameSchema.describe('New instance id'),
  })
  .strict()
  .refine((args) => args.instance !== args.targetInstance, {
    message: 'must differ from instance',
    path: ['targetInstance'],
  });

const SqlBackupsPruneArgsSchema = z
  .object({ instance: SqlInstanceNameSchema.describe('Instance whose on-demand backups are pruned') })
  .strict();

const SqlProtectArgsSchema = z
  .object({
    instance: SqlInstanceNameSchema.describe('Cloud SQL instance id'),
    deletionProtection: z
      .boolean()
      .default(true)
      .describe('Wanted deletion protection; false turns it off and always waits for approval'),
  })
  .strict();

const FilestoreBackupArgsSchema = z
  .object({
    instance: FilestoreInstanceNameSchema.describe('Filestore instance id'),
    share: FileShareNameSchema.optional().describe("File share; default: the instance's share"),
  })
  .strict();

const FilestoreSnapshotArgsSchema = z
  .object({ instance: FilestoreInstanceNameSchema.describe('Filestore instance id') })
  .strict();

const FilestoreRestoreArgsSchema = z
  .object({
    instance: FilestoreInstanceNameSchema.describe('Instance restored in place (overwritten)'),
    backup: FilestoreBackupSchema.describe('Backup id or full name'),
    share: FileShareNameSchema.optional().describe("File share; default: the instance's share"),
  })
  .strict();

const FilestoreBackupsPruneArgsSchema = z
  .object({ instance: FilestoreInstanceNameSchema.describe('Instance whose backups are pruned') })
  .strict();

/** A drift-report scope entry: a resource kind (`sql`) or one resource (`user/ada@acme.ai`). */
const DriftScopeSchema = z
  .string()
  .regex(
    /^(user|project-iam|iap|profile|gpu-pool|sql|filestore|keys)(\/\S+)?$/,
    'must be a resource kind (user, project-iam, iap, profile, gpu-pool, sql, filestore, keys) or kind/name',
  );

const DriftReportArgsSchema = z
  .object({
    resources: z
      .array(DriftScopeSchema)
      .max(50)
      .optional()
      .describe('Only these resource kinds or resources, e.g. ["sql", "user/ada@acme.ai"]; default: all'),
  })
  .strict();

const ReconcileRunArgsSchema = z
  .object({
    apply: z
      .boolean()
      .default(false)
      .describe('Submit the fix commands of resources in enforce mode; default: only plan'),
    resources: z
      .array(DriftScopeSchema)
      .max(50)
      .optional()
      .describe('Only these resource kinds or resources, e.g. ["project-iam"]; default: all'),
  })
  .strict();

/** An IAM member of a human, as the policy names it, e.g. `user:ada@acme.ai`. */
const UserMemberSchema = z
  .string()
  .max(260)
  .regex(/^user:[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$/, 'must be user:<lowercase email>');

const IamBindingsReconcileArgsSchema = z
  .object({
    policy: z.enum(['project', 'iap']).describe('The project IAM policy or the IAP policy'),
    members: z
      .array(UserMemberSchema)
      .min(1)
      .max(1000)
      .optional()
      .describe('Only these members (user:<email>); default: every human member of the policy'),
  })
  .strict();

const ApprovalDecisionArgsSchema = z
  .object({
    operationId: OperationIdSchema.describe('The operation waiting for approval'),
    comment: z.string().max(2000).optional().describe('Why'),
  })
  .strict();

/**
 * `operation`: carried out by its module in shared/operations. `approval`: a decision on another
 * operation, handled by the command processor itself.
 */
type CommandKind = 'operation' | 'approval';

interface CatalogEntry {
  /** Schema of `args`. */
  readonly args: z.ZodType;
  /** One line for help texts and docs. */
  readonly summary: string;
  /** The permission the actor must hold. */
  readonly permission: string;
  /** The ops catalog's class; A3 always stops for a human. Operations may ask for approval on top (escalations). */
  readonly approvalClass: ApprovalClass;
  /** Whether the operation changes the platform (false: read-only). */
  readonly mutates: boolean;
  readonly kind: CommandKind;
}

const COMMAND_CATALOG = {
  'gpu.scale': {
    args: GpuScaleArgsSchema,
    summary: 'Set the GPU node pool to a node count per zone',
    permission: 'gpu.scale',
    approvalClass: 'A2',
    mutates: true,
    kind: 'operation',
  },
  'gpu.autoscaling.set': {
    args: GpuAutoscalingSetArgsSchema,
    summary: "Set the GPU node pool's autoscaling bounds per zone",
    permission: 'gpu.autoscaling.set',
    approvalClass: 'A2',
    mutates: true,
    kind: 'operation',
  },
  'gpu.workloads': {
    args: GpuWorkloadsArgsSchema,
    summary:
      "List the busy pods on the GPU node pool's nodes (training, notebooks, keep-overnight) and its autoscaling",
    permission: 'gpu.workloads',
    approvalClass: 'A0',
    mutates: false,
    kind: 'operation',
  },
  'user.add': {
    args: UserAddArgsSchema,
    summary: 'Give a user a role: project IAM, IAP access and a Kubeflow profile',
    permission: 'user.add',
    approvalClass: 'A1',
    mutates: true,
    kind: 'operation',
  },
  'user.role.set': {
    args: UserRoleSetArgsSchema,
    summary: "Change a user's role template (escalations to admin-like roles need approval)",
    permission: 'user.role.set',
    approvalClass: 'A1',
    mutates: true,
    kind: 'operation',
  },
  'user.remove': {
    args: UserRemoveArgsSchema,
    summary:
      'Remove every binding and the personal profiles of a user (approval), or with keepProfile only revoke access; report keys they held',
    permission: 'user.remove',
    // Revocation is urgent and reversible (A1/A2, ops catalog §1.3); deleting a profile deletes
    // data, so the module asks for approval whenever the removal is not revoke-only.
    approvalClass: 'A2',
    mutates: true,
    kind: 'operation',
  },
  'keys.rotate': {
    args: KeysRotateArgsSchema,
    summary:
      'New service-account key into Secret Manager; old keys and versions retired after a grace period',
    permission: 'keys.rotate',
    approvalClass: 'A2',
    mutates: true,
    kind: 'operation',
  },
  'keys.prune': {
    args: KeysPruneArgsSchema,
    summary: 'Delete disabled keys past the key policy, and surplus old keys, keeping the newest',
    permission: 'keys.prune',
    approvalClass: 'A2',
    mutates: true,
    kind: 'operation',
  },
  'keys.check': {
    args: KeysCheckArgsSchema,
    summary:
      "Rotate a service account's key when its newest enabled key is as old as the key policy's maxAgeDays (the scheduled key-age check)",
    permission: 'keys.check',
    approvalClass: 'A2',
    mutates: true,
    kind: 'operation',
  },
  'sql.backup': {
    args: SqlBackupArgsSchema,
    summary: 'Take an on-demand Cloud SQL backup',
    permission: 'sql.backup',
    approvalClass: 'A1',
    mutates: true,
    kind: 'operation',
  },
  'sql.restore': {
    args: SqlRestoreArgsSchema,
    summary: 'Restore a Cloud SQL backup into an instance (overwrites it)',
    permission: 'sql.restore',
    approvalClass: 'A3',
    mutates: true,
    kind: 'operation',
  },
  'sql.clone': {
    args: SqlCloneArgsSchema,
    summary: 'Clone a Cloud SQL instance at a point in time into a new instance',
    permission: 'sql.clone',
    approvalClass: 'A2',
    mutates: true,
    kind: 'operation',
  },
  'sql.backups.prune': {
    args: SqlBackupsPruneArgsSchema,
    summary: 'Delete on-demand Cloud SQL backups outside the retention policy',
    permission: 'sql.backups.prune',
    approvalClass: 'A2',
    mutates: true,
    kind: 'operation',
  },
  'sql.protect': {
    args: SqlProtectArgsSchema,
    summary: "Turn a Cloud SQL instance's deletion protection on (or, with approval, off)",
    permission: 'sql.protect',
    // Turning protection on only guards data (A1); the module asks for approval to turn it off,
    // which lets one delete call destroy the instance and its automated backups (A3).
    approvalClass: 'A1',
    mutates: true,
    kind: 'operation',
  },
  'filestore.backup': {
    args: FilestoreBackupArgsSchema,
    summary: 'Back up a Filestore share',
    permission: 'filestore.backup',
    approvalClass: 'A1',
    mutates: true,
    kind: 'operation',
  },
  'filestore.snapshot': {
    args: FilestoreSnapshotArgsSchema,
    summary: 'Snapshot a Filestore instance (ZONAL, REGIONAL and ENTERPRISE tiers)',
    permission: 'filestore.snapshot',
    approvalClass: 'A1',
    mutates: true,
    kind: 'operation',
  },
  'filestore.restore': {
    args: FilestoreRestoreArgsSchema,
    summary: 'Restore a Filestore backup onto its instance in place (overwrites the share)',
    permission: 'filestore.restore',
    approvalClass: 'A3',
    mutates: true,
    kind: 'operation',
  },
  'filestore.backups.prune': {
    args: FilestoreBackupsPruneArgsSchema,
    summary: 'Delete Filestore backups outside the retention policy',
    permission: 'filestore.backups.prune',
    approvalClass: 'A2',
    mutates: true,
    kind: 'operation',
  },
  'drift.report': {
    args: DriftReportArgsSchema,
    summary:
      'Compare desired state with the live platform: each drifted resource, desired vs actual, and the command that fixes it',
    permission: 'drift.report',
    approvalClass: 'A0',
    mutates: false,
    kind: 'operation',
  },
  'reconcile.run': {
    args: ReconcileRunArgsSchema,
    summary:
      'Plan (or, with apply, submit) the commands that bring resources in enforce mode back to desired state; report the rest',
    permission: 'reconcile.run',
    approvalClass: 'A2',
    mutates: true,
    kind: 'operation',
  },
  'iam.bindings.reconcile': {
    args: IamBindingsReconcileArgsSchema,
    summary:
      "Make the humans' bindings of opsplane-managed roles in the project or IAP policy what desired state says (one read, one write)",
    permission: 'iam.bindings.reconcile',
    approvalClass: 'A2',
    mutates: true,
    kind: 'operation',
  },
  'approval.grant': {
    args: ApprovalDecisionArgsSchema,
    summary: 'Approve an operation waiting for approval (not by its requester)',
    permission: 'approval.grant',
    approvalClass: 'A0',
    mutates: true,
    kind: 'approval',
  },
  'approval.deny': {
    args: ApprovalDecisionArgsSchema,
    summary: 'Deny an operation waiting for approval; it ends rejected',
    permission: 'approval.deny',
    approvalClass: 'A0',
    mutates: true,
    kind: 'approval',
  },
  'approval.withdraw': {
    args: ApprovalDecisionArgsSchema,
    summary:
      'Take back a request for approval nobody decided yet (its runbook was cancelled): by its requester, the person behind it, or a holder of approval.withdraw; it ends rejected APPROVAL_EXPIRED',
    permission: 'approval.withdraw',
    approvalClass: 'A0',
    mutates: true,
    kind: 'approval',
  },
} as const satisfies Record<string, CatalogEntry>;

type CommandType = keyof typeof COMMAND_CATALOG;
const COMMAND_TYPES = Object.keys(COMMAND_CATALOG) as CommandType[];
const isCommandType = (value: unknown): value is CommandType =>
  typeof value === 'string' && Object.hasOwn(COMMAND_CATALOG, value);

type CommandArgs<T extends CommandType> = z.infer<(typeof COMMAND_CATALOG)[T]['args']>;
type GpuScaleArgs = CommandArgs<'gpu.scale'>;
type GpuAutoscalingSetArgs = CommandArgs<'gpu.autoscaling.set'>;
type GpuWorkloadsArgs = CommandArgs<'gpu.workloads'>;

/** Command types carried out by an operation module. */
type OperationCommandType = {
  [T in CommandType]: (typeof COMMAND_CATALOG)[T]['kind'] extends 'operation' ? T : never;
}[CommandType];
/** Command types that decide on another operation's approval. */
type ApprovalCommandType = Exclude<CommandType, OperationCommandType>;
const isApprovalCommandType = (type: CommandType): type is ApprovalCommandType =>
  COMMAND_CATALOG[type].kind === 'approval';

export type {
  ApprovalClass,
  ApprovalCommandType,
  CatalogEntry,
  CommandArgs,
  CommandKind,
  CommandType,
  GpuAutoscalingSetArgs,
  GpuScaleArgs,
  GpuWorkloadsArgs,
  OperationCommandType,
};
export {
  APPROVAL_CLASSES,
  COMMAND_CATALOG,
  COMMAND_TYPES,
  EmailSchema,
  GpuAutoscalingSetArgsSchema,
  GpuScaleArgsSchema,
  GpuWorkloadsArgsSchema,
  isApprovalCommandType,
  isCommandType,
  NodeCountSchema,
  NodePoolNameSchema,
  OperationIdSchema,
  RoleTemplateNameSchema,
  ServiceAccountEmailSchema,
  TeamNameSchema,
  TimestampSchema,
};
