import { NotFoundError, PolicyViolationError, ResourceBusyError } from '../../../../shared/errors';
import type { PlatformApis } from '../../../../shared/operations';
import {
  type FilestoreBackupObserved,
  filestoreBackup,
} from '../../../../shared/operations/filestore/filestore-backup';
import { deterministicFilestoreId } from '../../../../shared/operations/filestore/filestore-instance';
import { crashingApis, SimulatedCrash } from '../../../helpers/crash';
import { applyPlan, InMemoryProgress, planOperation } from '../../../helpers/operation-runner';
import { useSimulatorTestbed } from '../../../helpers/simulator-testbed';
import { fileCallsOf, kfHomeBackupsOf } from './filestore-test-kit';

/**
 * `filestore.backup` against the simulator seeded from the fixture (timeScale 0: an operation is
 * done at its first read), on a manual clock at the fixture's `asOf`.
 */

const START = '2025-06-02T08:00:00Z';
const KF_HOME = { instance: 'acme-kf-home' };
const OPERATION_ID = 'op-backup-1';
const BACKUP_ID = deterministicFilestoreId('acme-kf-home-20250602', OPERATION_ID);
const FIXTURE_KF_HOME_BACKUPS = 10;

describe('filestore.backup', () => {
  const testbed = useSimulatorTestbed({ start: START, operationId: OPERATION_ID });
  const { clock, context } = testbed;

  const kfHomeBackups = () => kfHomeBackupsOf(testbed.simulator);
  const fileCalls = (): string[] => fileCallsOf(testbed.simulator);
  const observe = (args = KF_HOME): Promise<FilestoreBackupObserved> =>
    filestoreBackup.observe(args, testbed.platform, testbed.observeDeps());

  describe('plan', () => {
    it('plans a labelled backup of the share into the instance region', async () => {
      // Prepare
      const observed = await observe();

      // Act
      const plan = filestoreBackup.plan(testbed.platform, observed, KF_HOME);

      // Assert
      expect(plan.summary).toBe(
        'acme-kf-home: back up share kfhome (1024 GB) to a new backup in us-central1',
      );
      expect(plan.changes).toEqual([
        {
          resource: 'filestore/us-central1/backups/acme-kf-home-20250602-<operation>',
          field: 'backup',
          from: null,
          to: {
            sourceInstance: 'acme-kf-home',
            sourceFileShare: 'kfhome',
            labels: { 'managed-by': 'acme-ops' },
          },
        },
      ]);
      expect(plan.noop).toBe(false);
      expect(plan.warnings).toEqual([]);
      expect(plan.instance).toEqual({
        projectId: 'acme-ml-prod',
        location: 'us-central1-a',
        instance: 'acme-kf-home',
      });
      expect(plan.region).toBe('us-central1');
      expect(plan.backupIdPrefix).toBe('acme-kf-home-20250602');
      expect(plan.previousBackup).toEqual({
        name: 'projects/acme-ml-prod/locations/us-central1/backups/acme-kf-home-daily-20250530',
        createTime: '2025-05-30T04:00:31.220Z',
      });
      expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    });

    it('warns about the upload slowing down non-Basic instances', async () => {
      // Prepare
      const observed = await observe({ instance: 'acme-datasets' });

      // Act
      const plan = filestoreBackup.plan(testbed.platform, observed, { instance: 'acme-datasets' });

      // Assert
      expect(plan.share).toBe('datasets');
      expect(plan.warnings).toEqual([
        expect.stringMatching(/ZONAL instance: performance may drop by up to about 15%/),
      ]);
    });

    it('refuses an instance opsplane does not operate, naming the known ones', () => {
      // Act
      const act = () => filestoreBackup.resource({ instance: 'scratch-nfs' }, testbed.platform);

      // Assert
      expect(act).toThrow(PolicyViolationError);
      expect(act).toThrow(/"scratch-nfs" is not operated by opsplane .*acme-kf-home, acme-datasets/);
    });

    it('leases the instance', () => {
      // Act
      const resource = filestoreBackup.resource(KF_HOME, testbed.platform);

      // Assert
      expect(resource).toBe('filestore/acme-ml-prod/us-central1-a/acme-kf-home');
    });

    it('refuses a share the instance does not have', async () => {
      // Prepare
      const observed = await observe();

      // Act
      const act = () =>
        filestoreBackup.plan(testbed.platform, observed, { instance: 'acme-kf-home', share: 'datasets' });

      // Assert
      expect(act).toThrow(PolicyViolationError);
      expect(act).toThrow('acme-kf-home has no file share "datasets" (its share is: "kfhome")');
    });

    it('retries later while the instance is being restored, and refuses a broken one', async () => {
      // Prepare
      const observed = await observe();
      const restoring = { ...observed, instance: { ...observed.instance, state: 'RESTORING' } };
      const broken = {
        ...observed,
        instance: { ...observed.instance, state: 'ERROR', statusMessage: 'disk gone' },
      };

      // Act
      const busy = () => filestoreBackup.plan(testbed.platform, restoring, KF_HOME);
      const refused = () => filestoreBackup.plan(testbed.platform, broken, KF_HOME);

      // Assert
      expect(busy).toThrow(ResourceBusyError);
      expect(busy).toThrow('cannot back up: acme-kf-home is RESTORING; retry once it is READY');
      expect(refused).toThrow(PolicyViolationError);
      expect(refused).toThrow('cannot back up: acme-kf-home is ERROR (disk gone); it must be READY');
    });

    it('retries later while the newest backup is being deleted or another is being made', async () => {
      // Prepare
      const observed = await observe();
      const withState = (id: string, state: string) => ({
        ...observed,
        backups: observed.backups.map((backup) => (backup.id === id ? { ...backup, state } : backup)),
      });

      // Act
      const deleting = () =>
        filestoreBackup.plan(testbed.platform, withState('acme-kf-home-daily-20250530', 'DELETING'), KF_HOME);
      const creating = () =>
        filestoreBackup.plan(testbed.platform, withState('acme-kf-home-daily-20250529', 'CREATING'), KF_HOME);

      // Assert
      expect(deleting).toThrow(ResourceBusyError);
      expect(deleting).toThrow(
        /newest backup of acme-kf-home, acme-kf-home-daily-20250530, is being deleted/,
      );
      expect(creating).toThrow(ResourceBusyError);
      expect(creating).toThrow(/backup acme-kf-home-daily-20250529 of acme-kf-home is CREATING/);
    });

    it('holds to the rate limit: a retryable error within 10 minutes of the last backup', async () => {
      // Prepare
      await applyPlan(filestoreBackup, await planOperation(filestoreBackup, KF_HOME, context()), context());
      clock.advance(5 * 60_000);

      // Act
      const soon = planOperation(filestoreBackup, KF_HOME, context({ operationId: 'op-backup-2' }));

      // Assert
      const error = await soon.catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(ResourceBusyError);
      expect((error as ResourceBusyError).retryable).toBe(true);
      expect((error as Error).message).toBe(
        `cannot back up: backup ${BACKUP_ID} on acme-kf-home started at 2025-06-02T08:00:00.000Z, less than 10 minutes ago; ` +
          'Filestore allows one backup or restore per instance every 10 minutes, retry after 2025-06-02T08:10:00.000Z',
      );
      clock.advance(5 * 60_000);
      await expect(
        planOperation(filestoreBackup, KF_HOME, context({ operationId: 'op-backup-2' })),
      ).resolves.toMatchObject({
        noop: false,
      });
    });

    it('counts a recent restore towards the rate limit', async () => {
      // Prepare
      await testbed.apis.filestore.startRestore(
        { projectId: 'acme-ml-prod', location: 'us-central1-a', instance: 'acme-kf-home' },
        {
          share: 'kfhome',
          sourceBackup: 'projects/acme-ml-prod/locations/us-central1/backups/acme-kf-home-daily-20250529',
        },
      );
      clock.advance(60_000);

      // Act
      const soon = planOperation(filestoreBackup, KF_HOME, context());

      // Assert
      await expect(soon).rejects.toThrow(
        /cannot back up: restore projects\/acme-ml-prod\/locations\/us-central1-a\/operations\/.* started at 2025-06-02T08:00:00.000Z/,
      );
    });
  });

  describe('apply and verify', () => {
    it('creates one READY backup with the platform labels, and reports it', async () => {
      // Prepare
      const plan = await planOperation(filestoreBackup, KF_HOME, context());
      testbed.simulator.requestLog.clear();

      // Act
      const { result, progress } = await applyPlan(filestoreBackup, plan, context());

      // Assert
      expect(fileCalls()).toEqual([
        'GET backups.get',
        'POST backups.create',
        'GET operations.get',
        'GET backups.get',
      ]);
      const created = testbed.simulator.requestLog.entries().find((entry) => entry.method === 'POST');
      expect(created?.body).toMatchObject({
        sourceInstance: 'projects/acme-ml-prod/locations/us-central1-a/instances/acme-kf-home',
        sourceFileShare: 'kfhome',
        labels: { 'managed-by': 'acme-ops', 'opsplane-operation': OPERATION_ID },
      });
      const backups = await kfHomeBackups();
      expect(backups).toHaveLength(FIXTURE_KF_HOME_BACKUPS + 1);
      const backup = backups.find((candidate) => candidate.name.endsWith(`/backups/${BACKUP_ID}`));
      expect(backup).toMatchObject({
        name: `projects/734118209551/locations/us-central1/backups/${BACKUP_ID}`,
        state: 'READY',
        capacityGb: '1024',
        sourceFileShare: 'kfhome',
        labels: { 'managed-by': 'acme-ops', 'opsplane-operation': OPERATION_ID },
      });
      expect(progress.googleOperations.map((op) => op.step)).toEqual(['backup']);
      expect(result).toEqual({
        instance: 'acme-kf-home',
        share: 'kfhome',
        backup: `projects/734118209551/locations/us-central1/backups/${BACKUP_ID}`,
        backupId: BACKUP_ID,
        state: 'READY',
        createTime: '2025-06-02T08:00:00.000Z',
        capacityGb: 1024,
        storageBytes: 412331902976,
        labels: { 'managed-by': 'acme-ops', 'opsplane-operation': OPERATION_ID },
        newestBackup: {
          from: 'projects/acme-ml-prod/locations/us-central1/backups/acme-kf-home-daily-20250530',
          to: `projects/734118209551/locations/us-central1/backups/${BACKUP_ID}`,
        },
      });
    });

    it('leaves out the operation label when the operation id is not a valid label value', async () => {
      // Prepare
      const operationId = 'CLI:Dev.Patel@acme.ai';
      const plan = await planOperation(filestoreBackup, KF_HOME, context({ operationId }));

      // Act
      const { result } = await applyPlan(filestoreBackup, plan, context({ operationId }));

      // Assert
      expect(result.backupId).toBe(deterministicFilestoreId('acme-kf-home-20250602', operationId));
      expect(result.backupId).toMatch(/^acme-kf-home-20250602-[0-9a-f]{8}$/);
      expect(result.labels).toEqual({ 'managed-by': 'acme-ops' });
    });

    it('fails the operation when Google ends the backup with an error, leaving no backup behind', async () => {
      // Prepare
      const plan = await planOperation(filestoreBackup, KF_HOME, context());
      testbed.simulator.faults.inject({
        route: 'file.projects.locations.backups.create',
        operationError: { code: 8, message: 'Backup quota exceeded.' },
      });

      // Act
      const run = applyPlan(filestoreBackup, plan, context());

      // Assert
      await expect(run).rejects.toThrow(/failed: Backup quota exceeded\./);
      expect(await kfHomeBackups()).toHaveLength(FIXTURE_KF_HOME_BACKUPS);
    });
  });

  describe('idempotency and crash safety', () => {
    it('makes no second backup when applied again, with the progress or without it', async () => {
      // Prepare
      const plan = await planOperation(filestoreBackup, KF_HOME, context());
      const { progress } = await applyPlan(filestoreBackup, plan, context());
      testbed.simulator.requestLog.clear();

      // Act
      await applyPlan(filestoreBackup, plan, context({ progress }));
      await applyPlan(filestoreBackup, plan, context({ progress: new InMemoryProgress(clock) }));

      // Assert
      expect(testbed.simulator.requestLog.count('POST file.projects.locations.backups.create')).toBe(0);
      expect(await kfHomeBackups()).toHaveLength(FIXTURE_KF_HOME_BACKUPS + 1);
    });

    it('ends with exactly one backup whichever adapter call the process dies after', async () => {
      // Prepare
      const plan = await planOperation(filestoreBackup, KF_HOME, context());
      const clean = crashingApis(testbed.apis, Number.POSITIVE_INFINITY);
      await applyPlan(filestoreBackup, plan, context({ apis: clean.apis }));
      expect(clean.calls).toEqual(['filestore.startBackup', 'filestore.getOperation', 'filestore.getBackup']);

      for (let crashAfter = 1; crashAfter <= clean.calls.length; crashAfter += 1) {
        testbed.simulator.reset();
        testbed.simulator.requestLog.clear();
        clock.set(START);
        const progress = new InMemoryProgress(clock);
        const crashing = crashingApis(testbed.apis, crashAfter);

        // Act
        const crashed = applyPlan(filestoreBackup, plan, context({ apis: crashing.apis, progress }));
        await expect(crashed).rejects.toBeInstanceOf(SimulatedCrash);
        const { result } = await applyPlan(filestoreBackup, plan, context({ progress }));

        // Assert
        expect(testbed.simulator.requestLog.count('POST file.projects.locations.backups.create')).toBe(1);
        const backups = await kfHomeBackups();
        expect(backups).toHaveLength(FIXTURE_KF_HOME_BACKUPS + 1);
        expect(backups.filter((backup) => backup.name.endsWith(`/backups/${BACKUP_ID}`))).toEqual([
          expect.objectContaining({ state: 'READY' }),
        ]);
        expect(result.backupId).toBe(BACKUP_ID);
      }
    });

    it('adopts the backup behind ALREADY_EXISTS when it was not seen before the create', async () => {
      // Prepare: an earlier attempt created the backup; this attempt's read misses it (a race).
      const plan = await planOperation(filestoreBackup, KF_HOME, context());
      await testbed.apis.filestore.startBackup(plan.instance, { backupId: BACKUP_ID, share: 'kfhome' });
      let reads = 0;
      const racing: PlatformApis = {
        ...testbed.apis,
        filestore: {
          ...testbed.apis.filestore,
          getBackup: async (ref) => {
            reads += 1;
            if (reads === 1) throw new NotFoundError(`read backup ${ref.backup}: not found (stale read)`);
            return testbed.apis.filestore.getBackup(ref);
          },
        },
      };
      testbed.simulator.requestLog.clear();

      // Act
      const { result, progress } = await applyPlan(filestoreBackup, plan, context({ apis: racing }));

      // Assert
      expect(fileCalls()).toEqual([
        'POST backups.create',
        'GET operations.list',
        'GET operations.get',
        'GET backups.get',
      ]);
      expect(testbed.simulator.requestLog.entries().find((entry) => entry.method === 'POST')?.status).toBe(
        409,
      );
      expect(progress.googleOperations).toEqual([expect.objectContaining({ step: 'backup' })]);
      expect(result).toMatchObject({ backupId: BACKUP_ID, state: 'READY' });
      expect(await kfHomeBackups()).toHaveLength(FIXTURE_KF_HOME_BACKUPS + 1);
    });

    it('adopts a backup still being made by a crashed attempt instead of starting another', async () => {
      // Prepare
      testbed.simulator.setTimeScale(0.01);
      const plan = await planOperation(filestoreBackup, KF_HOME, context());
      testbed.simulator.requestLog.clear();
      const progress = new InMemoryProgress(clock);
      const crashing = crashingApis(testbed.apis, 1);
      await expect(
        applyPlan(filestoreBackup, plan, context({ apis: crashing.apis, progress })),
      ).rejects.toBeInstanceOf(SimulatedCrash);
      expect(crashing.calls).toEqual(['filestore.startBackup']);
      expect(progress.googleOperations).toEqual([]);

      // Act
      const {
        result,
        progress: after,
        resumes,
      } = await applyPlan(filestoreBackup, plan, context({ progress }));

      // Assert
      expect(testbed.simulator.requestLog.count('POST file.projects.locations.backups.create')).toBe(1);
      expect(testbed.simulator.requestLog.count('GET file.projects.locations.operations.list')).toBe(1);
      expect(resumes).toBeGreaterThan(0);
      expect(after.googleOperations).toEqual([
        expect.objectContaining({
          step: 'backup',
          name: expect.stringMatching(/\/locations\/us-central1\/operations\//),
        }),
      ]);
      expect(result).toMatchObject({ backupId: BACKUP_ID, state: 'READY' });
      expect(await kfHomeBackups()).toHaveLength(FIXTURE_KF_HOME_BACKUPS + 1);
    });
  });
});
