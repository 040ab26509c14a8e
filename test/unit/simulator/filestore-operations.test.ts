import { defaultFixturePath, loadFixture } from '../../../local/simulator/fixture';
import {
  createFilestoreState,
  parseFilestoreSeed,
} from '../../../local/simulator/services/filestore-fixture';
import type { FilestoreState, LongRunningOperation } from '../../../local/simulator/services/filestore-model';
import { findBackup, findInstance } from '../../../local/simulator/services/filestore-model';
import {
  DEFAULT_FILESTORE_OPERATION_DURATIONS_MS,
  deriveFilestoreOperationDurations,
  formatFilestoreOperationId,
  operationKindOf,
  runningInstanceLock,
  settleFilestoreOperations,
  startFilestoreOperation,
} from '../../../local/simulator/services/filestore-operations';
import { silentLogger } from '../../../shared/logging';

const SEED = parseFilestoreSeed(loadFixture(defaultFixturePath()));
const DURATIONS = deriveFilestoreOperationDurations(SEED.operations);
const START = new Date('2026-03-02T04:00:00Z');
const SUFFIX = '0123456789abcdef0123456789abc';
const REGION = 'us-central1';
const ZONE = 'us-central1-a';

/** Puts a CREATING backup in the state and starts its operation, as the create handler does. */
const startBackup = (
  state: FilestoreState,
  backupId: string,
  timeScale = 1,
  failure?: { code: number; message: string },
) => {
  state.backups.push({
    name: `projects/734118209551/locations/${REGION}/backups/${backupId}`,
    state: 'CREATING',
    createTime: START.toISOString(),
    capacityGb: '1024',
    sourceInstance: `projects/734118209551/locations/${ZONE}/instances/acme-kf-home`,
  });
  return startFilestoreOperation({
    state,
    projectId: 'acme-ml-prod',
    location: REGION,
    now: START,
    timeScale,
    durations: DURATIONS,
    effect: { kind: 'backups.create', location: REGION, backupId },
    target: `projects/acme-ml-prod/locations/${REGION}/backups/${backupId}`,
    verb: 'create',
    lockedInstance: `${ZONE}/acme-kf-home`,
    suffixHex: SUFFIX,
    ...(failure ? { failure } : {}),
  });
};

const historical = (createTime: string, endTime: string, extra: Partial<LongRunningOperation> = {}) => ({
  name: 'projects/p/locations/us-central1/operations/operation-1',
  metadata: {
    '@type': 'type.googleapis.com/google.cloud.common.OperationMetadata',
    createTime,
    endTime,
    target: 'projects/p/locations/us-central1/backups/b',
    verb: 'create',
  },
  done: true,
  ...extra,
});

const kindOf = (target: string, verb: string) => {
  const operation = historical('2025-01-01T00:00:00Z', '2025-01-01T00:01:00Z');
  return operationKindOf({ ...operation, metadata: { ...operation.metadata, target, verb } });
};

describe('filestore-operations', () => {
  it('derives the backup duration from the fixture history in whole seconds, defaults elsewhere', () => {
    // Act
    const durations = deriveFilestoreOperationDurations(SEED.operations);

    // Assess
    expect(durations).toEqual({ ...DEFAULT_FILESTORE_OPERATION_DURATIONS_MS, 'backups.create': 1_111_000 });
  });

  it('ignores failed historical operations when deriving durations', () => {
    // Prepare
    const failed = historical('2025-01-01T00:00:00Z', '2025-01-01T00:00:05Z', {
      error: { code: 13, message: 'boom' },
    });

    // Act
    const durations = deriveFilestoreOperationDurations([failed]);

    // Assess
    expect(durations['backups.create']).toBe(DEFAULT_FILESTORE_OPERATION_DURATIONS_MS['backups.create']);
  });

  it('tells operation kinds apart by target and verb', () => {
    // Act
    const kinds = [
      kindOf('projects/p/locations/r/backups/b', 'delete'),
      kindOf('projects/p/locations/z/instances/i', 'restore'),
      kindOf('projects/p/locations/z/instances/i/snapshots/s', 'create'),
      kindOf('projects/p/locations/z/instances/i', 'update'),
    ];

    // Assess
    expect(kinds).toEqual(['backups.delete', 'instances.restore', 'snapshots.create', undefined]);
  });

  it('names operations as the fixture history does', () => {
    // Act
    const id = formatFilestoreOperationId(1748577631220, '5f0a1b2c3d4e56f7a8b9c0d1e2f3a');

    // Assess
    expect(id).toBe('operation-1748577631220-5f0a1b2c3d4e5-6f7a8b9c-0d1e2f3a');
  });

  it('starts an operation not done, with typed metadata, holding the instance', () => {
    // Prepare
    const state = createFilestoreState(SEED);

    // Act
    const operation = startBackup(state, 'b1');

    // Assess
    expect(operation).toEqual({
      name: `projects/acme-ml-prod/locations/${REGION}/operations/${formatFilestoreOperationId(START.getTime(), SUFFIX)}`,
      metadata: {
        '@type': 'type.googleapis.com/google.cloud.common.OperationMetadata',
        createTime: START.toISOString(),
        target: `projects/acme-ml-prod/locations/${REGION}/backups/b1`,
        verb: 'create',
        cancelRequested: false,
        apiVersion: 'v1',
      },
      done: false,
    });
    expect(runningInstanceLock(state, `${ZONE}/acme-kf-home`)?.operation.name).toBe(operation.name);
    expect(state.operations.at(-1)?.dueAt).toBe(new Date(START.getTime() + 1_111_000).toISOString());
  });

  it('makes an operation due at once at time scale 0', () => {
    // Prepare
    const state = createFilestoreState(SEED);

    // Act
    startBackup(state, 'b1', 0);

    // Assess
    expect(state.operations.at(-1)?.dueAt).toBe(START.toISOString());
  });

  it('finishes a due backup READY with the previous backup sizes, exactly once', () => {
    // Prepare
    const state = createFilestoreState(SEED);
    startBackup(state, 'b1');
    settleFilestoreOperations(state, new Date(START.getTime() + 1_110_999), silentLogger);
    const stillCreating = findBackup(state, REGION, 'b1')?.state;

    // Act
    settleFilestoreOperations(state, new Date(START.getTime() + 1_111_000), silentLogger);
    const first = structuredClone(state.operations.at(-1));
    settleFilestoreOperations(state, new Date(START.getTime() + 9_999_999), silentLogger);

    // Assess
    expect(stillCreating).toBe('CREATING');
    expect(findBackup(state, REGION, 'b1')).toMatchObject({
      state: 'READY',
      storageBytes: '412331902976',
      downloadBytes: '420578541035',
    });
    expect(first?.operation).toMatchObject({
      done: true,
      metadata: { endTime: new Date(START.getTime() + 1_111_000).toISOString() },
      response: { '@type': 'type.googleapis.com/google.cloud.filestore.v1.Backup', state: 'READY' },
    });
    expect(first?.operation.error).toBeUndefined();
    expect(state.operations.at(-1)).toEqual(first);
  });

  it('ends a failed backup with its error, removing the backup and releasing the instance', () => {
    // Prepare
    const state = createFilestoreState(SEED);
    startBackup(state, 'b1', 1, { code: 13, message: 'Backup upload failed.' });

    // Act
    settleFilestoreOperations(state, new Date(START.getTime() + 1_111_000), silentLogger);

    // Assess
    const operation = state.operations.at(-1)?.operation;
    expect(operation).toMatchObject({ done: true, error: { code: 13, message: 'Backup upload failed.' } });
    expect(operation?.response).toBeUndefined();
    expect(findBackup(state, REGION, 'b1')).toBeUndefined();
    expect(runningInstanceLock(state, `${ZONE}/acme-kf-home`)).toBeUndefined();
  });

  it('puts an instance back to READY, unrestored, when its restore fails', () => {
    // Prepare
    const state = createFilestoreState(SEED);
    const instance = findInstance(state, ZONE, 'acme-kf-home');
    if (instance) instance.state = 'RESTORING';
    startFilestoreOperation({
      state,
      projectId: 'acme-ml-prod',
      location: ZONE,
      now: START,
      timeScale: 0,
      durations: DURATIONS,
      effect: {
        kind: 'instances.restore',
        location: ZONE,
        instanceId: 'acme-kf-home',
        sourceBackup: 'projects/acme-ml-prod/locations/us-central1/backups/acme-kf-home-daily-20250530',
        fileShare: 'kfhome',
      },
      target: instance?.name ?? '',
      verb: 'restore',
      failure: { code: 9, message: 'nope' },
    });

    // Act
    settleFilestoreOperations(state, START, silentLogger);

    // Assess
    expect(instance?.state).toBe('READY');
    expect(instance?.fileShares[0]?.sourceBackup).toBeUndefined();
    expect(state.operations.at(-1)?.operation.error?.code).toBe(9);
  });
});
