import { z } from 'zod';
import { EmailSchema, NodeCountSchema, RoleTemplateNameSchema, TimestampSchema } from '../commands';

/**
 * Desired state: what the platform should be and who may change it. One `platform` document holds
 * the platform's coordinates and every policy; users live one document each (see user-state.ts),
 * so that the policy document stays small however many users there are.
 */

/** `HH:MM`, 24-hour. */
const ClockTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');

/**
 * A GPU pool's off-hours window (ops catalog §2.2): the gpu-offhours runbook scales the pool down
 * at `scaleDownAt` on weekday evenings and restores its bounds at `scaleUpAt` on weekday mornings;
 * with `weekends: 'off'` it stays down from Friday evening to Monday morning, with `on` the window
 * is every night. The schedules are derived from it, and drift expects the night bounds inside it.
 */
const OffHoursWindowSchema = z
  .object({
    /** IANA zone the times are read in. */
    timeZone: z.string().min(1),
    scaleDownAt: ClockTimeSchema,
    scaleUpAt: ClockTimeSchema,
    weekends: z.enum(['off', 'on']),
  })
  .strict()
  .refine((window) => window.scaleDownAt !== window.scaleUpAt, {
    message: 'must differ from scaleUpAt',
    path: ['scaleDownAt'],
  });

const GpuPoolPolicySchema = z
  .object({
    /** The autoscaling bounds the pool should have (per zone); drift is measured against them. */
    autoscaling: z
      .object({ enabled: z.boolean(), minNodeCount: NodeCountSchema, maxNodeCount: NodeCountSchema })
      .strict()
      .refine((a) => a.minNodeCount <= a.maxNodeCount, {
        message: 'must not exceed maxNodeCount',
        path: ['minNodeCount'],
      }),
    /** Hard ceiling no command may exceed, per zone (budget or quota). */
    limits: z.object({ maxNodesPerZone: NodeCountSchema }).strict(),
    /** When the pool is scaled down for the night; absent: never. */
    offHours: OffHoursWindowSchema.optional(),
  })
  .strict();

/** A project IAM role, e.g. `roles/container.developer`. */
const IamRoleSchema = z.string().regex(/^(roles|projects\/[^/]+\/roles|organizations\/\d+\/roles)\/[\w.]+$/, {
  message: 'must be an IAM role, e.g. roles/container.developer',
});

/**
 * A role template: what a user with this platform role gets. Templates holding admin-like roles
 * (owner, editor, *.admin) make `user.add` and escalating `user.role.set` wait for approval.
 */
const RoleTemplateSchema = z
  .object({
    description: z.string().max(500).default(''),
    /** Project IAM roles granted to the user (version 3 policy). */
    projectRoles: z.array(IamRoleSchema).min(1),
    /** Access to the IAP-protected web UIs (roles/iap.httpsResourceAccessor). */
    iap: z.boolean(),
    /** Whether users of this template get a personal Kubeflow profile unless `profile: false`. */
    profile: z.boolean(),
    /** Bindings carry an expiry condition; `user.add` must give `expiresAt`. */
    requiresExpiry: z.boolean().default(false),
  })
  .strict();

/** Who: `user:<email>`, `group:<name>` (access.groups), or an actor pattern like `schedule:*`. */
const PrincipalSchema = z
  .string()
  .regex(
    /^(user|group|ci|schedule|runbook|service):\S+$/,
    'must be user:<email>, group:<name>, or <kind>:<id|*>',
  );

/** A permission: a command type (`sql.backup`), a prefix pattern (`sql.*`) or `*`. */
const PermissionSchema = z
  .string()
  .regex(
    /^(\*|[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)*(\.\*)?)$/,
    'must be a command type, a prefix like sql.*, or *',
  );

const AccessPolicySchema = z
  .object({
    /** Named groups of principals (never nested). */
    groups: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), z.array(PrincipalSchema)),
    grants: z.array(
      z.object({ principal: PrincipalSchema, permissions: z.array(PermissionSchema).min(1) }).strict(),
    ),
    /** Who may grant or deny approvals (never their own requests). */
    approvers: z.array(PrincipalSchema),
  })
  .strict();

const KubeflowPolicySchema = z
  .object({
    /** The Google service account profiles' `default-editor` acts as (workload identity). */
    userServiceAccount: EmailSchema,
    /** `spec.resourceQuotaSpec` of a new personal profile. */
    defaultQuota: z.object({ hard: z.record(z.string(), z.string()) }).strict(),
  })
  .strict();

const SqlPolicySchema = z
  .object({
    /** Instances opsplane operates (backup, restore, clone, prune). */
    instances: z.array(z.string().min(1)),
    /** On-demand backup retention (automated backups are pruned by Cloud SQL itself). */
    retention: z
      .object({
        keepDays: z.number().int().positive(),
        minKeep: z.number().int().min(1),
        /** Never delete a backup whose description contains one of these (case-insensitive). */
        neverDeleteDescriptionsMatching: z.array(z.string().min(1)),
      })
      .strict(),
  })
  .strict();

const FilestorePolicySchema = z
  .object({
    /** Instances opsplane operates, with their location (zone or region) and file share. */
    instances: z.record(
      z.string(),
      z.object({ location: z.string().min(1), share: z.string().min(1) }).strict(),
    ),
    retention: z
      .object({
        keepDaily: z.number().int().min(1),
        keepWeekly: z.number().int().min(0),
        /** Backups carrying all of these labels are pinned (never pruned). */
        neverDeleteLabels: z.record(z.string(), z.string()),
      })
      .strict(),
    /** Labels every backup opsplane takes carries; pruning only considers backups with them. */
    backupLabels: z.record(z.string(), z.string()),
  })
  .strict();

const KeyPolicySchema = z
  .object({
    maxAgeDays: z.number().int().positive(),
    /** Days a key stays disabled before `keys.prune` deletes it. */
    disableBeforeDeleteDays: z.number().int().min(0),
    /** Hours the old key stays enabled after a rotation stored the new one. */
    defaultGraceHours: z.number().min(0),
    /** Service accounts whose user-managed keys opsplane rotates. */
    serviceAccounts: z.record(
      EmailSchema,
      z
        .object({
          /** Secret Manager secret id the key file is stored in. */
          secret: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/),
          /** People known to hold a copy of a key of this account (reported when they leave). */
          holders: z.array(EmailSchema).default([]),
        })
        .strict(),
    ),
  })
  .strict();

/**
 * What reconcile may do about a resource's drift: `enforce` (fix it through the normal operations,
 * approvals included), `observe` (report only) or `paused` (leave it out of the report).
 */
const ReconcileModeSchema = z.enum(['enforce', 'observe', 'paused']);

/**
 * The mode of each resource the drift report names. Keys are a resource as findings name it
 * (`gpu-pool/gpu-a100-pool`, `user/ada@acme.ai`) or a kind wildcard (`user/*`); the most specific
 * key wins, then `defaultMode`. Without this block everything is observed.
 */
const ReconcilePolicySchema = z
  .object({
    defaultMode: ReconcileModeSchema.default('observe'),
    resources: z
      .record(
        z.string().regex(/^[a-z][a-z-]*\/(\*|\S+)$/, 'must be <kind>/<name> or <kind>/*, e.g. user/*'),
        ReconcileModeSchema,
      )
      .default({}),
  })
  .strict();

/**
 * A binding another tool writes authoritatively (Terraform `google_*_iam_binding`): on its next
 * apply, members not listed here are removed, whatever opsplane granted.
 */
const AuthoritativeBindingSchema = z
  .object({
    policy: z.enum(['project', 'iap']),
    role: IamRoleSchema,
    members: z.array(z.string().min(1)),
    /** Who owns it, e.g. `terraform google_iap_web_type_compute_iam_binding`. */
    source: z.string().min(1),
  })
  .strict();

const PlatformStateSchema = z
  .object({
    projectId: z.string().min(1),
    projectNumber: z.string().regex(/^\d+$/),
    region: z.string().min(1),
    gke: z
      .object({ location: z.string().min(1), cluster: z.string().min(1), gpuPool: z.string().min(1) })
      .strict(),
    gpuPools: z.record(z.string(), GpuPoolPolicySchema),
    roleTemplates: z.record(RoleTemplateNameSchema, RoleTemplateSchema),
    access: AccessPolicySchema,
    kubeflow: KubeflowPolicySchema,
    sql: SqlPolicySchema,
    filestore: FilestorePolicySchema,
    keys: KeyPolicySchema,
    /** Per-resource reconcile modes; absent: every resource is observed. */
    reconcile: ReconcilePolicySchema.optional(),
    /** Bindings owned by another tool, whose members drift detection checks too. */
    authoritativeBindings: z.array(AuthoritativeBindingSchema).optional(),
  })
  .strict();

/** One user opsplane manages: their role template and what they were given. */
const UserStateSchema = z
  .object({
    email: EmailSchema,
    role: RoleTemplateNameSchema,
    team: z.string().optional(),
    /** The personal profile's name, when the user has one. */
    profile: z.string().optional(),
    expiresAt: TimestampSchema.optional(),
    /** The operation that last set this user. */
    operationId: z.string().optional(),
    updatedAt: TimestampSchema,
  })
  .strict();

type GpuPoolPolicy = z.infer<typeof GpuPoolPolicySchema>;
type OffHoursWindow = z.infer<typeof OffHoursWindowSchema>;
type RoleTemplate = z.infer<typeof RoleTemplateSchema>;
type AccessPolicy = z.infer<typeof AccessPolicySchema>;
type PlatformState = z.infer<typeof PlatformStateSchema>;
type ReconcileMode = z.infer<typeof ReconcileModeSchema>;
type ReconcilePolicy = z.infer<typeof ReconcilePolicySchema>;
type AuthoritativeBinding = z.infer<typeof AuthoritativeBindingSchema>;
type UserState = z.infer<typeof UserStateSchema>;

export type {
  AccessPolicy,
  AuthoritativeBinding,
  GpuPoolPolicy,
  OffHoursWindow,
  PlatformState,
  ReconcileMode,
  ReconcilePolicy,
  RoleTemplate,
  UserState,
};
export {
  AccessPolicySchema,
  AuthoritativeBindingSchema,
  GpuPoolPolicySchema,
  OffHoursWindowSchema,
  PlatformStateSchema,
  ReconcileModeSchema,
  ReconcilePolicySchema,
  RoleTemplateSchema,
  UserStateSchema,
};
