import { z } from 'zod';

/**
 * The command envelope: what every publisher (chat, CI, the CLI, schedules, runbooks) sends on
 * ops-commands. `args` is validated separately against the command type's own schema in the catalog.
 */

/** Who asks: `user:<email>`, `ci:<system>:<repo>`, `schedule:<job>`, `runbook:<execution>`, `service:<name>`. */
const ACTOR_KINDS = ['user', 'ci', 'schedule', 'runbook', 'service'] as const;
type ActorKind = (typeof ACTOR_KINDS)[number];

const ActorSchema = z
  .string()
  .max(320)
  .regex(
    /^(user:[^@\s:]+@[^@\s:]+\.[^@\s:]+|(ci|schedule|runbook|service):\S+)$/,
    `must be one of ${ACTOR_KINDS.map((kind) => `${kind}:<…>`).join(', ')} (user: takes an email)`,
  );

/**
 * Becomes the ledger document id, so it must be a valid Firestore id: no `/`, not `.`/`..`,
 * no `__…__`. Publishers use a UUID or `<source>:<stable id>`.
 */
const IdempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$/, 'must be 1–200 characters of letters, digits and . _ : @ -');

/**
 * The person on whose behalf an automated actor asks (the human who started a runbook): recorded,
 * and held to the same "approver is not the requester" rule as the actor.
 */
const RequestedBySchema = z
  .string()
  .max(320)
  .regex(/^user:[^@\s:]+@[^@\s:]+\.[^@\s:]+$/, 'must be user:<email>, the person the command is sent for');

/**
 * Where every outcome of the command (the `pending_approval` announcement, then the final status)
 * is POSTed as JSON by the notify function, e.g. a Cloud Workflows callback endpoint.
 */
const NotifySchema = z
  .object({
    callbackUrl: z
      .url({ protocol: /^https?$/, message: 'must be an http or https URL' })
      .max(2048, 'must be at most 2048 characters'),
  })
  .strict();

const CommandEnvelopeSchema = z
  .object({
    type: z.string().min(1),
    args: z.record(z.string(), z.unknown()).default({}),
    actor: ActorSchema,
    requestedBy: RequestedBySchema.optional(),
    reason: z.string().trim().min(1, 'must say why').max(2000),
    dryRun: z.boolean().default(false),
    idempotencyKey: IdempotencyKeySchema.optional(),
    notify: NotifySchema.optional(),
  })
  .strict();

type CommandEnvelope = z.infer<typeof CommandEnvelopeSchema>;

/** The envelope fields that say for whom a command is sent and who hears about its outcome. */
type CommandDelegation = Pick<CommandEnvelope, 'requestedBy' | 'notify'>;

export type { ActorKind, CommandDelegation, CommandEnvelope };
export {
  ACTOR_KINDS,
  ActorSchema,
  CommandEnvelopeSchema,
  IdempotencyKeySchema,
  NotifySchema,
  RequestedBySchema,
};
