import { COMMAND_TYPES } from '../../../shared/commands';
import type { OperationRecord } from '../../../shared/ledger';
import { ManualClock } from '../../../shared/time';
import { fixtureWithDirectoryUsers } from '../../helpers/factories';
import { type LocalStackDriver, startLocalStackDriver } from '../../helpers/local-stack-driver';
import { platformApisFor } from '../../helpers/platform-apis';

/**
 * Every command of the catalog through the real path: published on ops-commands (Pub/Sub
 * emulator), pushed to the opsCommand function, recorded in the ledger (Firestore emulator),
 * carried out against the platform simulator; approvals as commands from a second approver.
 */

const REQUESTER = 'user:sofia.rossi@acme.ai'; // platform team: every permission, not an approver
const APPROVER = 'user:maria.chen@acme.ai';
const OTHER_APPROVER = 'user:dev.patel@acme.ai';
const KFP_SQL = 'acme-kfp-mysql-7f3a9c1e';

let driver: LocalStackDriver;

const command = (type: string, args: Record<string, unknown>, actor = REQUESTER) => ({
  type,
  args,
  actor,
  reason: 'end-to-end test of the operations catalog',
});

/** Requests, gets it approved by another approver, and waits for the outcome. */
const approved = async (type: string, args: Record<string, unknown>) => {
  const id = await driver.send(command(type, args));
  await driver.until(id, ['pending_approval']);
  const grant = await driver.send(
    command('approval.grant', { operationId: id, comment: 'looks right' }, APPROVER),
  );
  expect((await driver.until(grant)).status).toBe('succeeded');
  return driver.until(id);
};

/** The outcome as status and error, so that a failed expectation shows why the operation ended. */
const outcomeOf = (record: OperationRecord) => ({ status: record.status, error: record.error?.message });

const mutatingCalls = (service: string) =>
  driver.stack.simulator.requestLog
    .entries()
    .filter((entry) => entry.method !== 'GET' && (entry.route ?? '').startsWith(service));

beforeAll(async () => {
  // Cloud Identity (the simulator's directory) also knows a new hire who holds nothing yet.
  driver = await startLocalStackDriver({ fixture: fixtureWithDirectoryUsers(['nina.berg@acme.ai']) });
});

afterAll(async () => {
  await driver?.stop();
});

beforeEach(() => {
  driver.stack.simulator.reset();
  driver.stack.simulator.requestLog.clear();
});

describe('the operations catalog end to end', () => {
  it('adds a user with project roles, IAP access and a profile, and records them in desired state', async () => {
    // Act
    const id = await driver.send(
      command('user.add', { email: 'nina.berg@acme.ai', role: 'data-scientist', team: 'vision' }),
    );
    const record = await driver.until(id);
    // Assert
    expect(outcomeOf(record)).toEqual({ status: 'succeeded' });
    const apis = platformApisFor(driver.stack.simulator, new ManualClock('2026-01-01T00:00:00Z'));
    const policy = await apis.iam.getPolicy({ kind: 'project', projectId: 'acme-ml-prod' });
    expect(
      policy.bindings.some(
        (b) => b.role === 'roles/container.clusterViewer' && b.members.includes('user:nina.berg@acme.ai'),
      ),
    ).toBe(true);
    expect((await apis.kubeflow.getProfile('nina-berg')).ownerEmail).toBe('nina.berg@acme.ai');
  });

  it('removes a departed user everywhere only after approval, and lists what was removed', async () => {
    // Act
    const record = await approved('user.remove', { email: 'liam.obrien@acme.ai' });
    // Assert
    expect(record).toMatchObject({
      status: 'succeeded',
      approval: { decision: 'granted', approver: APPROVER },
    });
    const apis = platformApisFor(driver.stack.simulator, new ManualClock('2026-01-01T00:00:00Z'));
    const project = await apis.iam.getPolicy({ kind: 'project', projectId: 'acme-ml-prod' });
    expect(JSON.stringify(project.bindings)).not.toContain('liam.obrien@acme.ai');
    expect(await apis.kubeflow.listContributorBindings('liam.obrien@acme.ai')).toEqual([]);
    expect(JSON.stringify(record.result)).toContain('roles/editor');
  });

  it('never touches the instance for an unapproved restore, refuses the requester as approver, and ends a denied one rejected', async () => {
    // Prepare: maria asks; she is an approver, but not of her own request.
    const id = await driver.send(
      command('sql.restore', { instance: KFP_SQL, backupId: '1748833200000' }, APPROVER),
    );
    await driver.until(id, ['pending_approval']);
    // Act
    const selfGrant = await driver.send(command('approval.grant', { operationId: id }, APPROVER));
    const selfOutcome = await driver.until(selfGrant);
    const deny = await driver.send(
      command('approval.deny', { operationId: id, comment: 'restore into a clone first' }, OTHER_APPROVER),
    );
    await driver.until(deny);
    const record = await driver.until(id);
    // Assert
    expect(selfOutcome).toMatchObject({ status: 'rejected', error: { code: 'PERMISSION_DENIED' } });
    expect(record).toMatchObject({ status: 'rejected', error: { code: 'APPROVAL_DENIED' } });
    expect(mutatingCalls('sql.')).toEqual([]);
    expect(
      driver.stack.simulator.requestLog.entries().filter((e) => e.route?.startsWith('sql.')).length,
    ).toBeGreaterThan(0);
  });

  it('restores a Cloud SQL backup once approved, after a safety backup', async () => {
    // Act
    const record = await approved('sql.restore', { instance: KFP_SQL, backupId: '1748833200000' });
    // Assert
    expect(record.status).toBe('succeeded');
    expect(record.googleOperations.map((op) => op.step)).toEqual(
      expect.arrayContaining(['safetyBackup', 'restore']),
    );
  });

  it.each([
    ['sql.backup', { instance: KFP_SQL, description: 'pre-upgrade-OPS-999' }],
    ['sql.backups.prune', { instance: KFP_SQL }],
    [
      'sql.clone',
      {
        instance: 'acme-metaflow-pg-2',
        // The recovery window slides with the clock: an hour ago is inside it.
        pointInTime: new Date(Date.now() - 3_600_000).toISOString(),
        targetInstance: 'acme-metaflow-pg-pitr-e2e',
      },
    ],
    ['filestore.backup', { instance: 'acme-kf-home' }],
    ['filestore.snapshot', { instance: 'acme-datasets' }],
    ['filestore.backups.prune', { instance: 'acme-kf-home' }],
    ['keys.rotate', { serviceAccount: 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com', graceHours: 0 }],
    ['keys.prune', { serviceAccount: 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com' }],
    ['user.role.set', { email: 'grace.kim@acme.ai', role: 'data-scientist' }],
    ['gpu.autoscaling.set', { min: 0, max: 2 }],
  ])('runs %s end to end', async (type, args) => {
    // Act
    const record = await driver.until(await driver.send(command(type, args)));
    // Assert
    expect(outcomeOf(record)).toEqual({ status: 'succeeded' });
    expect(record).toMatchObject({ type, actor: REQUESTER });
    expect(record.plan?.summary).toEqual(expect.any(String));
  });

  it('restores a Filestore backup once approved', async () => {
    // Act
    const record = await approved('filestore.restore', {
      instance: 'acme-kf-home',
      backup: 'acme-kf-home-daily-20250530',
    });
    // Assert
    expect(outcomeOf(record)).toEqual({ status: 'succeeded' });
  });

  it('refuses a snapshot of a tier without snapshots with a clear error', async () => {
    // Act
    const record = await driver.until(
      await driver.send(command('filestore.snapshot', { instance: 'acme-kf-home' })),
    );
    // Assert
    expect(record).toMatchObject({
      status: 'rejected',
      error: { message: expect.stringMatching(/BASIC_HDD/) },
    });
  });

  it('refuses every command from an actor without the permission, and nothing changes', async () => {
    // Prepare: a valid command of every type, from someone desired state grants nothing.
    const args: Record<string, Record<string, unknown>> = {
      'gpu.scale': { nodes: 1 },
      'gpu.autoscaling.set': { min: 0, max: 1 },
      'gpu.workloads': {},
      'user.add': { email: 'mallory@acme.ai', role: 'platform-admin' },
      'user.role.set': { email: 'grace.kim@acme.ai', role: 'platform-admin' },
      'user.remove': { email: 'maria.chen@acme.ai' },
      'keys.rotate': { serviceAccount: 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com' },
      'keys.prune': { serviceAccount: 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com' },
      'keys.check': { serviceAccount: 'gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com' },
      'sql.backup': { instance: KFP_SQL },
      'sql.restore': { instance: KFP_SQL, backupId: '1748833200000' },
      'sql.clone': { instance: KFP_SQL, pointInTime: '2026-01-01T00:00:00Z', targetInstance: 'stolen-copy' },
      'sql.backups.prune': { instance: KFP_SQL },
      'sql.protect': { instance: KFP_SQL, deletionProtection: false },
      'filestore.backup': { instance: 'acme-kf-home' },
      'filestore.snapshot': { instance: 'acme-datasets' },
      'filestore.restore': { instance: 'acme-kf-home', backup: 'acme-kf-home-daily-20250530' },
      'filestore.backups.prune': { instance: 'acme-kf-home' },
      'drift.report': {},
      'reconcile.run': { apply: true },
      'iam.bindings.reconcile': { policy: 'project' },
      'approval.grant': { operationId: 'anything' },
      'approval.deny': { operationId: 'anything' },
      'approval.withdraw': { operationId: 'anything' },
    };
    expect(Object.keys(args).sort()).toEqual([...COMMAND_TYPES].sort());
    // Act
    const ids = await Promise.all(
      COMMAND_TYPES.map((type) => driver.send(command(type, args[type] ?? {}, 'user:eve@outside.example'))),
    );
    const records = await Promise.all(ids.map((id) => driver.until(id)));
    // Assert
    for (const record of records) {
      expect(record).toMatchObject({ status: 'rejected', error: { code: 'PERMISSION_DENIED' } });
    }
    expect(driver.stack.simulator.requestLog.entries()).toEqual([]);
  });
});

describe('long-running operations on the local stack', () => {
  let slow: LocalStackDriver;

  beforeAll(async () => {
    // Google operations take (scaled) time, and a function waits on one for at most 300 ms.
    slow = await startLocalStackDriver({
      timeScale: 0.002,
      functionEnv: { OPSPLANE_POLL_DEADLINE_MS: '300' },
    });
  });

  afterAll(async () => {
    await slow?.stop();
  });

  it('parks an operation whose Google operation outlives the function, and the poller completes it', async () => {
    // Act
    const id = await slow.send(command('sql.backup', { instance: KFP_SQL }));
    const parked = await slow.until(id, ['parked', 'succeeded']);
    const record = await slow.until(id);
    // Assert
    expect(parked.waiting?.reason ?? 'finished before parking').toMatch(
      /still running|finished before parking/,
    );
    expect(outcomeOf(record)).toEqual({ status: 'succeeded' });
    expect(record.attempts).toBe(1);
    expect(
      slow.stack.simulator.requestLog.entries().filter((entry) => entry.route === 'sql.backupRuns.insert'),
    ).toHaveLength(1);
  });
});
