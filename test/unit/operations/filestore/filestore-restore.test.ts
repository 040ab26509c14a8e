import { NotFoundError, PolicyViolationError, ResourceBusyError } from '../../../../shared/errors';
import type { PlatformApis } from '../../../../shared/operations';
import { deterministicFilestoreId } from '../../../../shared/operations/filestore/filestore-instance';
import {
  type FilestoreRestoreObserved,
  filestoreRestore,
} from '../../../../shared/operations/filestore/filestore-restore';
import { crashingApis, SimulatedCrash } from '../../../helpers/crash';
import { applyPlan, InMemoryProgress, planOperation } from '../../../helpers/operation-runner';
import { useSimulatorTestbed } from '../../../helpers/simulator-testbed';
import { fileCallsOf, fileStateOf, kfHomeBackupsOf } from './filestore-test-kit';

/**
 * `filestore.restore` against the simulator seeded from the fixture (timeScale 0), on a manual
 * clock at the fixture's `asOf`: acme-kf-home (BASIC_HDD, 1024 GB) restored in place from one of
 * its dailies.
 */

const START = '2025-06-02T08:00:00Z';
const OPERATION_ID = 'op-restore-1';
const SOURCE = 'projects/acme-ml-prod/locations/us-central1/backups/acme-kf-home-daily-20250529';
const ARGS = { instance: 'acme-kf-home', backup: 'acme-kf-home-daily-20250529' };
const SAFETY_ID = deterministicFilestoreId('acme-kf-home-pre-restore-20250602', OPERATION_ID);
const SAFETY_NAME = `projects/734118209551/locations/us-central1/backups/${SAFETY_ID}`;
const FIXTURE_KF_HOME_BACKUPS = 10;
const RESTORE_ROUTE = 'POST file.projects.locations.instances.restore';
const BACKUP_CREATE_ROUTE = 'POST file.projects.locations.backups.create';

describe('filestore.restore', () => {
  const testbed = useSimulatorTestbed({ start: START, operationId: OPERATION_ID });
  const { clock, context } = testbed;

  const fileState = () => fileStateOf(testbed.simulator);
  const kfHome = async () =>
    (await fileState()).instances.find((instance) => instance.name.endsWith('/instances/acme-kf-home'));
  const kfHomeBackups = () => kfHomeBackupsOf(testbed.simulator);
  const fileCalls = (): string[] => fileCallsOf(testbed.simulator);
  const observe = (
    args: { instance: string; backup: string; share?: string } = ARGS,
  ): Promise<FilestoreRestoreObserved> =>
    filestoreRestore.observe(args, testbed.platform, testbed.observeDeps());

  describe('plan', () => {
    it('plans a safety backup, then the in-place restore, and says the share is overwritten', async () => {
      // Prepare
      const observed = await observe();

      // Act
      const plan = filestoreRestore.plan(testbed.platform, observed, ARGS);

      // Assert
      expect(plan.summary).toBe(
        'acme-kf-home: restore share kfhome in place from backup acme-kf-home-daily-20250529 (2025-05-29T04:00:31.220Z), overwriting it',
      );
      expect(plan.changes).toEqual([
        {
          resource: 'filestore/us-central1/backups/acme-kf-home-pre-restore-20250602-<operation>',
          field: 'safety backup',
          from: null,
          to: { sourceInstance: 'acme-kf-home', sourceFileShare: 'kfhome' },
        },
        {
          resource: 'filestore/us-central1-a/instances/acme-kf-home/kfhome',
          field: 'contents',
          from: 'current data',
          to: `backup ${SOURCE} (2025-05-29T04:00:31.220Z)`,
        },
      ]);
      expect(plan.warnings).toEqual([
        'overwrites every file on acme-kf-home/kfhome with the contents of backup acme-kf-home-daily-20250529 (taken 2025-05-29T04:00:31.220Z); a safety backup of the share as it is now is taken first',
        'NFS clients must be quiesced first: stop the notebooks and pipelines that mount the share; an in-place restore does not coordinate with them and they may hold stale file handles afterwards',
      ]);
      expect(plan.backup).toEqual({
        name: SOURCE,
        createTime: '2025-05-29T04:00:31.220Z',
        capacityGb: 1024,
        sourceInstance: 'projects/acme-ml-prod/locations/us-central1-a/instances/acme-kf-home',
        sourceFileShare: 'kfhome',
      });
      expect(plan.share).toBe('kfhome');
      expect(plan.sourceBackupBefore).toBeNull();
      expect(plan.safetyBackupIdPrefix).toBe('acme-kf-home-pre-restore-20250602');
      expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    });

    it('takes a full backup name, by project id or number', async () => {
      // Prepare
      const byNumber = { instance: 'acme-kf-home', backup: SOURCE.replace('acme-ml-prod', '734118209551') };

      // Act
      const plan = filestoreRestore.plan(testbed.platform, await observe(byNumber), byNumber);

      // Assert
      expect(plan.backup.name).toBe(SOURCE);
    });

    it('refuses a backup of another project', async () => {
      // Prepare
      const args = {
        instance: 'acme-kf-home',
        backup: 'projects/other-prod/locations/us-central1/backups/b1',
      };

      // Act
      const act = observe(args);

      // Assert
      await expect(act).rejects.toThrow(PolicyViolationError);
      await expect(act).rejects.toThrow(
        'backup projects/other-prod/locations/us-central1/backups/b1 belongs to project other-prod: Filestore backups cannot be restored across projects (this platform is acme-ml-prod)',
      );
    });

    it('names a backup it cannot find, and where it looked', async () => {
      // Act
      const act = observe({ instance: 'acme-kf-home', backup: 'acme-kf-home-daily-20990101' });

      // Assert
      await expect(act).rejects.toThrow(NotFoundError);
      await expect(act).rejects.toThrow(
        'backup acme-kf-home-daily-20990101 not found in us-central1 (projects/acme-ml-prod/locations/us-central1/backups/acme-kf-home-daily-20990101)',
      );
    });

    it('refuses a tier that cannot be restored in place', async () => {
      // Prepare
      const args = { instance: 'acme-datasets', backup: 'acme-datasets-weekly-20250525' };

      const observed = await observe(args);

      // Act
      const act = () => filestoreRestore.plan(testbed.platform, observed, args);

      // Assert
      expect(act).toThrow(PolicyViolationError);
      expect(act).toThrow(
        /acme-datasets is a ZONAL instance: restoring a backup onto an existing share is for Basic tiers/,
      );
    });

    it('refuses a backup larger than the share', async () => {
      // Prepare
      const args = { instance: 'acme-kf-home', backup: 'acme-datasets-weekly-20250601' };
      const observed = await observe(args);

      // Act
      const act = () => filestoreRestore.plan(testbed.platform, observed, args);

      // Assert
      expect(act).toThrow(PolicyViolationError);
      expect(act).toThrow(
        "backup acme-datasets-weekly-20250601 holds a 2560 GB share; acme-kf-home/kfhome has only 1024 GB (it needs at least the backup's capacity)",
      );
    });

    it('refuses a backup that is not READY', async () => {
      // Prepare
      const observed = await observe();
      const creating = { ...observed, backup: { ...observed.backup, state: 'CREATING' } };

      // Act
      const act = () => filestoreRestore.plan(testbed.platform, creating, ARGS);

      // Assert
      expect(act).toThrow(PolicyViolationError);
      expect(act).toThrow(
        'backup acme-kf-home-daily-20250529 is CREATING: only a READY backup can be restored',
      );
    });

    it('warns when the backup comes from another instance or tier', async () => {
      // Prepare
      const observed = await observe();
      const foreign = {
        ...observed,
        backup: {
          ...observed.backup,
          sourceInstance: 'projects/acme-ml-prod/locations/us-central1-b/instances/scratch',
          sourceInstanceKey: 'us-central1-b/scratch',
          sourceFileShare: 'scratch',
          sourceInstanceTier: 'BASIC_SSD',
        },
      };

      // Act
      const plan = filestoreRestore.plan(testbed.platform, foreign, ARGS);

      // Assert
      expect(plan.warnings.slice(2)).toEqual([
        'backup acme-kf-home-daily-20250529 was taken from another instance (us-central1-b/scratch, share scratch), not from acme-kf-home',
        'backup acme-kf-home-daily-20250529 comes from a BASIC_SSD instance; acme-kf-home is BASIC_HDD',
      ]);
    });

    it('retries later within 10 minutes of the last restore', async () => {
      // Prepare
      await applyPlan(filestoreRestore, await planOperation(filestoreRestore, ARGS, context()), context());
      clock.advance(3 * 60_000);

      // Act
      const soon = planOperation(filestoreRestore, ARGS, context({ operationId: 'op-restore-2' }));

      // Assert
      await expect(soon).rejects.toThrow(ResourceBusyError);
      await expect(soon).rejects.toThrow(/less than 10 minutes ago; .* retry after 2025-06-02T08:10:00.000Z/);
    });

    it('retries later while the instance is being restored', async () => {
      // Prepare
      const observed = await observe();

      // Act
      const act = () =>
        filestoreRestore.plan(
          testbed.platform,
          { ...observed, instance: { ...observed.instance, state: 'RESTORING' } },
          ARGS,
        );

      // Assert
      expect(act).toThrow(ResourceBusyError);
      expect(act).toThrow('cannot restore: acme-kf-home is RESTORING; retry once it is READY');
    });
  });

  describe('apply and verify', () => {
    it('takes the safety backup, restores the share, and reports both', async () => {
      // Prepare
      const plan = await planOperation(filestoreRestore, ARGS, context());
      testbed.simulator.requestLog.clear();

      // Act
      const { result, progress } = await applyPlan(filestoreRestore, plan, context());

      // Assert
      expect(fileCalls()).toEqual([
        'GET backups.get',
        'POST backups.create',
        'GET operations.get',
        'GET operations.list',
        'POST instances.restore',
        'GET operations.get',
        'GET instances.get',
        'GET backups.get',
      ]);
      const restore = testbed.simulator.requestLog
        .entries()
        .find((entry) => entry.route === 'file.projects.locations.instances.restore');
      expect(restore?.body).toEqual({ fileShare: 'kfhome', sourceBackup: SOURCE });
      expect(await kfHome()).toMatchObject({
        state: 'READY',
        fileShares: [expect.objectContaining({ sourceBackup: SOURCE })],
      });
      const backups = await kfHomeBackups();
      expect(backups).toHaveLength(FIXTURE_KF_HOME_BACKUPS + 1);
      expect(backups.find((backup) => backup.name === SAFETY_NAME)).toMatchObject({
        state: 'READY',
        labels: { 'managed-by': 'acme-ops', 'opsplane-operation': OPERATION_ID },
      });
      expect(progress.googleOperations.map((op) => op.step)).toEqual(['safetyBackup', 'restore']);
      expect(result).toEqual({
        instance: 'acme-kf-home',
        share: 'kfhome',
        state: 'READY',
        restoredFrom: SOURCE,
        sourceBackup: { from: null, to: SOURCE },
        safetyBackup: {
          name: SAFETY_NAME,
          state: 'READY',
          createTime: '2025-06-02T08:00:00.000Z',
          capacityGb: 1024,
        },
      });
    });

    it('fails verification when the share was not restored from the planned backup', async () => {
      // Prepare: the restore of 20250529 ran; a plan naming 20250528 resumes it and then checks.
      const plan = await planOperation(filestoreRestore, ARGS, context());
      const { progress } = await applyPlan(filestoreRestore, plan, context());
      const other = { ...plan, backup: { ...plan.backup, name: SOURCE.replace('20250529', '20250528') } };

      // Act
      const run = applyPlan(filestoreRestore, other, context({ progress }));

      // Assert
      await expect(run).rejects.toThrow(
        `acme-kf-home is READY with share kfhome restored from ${SOURCE}; expected READY, restored from ${SOURCE.replace('20250529', '20250528')}`,
      );
      expect(testbed.simulator.requestLog.count(RESTORE_ROUTE)).toBe(1);
    });
  });

  describe('idempotency and crash safety', () => {
    it('neither restores nor backs up again when applied again, with the progress or without it', async () => {
      // Prepare
      const plan = await planOperation(filestoreRestore, ARGS, context());
      const { progress } = await applyPlan(filestoreRestore, plan, context());
      testbed.simulator.requestLog.clear();

      // Act
      await applyPlan(filestoreRestore, plan, context({ progress }));
      await applyPlan(filestoreRestore, plan, context({ progress: new InMemoryProgress(clock) }));

      // Assert
      expect(testbed.simulator.requestLog.count(RESTORE_ROUTE)).toBe(0);
      expect(testbed.simulator.requestLog.count(BACKUP_CREATE_ROUTE)).toBe(0);
      expect(await kfHomeBackups()).toHaveLength(FIXTURE_KF_HOME_BACKUPS + 1);
    });

    it("does not mistake an earlier operation's restore for its own", async () => {
      // Prepare
      await applyPlan(filestoreRestore, await planOperation(filestoreRestore, ARGS, context()), context());
      clock.advance(11 * 60_000);
      const later = { instance: 'acme-kf-home', backup: 'acme-kf-home-daily-20250528' };
      const plan = await planOperation(filestoreRestore, later, context({ operationId: 'op-restore-2' }));
      testbed.simulator.requestLog.clear();

      // Act
      const { result } = await applyPlan(filestoreRestore, plan, context({ operationId: 'op-restore-2' }));

      // Assert
      expect(testbed.simulator.requestLog.count(RESTORE_ROUTE)).toBe(1);
      expect(result.restoredFrom).toBe(SOURCE.replace('20250529', '20250528'));
      expect(result.sourceBackup).toEqual({ from: SOURCE, to: SOURCE.replace('20250529', '20250528') });
    });

    it('ends with one safety backup and one restore whichever adapter call the process dies after', async () => {
      // Prepare
      const plan = await planOperation(filestoreRestore, ARGS, context());
      const clean = crashingApis(testbed.apis, Number.POSITIVE_INFINITY);
      await applyPlan(filestoreRestore, plan, context({ apis: clean.apis }));
      expect(clean.calls).toEqual([
        'filestore.startBackup',
        'filestore.getOperation',
        'filestore.listOperations',
        'filestore.startRestore',
        'filestore.getOperation',
        'filestore.getInstance',
        'filestore.getBackup',
      ]);

      for (let crashAfter = 1; crashAfter <= clean.calls.length; crashAfter += 1) {
        testbed.simulator.reset();
        testbed.simulator.requestLog.clear();
        clock.set(START);
        const progress = new InMemoryProgress(clock);

        // Act
        const crashed = applyPlan(
          filestoreRestore,
          plan,
          context({ apis: crashingApis(testbed.apis, crashAfter).apis, progress }),
        );
        await expect(crashed).rejects.toBeInstanceOf(SimulatedCrash);
        const { result } = await applyPlan(filestoreRestore, plan, context({ progress }));

        // Assert
        expect(testbed.simulator.requestLog.count(BACKUP_CREATE_ROUTE)).toBe(1);
        expect(testbed.simulator.requestLog.count(RESTORE_ROUTE)).toBe(1);
        expect(await kfHome()).toMatchObject({
          state: 'READY',
          fileShares: [expect.objectContaining({ sourceBackup: SOURCE })],
        });
        const backups = await kfHomeBackups();
        expect(backups).toHaveLength(FIXTURE_KF_HOME_BACKUPS + 1);
        expect(backups.filter((backup) => backup.name === SAFETY_NAME)).toHaveLength(1);
        expect(result).toMatchObject({ restoredFrom: SOURCE, safetyBackup: { name: SAFETY_NAME } });
      }
    });

    it('adopts a restore a crashed attempt started but never recorded, while it still runs', async () => {
      // Prepare: the process dies as the restore call returns, before the operation is recorded.
      testbed.simulator.setTimeScale(0.01);
      const plan = await planOperation(filestoreRestore, ARGS, context());
      const progress = new InMemoryProgress(clock);
      const dying: PlatformApis = {
        ...testbed.apis,
        filestore: {
          ...testbed.apis.filestore,
          startRestore: async (ref, request) => {
            await testbed.apis.filestore.startRestore(ref, request);
            throw new SimulatedCrash(0, 'filestore.startRestore');
          },
        },
      };
      await expect(
        applyPlan(filestoreRestore, plan, context({ apis: dying, progress })),
      ).rejects.toBeInstanceOf(SimulatedCrash);
      expect(progress.googleOperation('restore')).toBeUndefined();
      expect((await kfHome())?.state).toBe('RESTORING');
      testbed.simulator.requestLog.clear();

      // Act
      const { result, resumes } = await applyPlan(filestoreRestore, plan, context({ progress }));

      // Assert
      expect(testbed.simulator.requestLog.count(RESTORE_ROUTE)).toBe(0);
      expect(resumes).toBeGreaterThan(0);
      expect(progress.googleOperation('restore')).toMatchObject({
        name: expect.stringMatching(/^projects\/acme-ml-prod\/locations\/us-central1-a\/operations\//),
      });
      expect(result).toMatchObject({ state: 'READY', restoredFrom: SOURCE });
    });
  });
});
