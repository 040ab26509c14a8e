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
  })
  .strict()
  .refine((args) => args.min <= args.max, { message: 'must not be greater than max', path: ['min'] });

interface CatalogEntry {
  /** Schema of `args`. */
  readonly args: z.ZodType;
  /** One line for help texts and docs. */
  readonly summary: string;
  /** The permission the actor must hold. */
  readonly permission: string;
  readonly approvalClass: ApprovalClass;
  /** Whether the operation changes the platform (false: read-only). */
  readonly mutates: boolean;
}

const COMMAND_CATALOG = {
  'gpu.scale': {
    args: GpuScaleArgsSchema,
    summary: 'Set the GPU node pool to a node count per zone',
    permission: 'gpu.scale',
    approvalClass: 'A2',
    mutates: true,
  },
  'gpu.autoscaling.set': {
    args: GpuAutoscalingSetArgsSchema,
    summary: "Set the GPU node pool's autoscaling bounds per zone",
    permission: 'gpu.autoscaling.set',
    approvalClass: 'A2',
    mutates: true,
  },
} as const satisfies Record<string, CatalogEntry>;

type CommandType = keyof typeof COMMAND_CATALOG;
const COMMAND_TYPES = Object.keys(COMMAND_CATALOG) as CommandType[];
const isCommandType = (value: unknown): value is CommandType =>
  typeof value === 'string' && Object.hasOwn(COMMAND_CATALOG, value);

type CommandArgs<T extends CommandType> = z.infer<(typeof COMMAND_CATALOG)[T]['args']>;
type GpuScaleArgs = CommandArgs<'gpu.scale'>;
type GpuAutoscalingSetArgs = CommandArgs<'gpu.autoscaling.set'>;

export type { ApprovalClass, CatalogEntry, CommandArgs, CommandType, GpuAutoscalingSetArgs, GpuScaleArgs };
export {
  APPROVAL_CLASSES,
  COMMAND_CATALOG,
  COMMAND_TYPES,
  GpuAutoscalingSetArgsSchema,
  GpuScaleArgsSchema,
  isCommandType,
  NodeCountSchema,
  NodePoolNameSchema,
};
