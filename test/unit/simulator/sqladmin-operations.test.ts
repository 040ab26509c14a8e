import { defaultFixturePath, loadFixture } from '../../../local/simulator/fixture';
import { parseSqlAdminFixture } from '../../../local/simulator/services/sqladmin-fixture';
import type { SqlAdminState, SqlOperationEffect } from '../../../local/simulator/services/sqladmin-model';
import {
  DEFAULT_SQL_OPERATION_TIMINGS,
  deriveSqlOperationTimings,
  newBackupRunId,
  operationErrorFrom,
  runningOperationOn,
  settleSqlOperations,
  startSqlOperation,
} from '../../../local/simulator/services/sqladmin-operations';
import { silentLogger } from '../../../shared/logging';

const SEED = parseSqlAdminFixture(loadFixture(defaultFixturePath()));
const TIMINGS = deriveSqlOperationTimings(SEED.state.operations.map((record) => record.operation));
const START = new Date('2025-06-02T08:00:00Z');
const KFP = 'acme-kfp-mysql-7f3a9c1e';

const at = (ms: number): Date => new Date(START.getTime() + ms);

const start = (state: SqlAdminState, effect: SqlOperationEffect, timeScale = 1) =>
  startSqlOperation({
    state,
    project: SEED.project,
    now: START,
    timeScale,
    timings: TIMINGS,
    operationType: effect.kind === 'patch' ? 'UPDATE' : 'CLONE',
    instance: KFP,
    effect,
    name: '00000000-0000-4000-8000-000000000001',
  });

describe('sqladmin-operations', () => {
  it('derives the backup duration and the queueing delay from the fixture history in whole seconds', () => {
    // Act
    const timings = deriveSqlOperationTimings(SEED.state.operations.map((record) => record.operation));

    // Assess
    expect(timings.pendingMs).toBe(2_000);
    expect(timings.runMs).toEqual({ ...DEFAULT_SQL_OPERATION_TIMINGS.runMs, BACKUP_VOLUME: 267_000 });
  });

  it('starts PENDING with Cloud SQL links and locks the instance', () => {
    // Prepare
    const state = structuredClone(SEED.state);

    // Act
    const operation = start(state, { kind: 'patch', settings: {} });

    // Assess
    expect(operation).toEqual({
      kind: 'sql#operation',
      name: '00000000-0000-4000-8000-000000000001',
      operationType: 'UPDATE',
      status: 'PENDING',
      targetId: KFP,
      targetProject: 'acme-ml-prod',
      targetLink: `https://sqladmin.googleapis.com/v1/projects/acme-ml-prod/instances/${KFP}`,
      selfLink: `https://sqladmin.googleapis.com/v1/projects/acme-ml-prod/operations/${operation.name}`,
      insertTime: START.toISOString(),
    });
    expect(runningOperationOn(state, KFP)?.operation.name).toBe(operation.name);
    expect(runningOperationOn(state, 'acme-metaflow-pg-2')).toBeUndefined();
  });

  it('goes RUNNING after the queueing delay and DONE after the run time, scaled by the time scale', () => {
    // Prepare
    const state = structuredClone(SEED.state);
    start(state, { kind: 'patch', settings: { deletionProtectionEnabled: false } }, 0.5);
    const record = state.operations.at(-1);

    // Act
    settleSqlOperations(state, SEED.project, at(999), silentLogger);
    const beforeStart = record?.operation.status;
    settleSqlOperations(state, SEED.project, at(1_000), silentLogger);
    const started = record?.operation.status;
    settleSqlOperations(state, SEED.project, at(1_000 + 30_000), silentLogger);

    // Assess
    expect([beforeStart, started, record?.operation.status]).toEqual(['PENDING', 'RUNNING', 'DONE']);
    expect(record?.operation).toMatchObject({
      startTime: at(1_000).toISOString(),
      endTime: at(31_000).toISOString(),
    });
    expect(state.instances[0]?.settings).toMatchObject({
      settingsVersion: '15',
      deletionProtectionEnabled: false,
    });
  });

  it('finishes at once at time scale 0 and applies its effect exactly once', () => {
    // Prepare
    const state = structuredClone(SEED.state);
    start(state, { kind: 'clone', destination: 'acme-kfp-copy' }, 0);

    // Act
    settleSqlOperations(state, SEED.project, START, silentLogger);
    settleSqlOperations(state, SEED.project, at(60_000), silentLogger);

    // Assess
    expect(state.instances.filter((instance) => instance.name === 'acme-kfp-copy')).toHaveLength(1);
    expect(state.instances.at(-1)).toMatchObject({
      name: 'acme-kfp-copy',
      state: 'RUNNABLE',
      createTime: START.toISOString(),
      connectionName: 'acme-ml-prod:us-central1:acme-kfp-copy',
    });
    expect(state.instances.at(-1)?.ipAddresses).toBeUndefined();
    expect(state.pitrLogs['acme-kfp-copy']?.logStart).toBe(START.toISOString());
    expect(state.operations.at(-1)?.effect).toBeUndefined();
  });

  it('numbers backup runs by enqueue second and moves past a clash', () => {
    // Prepare
    const state = structuredClone(SEED.state);
    const first = newBackupRunId(state, KFP, new Date('2025-06-02T08:00:00.400Z'));
    state.backupRuns[KFP]?.push({
      id: first,
      instance: KFP,
      status: 'ENQUEUED',
      enqueuedTime: START.toISOString(),
    });

    // Act
    const second = newBackupRunId(state, KFP, new Date('2025-06-02T08:00:00.900Z'));

    // Assess
    expect(first).toBe('1748851200000');
    expect(second).toBe('1748851200001');
  });

  it.each([
    [13, 'INTERNAL_ERROR'],
    [8, 'RESOURCE_EXHAUSTED'],
    [9, 'FAILED_PRECONDITION'],
  ])('names injected gRPC code %i %s in the operation error', (code, name) => {
    // Act
    const error = operationErrorFrom({ code, message: 'boom' });

    // Assess
    expect(error).toEqual({ kind: 'sql#operationError', code: name, message: 'boom' });
  });
});
