import { z } from 'zod';
import { NodeCountSchema } from '../commands';

/**
 * Desired state: what the platform should be. For now the platform's coordinates and the GPU pool
 * policy; users, role templates and backup policies join it with the operations that need them.
 */

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
  })
  .strict();

type GpuPoolPolicy = z.infer<typeof GpuPoolPolicySchema>;
type PlatformState = z.infer<typeof PlatformStateSchema>;

export type { GpuPoolPolicy, PlatformState };
export { GpuPoolPolicySchema, PlatformStateSchema };
