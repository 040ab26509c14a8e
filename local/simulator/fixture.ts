import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { ComputeState, RegionQuotas } from './services/compute-model';
import type { GkeCluster, GkeOperation } from './services/container-model';
import { LOCATION_POLICIES, OPERATION_STATUSES, OPERATION_TYPES } from './services/container-model';

/**
 * Reading the fixture (`../shared/fixtures/acme-ml-prod.json`): the parts the simulator serves are
 * checked here, once, so a broken fixture fails at start-up with the offending path instead of as a
 * confusing 500 in the middle of a test. Objects are loose: fields the simulator does not model are
 * kept and served back exactly as the fixture has them.
 */

const autoscalingSchema = z.looseObject({
  enabled: z.boolean().optional(),
  minNodeCount: z.number().int().optional(),
  maxNodeCount: z.number().int().optional(),
  autoprovisioned: z.boolean().optional(),
  locationPolicy: z.enum(LOCATION_POLICIES).optional(),
  totalMinNodeCount: z.number().int().optional(),
  totalMaxNodeCount: z.number().int().optional(),
});

const nodePoolSchema = z.looseObject({
  name: z.string().min(1),
  locations: z.array(z.string()).optional(),
  autoscaling: autoscalingSchema.optional(),
  instanceGroupUrls: z.array(z.string()).optional(),
  selfLink: z.string().optional(),
});

const clusterSchema = z.looseObject({
  name: z.string().min(1),
  location: z.string().min(1),
  nodePools: z.array(nodePoolSchema),
});

const operationSchema = z.looseObject({
  name: z.string().min(1),
  operationType: z.enum(OPERATION_TYPES),
  status: z.enum(OPERATION_STATUSES),
  location: z.string().min(1),
  selfLink: z.string(),
  targetLink: z.string(),
  startTime: z.iso.datetime({ offset: true }),
  endTime: z.iso.datetime({ offset: true }).optional(),
});

const instanceGroupManagerSchema = z.object({
  name: z.string().min(1),
  zone: z.string().min(1),
  targetSize: z.number().int().min(0),
  baseInstanceName: z.string().min(1),
});

const fixtureSchema = z.looseObject({
  project: z.looseObject({
    projectId: z.string().min(1),
    projectNumber: z.string().regex(/^\d+$/),
    name: z.string().optional(),
    region: z.string().optional(),
    zones: z.array(z.string()).optional(),
  }),
  gke: z.looseObject({
    clusters: z.array(clusterSchema),
    instanceGroupManagers: z.array(instanceGroupManagerSchema),
    operations: z.array(operationSchema).default([]),
  }),
  computeQuotas: z
    .looseObject({
      region: z.string(),
      quotas: z.array(z.looseObject({ metric: z.string(), limit: z.number(), usage: z.number() })),
      'x-sim': z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

/** The project the simulator pretends to be. Paths may name it by id or by number. */
interface ProjectState {
  projectId: string;
  projectNumber: string;
  name?: string;
  region?: string;
  zones?: string[];
}

/** The validated parts of a fixture the simulator seeds its state from. Treat as read-only. */
interface SimulatorSeed {
  project: ProjectState;
  gke: { clusters: GkeCluster[]; operations: GkeOperation[] };
  compute: ComputeState;
}

/**
 * Validates a parsed fixture and extracts the seed.
 *
 * @throws Error listing every path that does not match, e.g. `gke.clusters[0].location`.
 */
const parseFixture = (fixture: unknown): SimulatorSeed => {
  const parsed = fixtureSchema.safeParse(fixture);
  if (!parsed.success) throw new Error(`Invalid simulator fixture:\n${z.prettifyError(parsed.error)}`);
  const { project, gke, computeQuotas } = parsed.data;
  const regionQuotas: RegionQuotas | undefined = computeQuotas;
  return structuredClone({
    project: {
      projectId: project.projectId,
      projectNumber: project.projectNumber,
      ...(project.name === undefined ? {} : { name: project.name }),
      ...(project.region === undefined ? {} : { region: project.region }),
      ...(project.zones === undefined ? {} : { zones: project.zones }),
    },
    gke: { clusters: gke.clusters, operations: gke.operations },
    compute: { instanceGroupManagers: gke.instanceGroupManagers, regionQuotas },
  });
};

/** Reads and JSON-parses a fixture file; validation happens in {@link parseFixture} when a simulator starts. */
const loadFixture = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

/**
 * Where the shared acme-ml-prod fixture lives: `../shared/fixtures/acme-ml-prod.json` relative to
 * the repository root. Resolved from this file rather than the working directory so that jest,
 * tsx and `npm run simulator` from any directory find the same file.
 */
const defaultFixturePath = (): string =>
  resolve(__dirname, '..', '..', '..', 'shared', 'fixtures', 'acme-ml-prod.json');

export type { ProjectState, SimulatorSeed };
export { defaultFixturePath, loadFixture, parseFixture };
