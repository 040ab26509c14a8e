import { z } from 'zod';
import type {
  FilestoreBackup,
  FilestoreInstance,
  FilestoreOperationRecord,
  FilestoreProject,
  FilestoreSnapshot,
  FilestoreState,
  LongRunningOperation,
} from './filestore-model';
import { BACKUP_STATES, INSTANCE_STATES, INSTANCE_TIERS, SNAPSHOT_STATES } from './filestore-model';

/**
 * Reading the Filestore part of the fixture, and checking a state snapshot before it replaces the
 * live state. The service owns its state, so it validates what it uses itself (the core's
 * `parseFixture` knows nothing of Filestore): a broken fixture fails when the service is created,
 * naming the offending path, rather than as a 500 in the middle of a test. Objects are loose:
 * fields the simulator does not model are kept and served back as the fixture has them.
 */

const int64 = z.string().regex(/^-?\d+$/, 'expected an int64 as a decimal string');
const timestamp = z.iso.datetime({ offset: true });
const labels = z.record(z.string(), z.string());

const fileShareSchema = z.looseObject({
  name: z.string().min(1),
  capacityGb: int64,
  sourceBackup: z.string().optional(),
});

const instanceSchema = z.looseObject({
  name: z
    .string()
    .regex(/^projects\/[^/]+\/locations\/[^/]+\/instances\/[^/]+$/, 'expected an instance name'),
  tier: z.enum(INSTANCE_TIERS),
  state: z.enum(INSTANCE_STATES),
  // Filestore v1 allows exactly one share per instance; every rule here reads fileShares[0].
  fileShares: z.array(fileShareSchema).length(1),
});

const backupSchema = z.looseObject({
  name: z.string().regex(/^projects\/[^/]+\/locations\/[^/]+\/backups\/[^/]+$/, 'expected a backup name'),
  state: z.enum(BACKUP_STATES),
  createTime: timestamp,
  description: z.string().optional(),
  labels: labels.optional(),
  capacityGb: int64.optional(),
  storageBytes: int64.optional(),
  downloadBytes: int64.optional(),
  sourceInstance: z.string().optional(),
  sourceFileShare: z.string().optional(),
  sourceInstanceTier: z.enum(INSTANCE_TIERS).optional(),
});

const snapshotSchema = z.looseObject({
  name: z
    .string()
    .regex(
      /^projects\/[^/]+\/locations\/[^/]+\/instances\/[^/]+\/snapshots\/[^/]+$/,
      'expected a snapshot name',
    ),
  state: z.enum(SNAPSHOT_STATES),
  createTime: timestamp,
  description: z.string().optional(),
  labels: labels.optional(),
  filesystemUsedBytes: int64.optional(),
});

const rpcStatusSchema = z.looseObject({
  code: z.number().int(),
  message: z.string(),
  details: z.array(z.unknown()).optional(),
});

const operationSchema = z.looseObject({
  name: z
    .string()
    .regex(/^projects\/[^/]+\/locations\/[^/]+\/operations\/[^/]+$/, 'expected an operation name'),
  metadata: z.looseObject({
    '@type': z.string(),
    createTime: timestamp,
    endTime: timestamp.optional(),
    target: z.string(),
    verb: z.string(),
  }),
  done: z.boolean(),
  error: rpcStatusSchema.optional(),
  response: z.record(z.string(), z.unknown()).optional(),
});

const filestoreSeedSchema = z.looseObject({
  project: z.looseObject({
    projectId: z.string().min(1),
    projectNumber: z.string().regex(/^\d+$/),
  }),
  filestore: z.looseObject({
    instances: z.array(instanceSchema),
    backups: z.array(backupSchema).default([]),
    snapshots: z.array(snapshotSchema).default([]),
    operations: z.array(operationSchema).default([]),
  }),
});

const effectSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('backups.create'), location: z.string(), backupId: z.string() }),
  z.object({ kind: z.literal('backups.delete'), location: z.string(), backupId: z.string() }),
  z.object({
    kind: z.literal('instances.restore'),
    location: z.string(),
    instanceId: z.string(),
    sourceBackup: z.string(),
    fileShare: z.string(),
  }),
  z.object({
    kind: z.literal('snapshots.create'),
    location: z.string(),
    instanceId: z.string(),
    snapshotId: z.string(),
  }),
  z.object({
    kind: z.literal('snapshots.delete'),
    location: z.string(),
    instanceId: z.string(),
    snapshotId: z.string(),
  }),
]);

const operationRecordSchema = z.object({
  operation: operationSchema,
  dueAt: timestamp,
  effect: effectSchema.optional(),
  failure: rpcStatusSchema.optional(),
  lockedInstance: z.string().optional(),
  backupSource: z.string().optional(),
});

const stateSnapshotSchema = z.object({
  instances: z.array(instanceSchema),
  backups: z.array(backupSchema),
  snapshots: z.array(snapshotSchema),
  operations: z.array(operationRecordSchema),
});

/** What the service is seeded with: the project and the fixture's `filestore` block. Read-only. */
interface FilestoreSeed {
  project: FilestoreProject;
  instances: FilestoreInstance[];
  backups: FilestoreBackup[];
  snapshots: FilestoreSnapshot[];
  /** Historical operations, all done; also the source of operation durations. */
  operations: LongRunningOperation[];
}

/**
 * Validates the parts of a parsed fixture the Filestore service uses and returns a deep copy.
 *
 * @throws Error listing every invalid path, e.g. `filestore.instances[0].tier`.
 */
const parseFilestoreSeed = (fixture: unknown): FilestoreSeed => {
  const parsed = filestoreSeedSchema.safeParse(fixture);
  if (!parsed.success) throw new Error(`Invalid Filestore fixture:\n${z.prettifyError(parsed.error)}`);
  const { project, filestore } = parsed.data;
  return structuredClone({
    project: { projectId: project.projectId, projectNumber: project.projectNumber },
    instances: filestore.instances,
    backups: filestore.backups,
    snapshots: filestore.snapshots,
    operations: filestore.operations,
  });
};

/** Seeded operations are history: due when they ended, or when they started if no end is recorded. */
const seededOperationRecord = (operation: LongRunningOperation): FilestoreOperationRecord => ({
  operation,
  dueAt: operation.metadata.endTime ?? operation.metadata.createTime,
});

/** A fresh, independently mutable state from a seed. */
const createFilestoreState = (seed: FilestoreSeed): FilestoreState => {
  const copy = structuredClone(seed);
  return {
    instances: copy.instances,
    backups: copy.backups,
    snapshots: copy.snapshots,
    operations: copy.operations.map(seededOperationRecord),
  };
};

/**
 * Checks a snapshot taken with the service's `snapshot()` (possibly after a JSON round trip) and
 * returns a deep copy to use as the state.
 *
 * @throws Error listing every invalid path.
 */
const parseFilestoreStateSnapshot = (snapshot: unknown): FilestoreState => {
  const parsed = stateSnapshotSchema.safeParse(snapshot);
  if (!parsed.success) {
    throw new Error(`Invalid Filestore state snapshot:\n${z.prettifyError(parsed.error)}`);
  }
  return structuredClone(parsed.data);
};

export type { FilestoreSeed };
export { createFilestoreState, parseFilestoreSeed, parseFilestoreStateSnapshot };
