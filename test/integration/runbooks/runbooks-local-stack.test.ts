import type { PlatformApis } from '../../../shared/operations';
import { ManualClock } from '../../../shared/time';
import { fixtureWithDirectoryUsers } from '../../helpers/factories';
import { platformApisFor } from '../../helpers/platform-apis';
import { RUNBOOK_APPROVER, type RunbookDriver, startRunbookDriver } from '../../helpers/runbook-driver';

/**
 * Every runbook's happy path on the local stack, on the seeded fixture: executions started through
 * the official Workflows clients (as `opsplane runbook start` starts them) on the local Workflows
 * API, each step an ops-api command carried out by the functions against the platform simulator,
 * outcomes back through callbacks, A3 steps approved by an approver. What happened is read from the
 * Executions API, the ledger and the simulated platform.
 */

const PROJECT = 'acme-ml-prod';
const KFP_SQL = 'acme-kfp-mysql-7f3a9c1e';
const KFP_BACKUP_RUN = '1748833200000';
const NEW_HIRE = 'nina.berg@acme.ai';
const CI_TERRAFORM = 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com';
const METAFLOW_GSA = 'gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com';
const KF_HOME = { projectId: PROJECT, location: 'us-central1-a', instance: 'acme-kf-home' };
const KF_HOME_BACKUP = 'acme-kf-home-daily-20250530';

let local: RunbookDriver;
let apis: PlatformApis;

/** Every policy binding that names `member`, as `role` strings. */
const rolesOf = async (member: string): Promise<string[]> => {
  const policy = await apis.iam.getPolicy({ kind: 'project', projectId: PROJECT });
  return policy.bindings.filter((b) => b.members.includes(member)).map((b) => b.role);
};

const requestCount = (route: string): number =>
  local.simulator.requestLog.entries().filter((entry) => entry.route === route).length;

beforeAll(async () => {
  // Cloud Identity (the simulator's directory) also knows a new hire who holds nothing yet.
  local = await startRunbookDriver({ fixture: fixtureWithDirectoryUsers([NEW_HIRE]) });
  apis = platformApisFor(local.simulator, new ManualClock('2026-01-01T00:00:00Z'));
});

afterAll(async () => {
  await local?.stop();
});

beforeEach(() => {
  // Each runbook on the fixture as seeded (Filestore, for one, allows one backup or restore per
  // instance every 10 minutes: offboarding backs up acme-kf-home, filestore-restore restores it).
  local.simulator.reset();
  local.simulator.requestLog.clear();
});

describe('the runbooks end to end on the local stack', () => {
  it('onboard-user gives a directory user their project roles and a profile, and reports them', async () => {
    // Prepare
    expect(await rolesOf(`user:${NEW_HIRE}`)).toEqual([]);
    // Act
    const started = await local.start('onboard-user', {
      email: NEW_HIRE,
      role: 'data-scientist',
      team: 'vision',
    });
    const ended = await local.finished(started);
    // Assert
    expect(ended.state).toBe('SUCCEEDED');
    expect(ended.result).toMatchObject({
      email: NEW_HIRE,
      role: 'data-scientist',
      team: 'vision',
      operationId: local.operationIdOf(started, 'add_user'),
      profile: 'nina-berg',
      namespace: 'nina-berg',
    });
    expect(await rolesOf(`user:${NEW_HIRE}`)).toContain('roles/container.clusterViewer');
    expect((await apis.kubeflow.getProfile('nina-berg')).ownerEmail).toBe(NEW_HIRE);
    const operations = await local.operationsOf(started);
    expect(operations.map((op) => [op.type, op.status, op.actor])).toEqual([
      ['user.add', 'succeeded', 'runbook:onboard-user'],
    ]);
  });

  it('offboard-user revokes access first, and deletes the profile only once an approver approves', async () => {
    // Prepare
    const liam = 'user:liam.obrien@acme.ai';
    expect(await rolesOf(liam)).not.toEqual([]);
    const oldKeys = (await apis.iam.listKeys(METAFLOW_GSA)).map((key) => key.id);
    // Act
    const started = await local.start('offboard-user', {
      email: 'liam.obrien@acme.ai',
      keyGraceHours: 0,
      homeBackupInstance: 'acme-kf-home',
    });
    const pending = await local.pendingApproval(started, 'delete_profiles');
    const rolesWhileWaiting = await rolesOf(liam);
    const profileWhileWaiting = await apis.kubeflow.getProfile('liam-obrien');
    await local.approve(pending.id);
    const ended = await local.finished(started);
    // Assert
    expect(rolesWhileWaiting).toEqual([]);
    expect(profileWhileWaiting.ownerEmail).toBe('liam.obrien@acme.ai');
    expect(ended.state).toBe('SUCCEEDED');
    const revoke = await local.ledger.get(local.operationIdOf(started, 'revoke_access'));
    expect(revoke).toMatchObject({ type: 'user.remove', status: 'succeeded', args: { keepProfile: true } });
    expect(revoke?.approval).toBeUndefined();
    expect(Date.parse(revoke?.finishedAt ?? '')).toBeLessThanOrEqual(Date.parse(pending.createdAt));
    expect(await local.ledger.get(pending.id)).toMatchObject({
      status: 'succeeded',
      approval: { decision: 'granted', approver: RUNBOOK_APPROVER },
    });
    await expect(apis.kubeflow.getProfile('liam-obrien')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const keys = (ended.result as { keys: Array<{ serviceAccount: string; newKeyId: string }> }).keys;
    expect(keys).toEqual([
      expect.objectContaining({ serviceAccount: METAFLOW_GSA, newKeyId: expect.any(String) }),
    ]);
    const keysNow = (await apis.iam.listKeys(METAFLOW_GSA)).map((key) => key.id);
    expect(keysNow).toContain(keys[0]?.newKeyId);
    expect(keysNow.filter((id) => oldKeys.includes(id))).toEqual([]);
    const homeBackup = await local.ledger.get(local.operationIdOf(started, 'home_backup'));
    expect(homeBackup).toMatchObject({ type: 'filestore.backup', status: 'succeeded' });
    expect(Date.parse(homeBackup?.finishedAt ?? '')).toBeLessThanOrEqual(Date.parse(pending.createdAt));
    expect(ended.result).toMatchObject({
      email: 'liam.obrien@acme.ai',
      homeBackup: expect.stringContaining('acme-kf-home'),
      revoked: { operationId: revoke?.id },
      profiles: { operationId: pending.id, deleted: expect.arrayContaining(['liam-obrien']) },
      heldKeysNotRotated: [],
    });
  });

  it('sql-restore takes a safety backup, waits for approval, restores and verifies the instance', async () => {
    // Prepare
    const runsBefore = (await apis.sql.listBackupRuns({ projectId: PROJECT, instance: KFP_SQL })).length;
    // Act
    const started = await local.start('sql-restore', { instance: KFP_SQL, backupId: KFP_BACKUP_RUN });
    const pending = await local.pendingApproval(started, 'restore');
    const restoresBeforeApproval = requestCount('sql.instances.restoreBackup');
    await local.approve(pending.id);
    const ended = await local.finished(started);
    // Assert
    expect(restoresBeforeApproval).toBe(0);
    expect(ended.state).toBe('SUCCEEDED');
    const executionId = started.name.split('/').pop();
    expect(ended.result).toMatchObject({
      instance: KFP_SQL,
      safetyBackup: {
        operationId: local.operationIdOf(started, 'safety_backup'),
        backupRunId: expect.any(String),
      },
      restore: { operationId: pending.id },
      state: 'RUNNABLE',
    });
    expect(requestCount('sql.instances.restoreBackup')).toBe(1);
    const runs = await apis.sql.listBackupRuns({ projectId: PROJECT, instance: KFP_SQL });
    const { safetyBackup } = ended.result as { safetyBackup: { backupRunId: string; description: string } };
    expect(safetyBackup.description).toMatch(new RegExp(`^pre-restore-${executionId}\\b`));
    expect(runs.find((run) => run.id === safetyBackup.backupRunId)).toMatchObject({
      status: 'SUCCESSFUL',
      type: 'ON_DEMAND',
      description: safetyBackup.description,
    });
    // Its safety backup, and the restore operation's own.
    expect(runs).toHaveLength(runsBefore + 2);
    expect((await apis.sql.getInstance({ projectId: PROJECT, instance: KFP_SQL })).state).toBe('RUNNABLE');
    expect(requestCount('sql.instances.get')).toBeGreaterThan(0);
  });

  it('sql-pitr-clone clones an instance at a point in time and returns the cut-over steps', async () => {
    // Prepare: the recovery window slides with the clock, so an hour ago is inside it.
    const pointInTime = new Date(Date.now() - 3_600_000).toISOString();
    // Act
    const started = await local.start('sql-pitr-clone', {
      instance: 'acme-metaflow-pg-2',
      pointInTime,
      targetInstance: 'acme-metaflow-pg-pitr-e2e',
    });
    const ended = await local.finished(started);
    // Assert
    expect(ended.state).toBe('SUCCEEDED');
    expect(ended.result).toMatchObject({
      source: 'acme-metaflow-pg-2',
      instance: 'acme-metaflow-pg-pitr-e2e',
      pointInTime,
      operationId: local.operationIdOf(started, 'clone'),
      state: 'RUNNABLE',
      databaseVersion: 'POSTGRES_14',
      cutover: {
        connectionName: 'acme-ml-prod:us-central1:acme-metaflow-pg-pitr-e2e',
        steps: expect.arrayContaining([expect.stringContaining('acme-metaflow-pg-pitr-e2e')]),
      },
    });
    const clone = await apis.sql.getInstance({ projectId: PROJECT, instance: 'acme-metaflow-pg-pitr-e2e' });
    expect(clone).toMatchObject({ state: 'RUNNABLE', databaseVersion: 'POSTGRES_14' });
    expect(requestCount('sql.instances.clone')).toBe(1);
  });

  it('filestore-restore restores a backup onto its instance once approved, after a safety backup', async () => {
    // Act
    const started = await local.start('filestore-restore', {
      instance: 'acme-kf-home',
      backup: KF_HOME_BACKUP,
    });
    const pending = await local.pendingApproval(started, 'restore');
    const restoresBeforeApproval = requestCount('file.projects.locations.instances.restore');
    await local.approve(pending.id);
    const ended = await local.finished(started);
    // Assert
    expect(restoresBeforeApproval).toBe(0);
    expect(ended.state).toBe('SUCCEEDED');
    expect(ended.result).toMatchObject({
      instance: 'acme-kf-home',
      share: 'kfhome',
      operationId: pending.id,
      state: 'READY',
      restoredFrom: expect.stringContaining(KF_HOME_BACKUP),
      safetyBackup: expect.anything(),
    });
    const instance = await apis.filestore.getInstance(KF_HOME);
    expect(instance.state).toBe('READY');
    expect(instance.shares[0]?.sourceBackup).toContain(KF_HOME_BACKUP);
  });

  it('key-rotation with no grace stores the new key and retires the old ones', async () => {
    // Prepare
    const oldKeys = (await apis.iam.listKeys(CI_TERRAFORM)).map((key) => key.id);
    // Act
    const started = await local.start('key-rotation', { serviceAccount: CI_TERRAFORM, graceHours: 0 });
    const ended = await local.finished(started);
    // Assert
    expect(ended.state).toBe('SUCCEEDED');
    const result = ended.result as { newKeyId: string; deletedKeyIds: string[] };
    expect(result).toMatchObject({
      serviceAccount: CI_TERRAFORM,
      operationId: local.operationIdOf(started, 'rotate'),
      newKeyId: expect.any(String),
      secretId: expect.any(String),
    });
    expect([...result.deletedKeyIds].sort()).toEqual([...oldKeys].sort());
    expect((await apis.iam.listKeys(CI_TERRAFORM)).map((key) => key.id)).toEqual([result.newKeyId]);
  });
});
