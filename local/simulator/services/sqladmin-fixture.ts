import { z } from 'zod';
import type {
  PitrLog,
  SqlAdminState,
  SqlBackupRun,
  SqlInstance,
  SqlOperation,
  SqlOperationRecord,
  SqlProject,
} from './sqladmin-model';
import {
  BACKUP_RUN_STATUSES,
  BACKUP_RUN_TYPES,
  INSTANCE_STATES,
  RETENTION_UNITS,
  SQL_OPERATION_STATUSES,
  SQL_OPERATION_TYPES,
} from './sqladmin-model';
import { DEFAULT_PITR_LAG_MS, freshPitrLog, isPitrEnabled } from './sqladmin-pitr';

/**
 * Reading the sqladmin part of the fixture (`project`, `meta.asOf` and `cloudSql`, with its
 * `x-sim` hints) and the service's own snapshots. The parts the service reads are checked once, at
 * creation, so a broken fixture fails naming the offending path instead of as a 500 mid-test.
 * Objects are loose: fields the simulator does not model are kept and served back as they are.
 */

const isoTime = z.iso.datetime({ offset: true });
/** int64 fields arrive as JSON strings (REST) but a hand-written fixture may use numbers. */
const int64 = z.union([z.string().regex(/^-?\d+$/), z.number().int()]).transform(String);

const backupConfigurationSchema = z.looseObject({
  enabled: z.boolean().optional(),
  startTime: z.string().optional(),
  binaryLogEnabled: z.boolean().optional(),
  pointInTimeRecoveryEnabled: z.boolean().optional(),
  transactionLogRetentionDays: z.number().int().optional(),
  location: z.string().optional(),
  backupRetentionSettings: z
    .looseObject({
      retainedBackups: z.number().int().optional(),
      retentionUnit: z.enum(RETENTION_UNITS).optional(),
    })
    .optional(),
});

const instanceSchema = z.looseObject({
  name: z.string().min(1),
  databaseVersion: z.string().min(1),
  state: z.enum(INSTANCE_STATES),
  region: z.string().optional(),
  createTime: isoTime.optional(),
  settings: z.looseObject({
    settingsVersion: int64,
    tier: z.string().optional(),
    activationPolicy: z.string().optional(),
    dataDiskSizeGb: int64.optional(),
    deletionProtectionEnabled: z.boolean().optional(),
    backupConfiguration: backupConfigurationSchema.optional(),
  }),
});

const backupRunSchema = z.looseObject({
  id: z.string().regex(/^\d+$/),
  instance: z.string().min(1),
  status: z.enum(BACKUP_RUN_STATUSES),
  type: z.enum(BACKUP_RUN_TYPES).optional(),
  enqueuedTime: isoTime,
  startTime: isoTime.optional(),
  endTime: isoTime.optional(),
  description: z.string().optional(),
  error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).optional(),
});

const operationErrorSchema = z.object({
  kind: z.literal('sql#operationError'),
  code: z.string(),
  message: z.string(),
});

const operationSchema = z.looseObject({
  kind: z.literal('sql#operation').default('sql#operation'),
  name: z.string().min(1),
  operationType: z.enum(SQL_OPERATION_TYPES),
  status: z.enum(SQL_OPERATION_STATUSES),
  targetId: z.string().min(1),
  insertTime: isoTime,
  startTime: isoTime.optional(),
  endTime: isoTime.optional(),
  backupContext: z.object({ kind: z.literal('sql#backupContext'), backupId: z.string() }).optional(),
  error: z
    .object({ kind: z.literal('sql#operationErrors'), errors: z.array(operationErrorSchema) })
    .optional(),
});

const recentlyDeletedSchema = z.object({ name: z.string().min(1), deletedAt: isoTime });

const fixtureSchema = z.looseObject({
  project: z.looseObject({ projectId: z.string().min(1), projectNumber: z.string().regex(/^\d+$/) }),
  meta: z.looseObject({ asOf: isoTime.optional() }).optional(),
  cloudSql: z.looseObject({
    instances: z.array(instanceSchema),
    backupRuns: z.record(z.string(), z.array(backupRunSchema)).default({}),
    operations: z.array(operationSchema).default([]),
    'x-sim': z
      .looseObject({
        pitrWindow: z.record(z.string(), z.object({ earliest: isoTime, latest: isoTime })).default({}),
        recentlyDeletedInstanceNames: z.array(recentlyDeletedSchema).default([]),
      })
      .default({ pitrWindow: {}, recentlyDeletedInstanceNames: [] }),
  }),
});

const pitrLogSchema = z.object({
  logStart: isoTime,
  spanMs: z.number().nonnegative(),
  lagMs: z.number().nonnegative(),
  notBefore: isoTime,
});

const effectSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('backup'), backupId: z.string() }),
  z.object({
    kind: z.literal('deleteBackup'),
    backupId: z.string(),
    previousStatus: z.enum(BACKUP_RUN_STATUSES),
  }),
  z.object({ kind: z.literal('restore'), sourceInstance: z.string(), backupId: z.string() }),
  z.object({ kind: z.literal('clone'), destination: z.string(), pointInTime: isoTime.optional() }),
  z.object({ kind: z.literal('patch'), settings: z.record(z.string(), z.unknown()) }),
]);

const snapshotSchema = z.object({
  instances: z.array(instanceSchema),
  backupRuns: z.record(z.string(), z.array(backupRunSchema)),
  operations: z.array(
    z.object({
      operation: operationSchema,
      startAt: isoTime,
      dueAt: isoTime,
      effect: effectSchema.optional(),
      failure: operationErrorSchema.optional(),
    }),
  ),
  pitrLogs: z.record(z.string(), pitrLogSchema),
  recentlyDeleted: z.array(recentlyDeletedSchema),
});

/** The validated sqladmin part of a fixture. Treat as read-only; the service copies it on reset. */
interface SqlAdminSeed {
  project: SqlProject;
  /** The state at the fixture's `asOf`; seeded operations are all history (due by then). */
  state: SqlAdminState;
}

/** Seeded operations are history: each is due when it ended (or started, or was inserted). */
const seededOperationRecord = (operation: SqlOperation): SqlOperationRecord => {
  const startAt = operation.startTime ?? operation.insertTime;
  return { operation, startAt, dueAt: operation.endTime ?? startAt };
};

const failValidation = (issues: string[]): never => {
  throw new Error(`Invalid simulator fixture (sqladmin):\n${issues.map((issue) => `✖ ${issue}`).join('\n')}`);
};

/**
 * Validates the parts of a parsed fixture the sqladmin service uses and builds its initial state.
 * PITR windows come from `cloudSql.x-sim.pitrWindow` (as of `meta.asOf`); an instance with PITR
 * on but no window there gets one that starts at its `createTime` (or `asOf`).
 *
 * @throws Error naming every offending path, e.g. `cloudSql.instances[0].state`, including
 *   references to instances the fixture does not define.
 */
const parseSqlAdminFixture = (fixture: unknown): SqlAdminSeed => {
  const parsed = fixtureSchema.safeParse(fixture);
  if (!parsed.success) {
    throw new Error(`Invalid simulator fixture (sqladmin):\n${z.prettifyError(parsed.error)}`);
  }
  const { project, meta, cloudSql } = structuredClone(parsed.data);
  const xSim = cloudSql['x-sim'];
  const instances = cloudSql.instances as SqlInstance[];
  const names = new Set(instances.map((instance) => instance.name));
  const issues: string[] = [];
  if (names.size !== instances.length) issues.push('Instance names repeat → at cloudSql.instances');
  for (const [instance, runs] of Object.entries(cloudSql.backupRuns)) {
    if (!names.has(instance)) issues.push(`No such instance → at cloudSql.backupRuns.${instance}`);
    runs.forEach((run, index) => {
      if (run.instance !== instance) {
        issues.push(
          `Run of another instance (${run.instance}) → at cloudSql.backupRuns.${instance}[${index}]`,
        );
      }
    });
    if (new Set(runs.map((run) => run.id)).size !== runs.length) {
      issues.push(`Backup run ids repeat → at cloudSql.backupRuns.${instance}`);
    }
  }
  for (const [instance, window] of Object.entries(xSim.pitrWindow)) {
    if (!names.has(instance)) issues.push(`No such instance → at cloudSql.x-sim.pitrWindow.${instance}`);
    if (Date.parse(window.earliest) > Date.parse(window.latest)) {
      issues.push(`earliest is after latest → at cloudSql.x-sim.pitrWindow.${instance}`);
    }
  }
  if (issues.length > 0) failValidation(issues);

  const pitrLogs: Record<string, PitrLog> = {};
  for (const instance of instances) {
    const window = xSim.pitrWindow[instance.name];
    if (window) {
      const latestMs = Date.parse(window.latest);
      const asOfMs = meta?.asOf === undefined ? latestMs + DEFAULT_PITR_LAG_MS : Date.parse(meta.asOf);
      pitrLogs[instance.name] = {
        logStart: window.earliest,
        spanMs: Math.max(0, asOfMs - Date.parse(window.earliest)),
        lagMs: Math.max(0, asOfMs - latestMs),
        notBefore: new Date(asOfMs).toISOString(),
      };
    } else if (isPitrEnabled(instance)) {
      const since = instance.createTime ?? meta?.asOf;
      if (since !== undefined) pitrLogs[instance.name] = freshPitrLog(instance, since);
    }
  }
  const backupRuns: Record<string, SqlBackupRun[]> = {};
  for (const instance of instances) backupRuns[instance.name] = cloudSql.backupRuns[instance.name] ?? [];

  return {
    project: { projectId: project.projectId, projectNumber: project.projectNumber },
    state: {
      instances,
      backupRuns,
      operations: (cloudSql.operations as SqlOperation[]).map(seededOperationRecord),
      pitrLogs,
      recentlyDeleted: xSim.recentlyDeletedInstanceNames,
    },
  };
};

/**
 * Checks a snapshot taken by the service's `snapshot()` (possibly after a JSON round trip) and
 * returns a private copy of it as state.
 *
 * @throws Error naming every offending path.
 */
const parseSqlAdminSnapshot = (snapshot: unknown): SqlAdminState => {
  const parsed = snapshotSchema.safeParse(snapshot);
  if (!parsed.success) throw new Error(`Invalid sqladmin snapshot:\n${z.prettifyError(parsed.error)}`);
  return structuredClone(parsed.data) as SqlAdminState;
};

export type { SqlAdminSeed };
export { parseSqlAdminFixture, parseSqlAdminSnapshot };
