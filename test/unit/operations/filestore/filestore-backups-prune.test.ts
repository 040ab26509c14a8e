import { ResourceBusyError } from '../../../../shared/errors';
import type { FilestoreBackupView } from '../../../../shared/gcp';
import {
  applyRetention,
  type FilestoreBackupsPruneObserved,
  filestoreBackupsPrune,
  isoWeekOf,
} from '../../../../shared/operations/filestore/filestore-backups-prune';
import { crashingApis, SimulatedCrash } from '../../../helpers/crash';
import { applyPlan, InMemoryProgress, planOperation } from '../../../helpers/operation-runner';
import { useSimulatorTestbed } from '../../../helpers/simulator-testbed';
import { fileCallsOf, kfHomeBackupsOf } from './filestore-test-kit';

/**
 * `filestore.backups.prune` against the simulator seeded from the fixture (timeScale 0), on a
 * manual clock at the fixture's `asOf` (2025-06-02). acme-kf-home has dailies 2025-05-23 … 05-30,
 * a weekly of 2025-05-04 and a pinned pre-upgrade backup without opsplane's labels; the retention
 * policy keeps 7 daily and 4 weekly.
 */

const START = '2025-06-02T08:00:00Z';
const KF_HOME = { instance: 'acme-kf-home' };
const REF = { projectId: 'acme-ml-prod', location: 'us-central1-a', instance: 'acme-kf-home' };
const DELETE_ROUTE = 'DELETE file.projects.locations.backups.delete';
const FIXTURE_KF_HOME_BACKUPS = 10;

describe('filestore.backups.prune', () => {
  const testbed = useSimulatorTestbed({ start: START, operationId: 'op-prune-1' });
  const { clock, context } = testbed;

  const kfHomeBackupIds = async (): Promise<string[]> => {
    return (await kfHomeBackupsOf(testbed.simulator))
      .map((backup) => backup.name.slice(backup.name.lastIndexOf('/') + 1))
      .sort();
  };
  const fileCalls = (): string[] => fileCallsOf(testbed.simulator);
  const observe = (args = KF_HOME): Promise<FilestoreBackupsPruneObserved> =>
    filestoreBackupsPrune.observe(args, testbed.platform, testbed.observeDeps());

  /**
   * Daily backups of 2025-05-31, 06-01 and 06-02 (04:00), taken through the API as the schedule
   * would: the 7 dailies are then 05-27 … 06-02, and 05-23, 05-24 and 05-26 fall outside.
   */
  const addRecentDailies = async (): Promise<void> => {
    for (const day of ['20250531', '20250601', '20250602']) {
      clock.set(`${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}T04:00:00Z`);
      const op = await testbed.apis.filestore.startBackup(REF, {
        backupId: `acme-kf-home-daily-${day}`,
        share: 'kfhome',
        labels: { schedule: 'daily', 'managed-by': 'acme-ops' },
      });
      await testbed.apis.filestore.getOperation(op.name);
    }
    clock.set(START);
  };

  describe('plan', () => {
    it("keeps the fixture's 7 newest dailies, the weekly and the pinned backup, and deletes the rest", async () => {
      // Prepare
      const observed = await observe();

      // Act
      const plan = filestoreBackupsPrune.plan(testbed.platform, observed, KF_HOME);

      // Assert
      expect(plan.summary).toBe(
        'acme-kf-home: delete 1 of 10 backups in us-central1 outside retention (keep 7 daily, 4 weekly, pinned)',
      );
      expect(plan.changes).toEqual([
        {
          resource: 'filestore/us-central1/backups/acme-kf-home-daily-20250523',
          field: 'backup',
          from: 'READY, created 2025-05-23T04:00:31.220Z',
          to: null,
        },
      ]);
      expect(plan.deletions).toEqual([
        {
          id: 'acme-kf-home-daily-20250523',
          name: 'projects/acme-ml-prod/locations/us-central1/backups/acme-kf-home-daily-20250523',
          location: 'us-central1',
          createTime: '2025-05-23T04:00:31.220Z',
        },
      ]);
      expect(plan.kept.map((backup) => [backup.id, backup.reason])).toEqual([
        ['acme-kf-home-daily-20250530', 'daily 2025-05-30'],
        ['acme-kf-home-daily-20250529', 'daily 2025-05-29'],
        ['acme-kf-home-daily-20250528', 'daily 2025-05-28'],
        ['acme-kf-home-daily-20250527', 'daily 2025-05-27'],
        ['acme-kf-home-daily-20250526', 'daily 2025-05-26'],
        ['acme-kf-home-daily-20250525', 'daily 2025-05-25'],
        ['acme-kf-home-daily-20250524', 'daily 2025-05-24'],
        ['acme-kf-home-weekly-20250504', 'weekly 2025-W18'],
        ['acme-kf-home-preupgrade-20250110', 'pinned (pinned=true)'],
      ]);
      expect(plan.warnings).toEqual([
        'the newest READY backup of acme-kf-home, acme-kf-home-daily-20250530, was taken 2025-05-30T04:00:31.220Z: more than 24 hours ago',
      ]);
      expect(plan.noop).toBe(false);
      expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    });

    it('keeps a week that a kept daily falls in only through that daily', async () => {
      // Prepare
      await addRecentDailies();
      const observed = await observe();

      // Act
      const plan = filestoreBackupsPrune.plan(testbed.platform, observed, KF_HOME);

      // Assert
      expect(plan.deletions.map((backup) => backup.id)).toEqual([
        'acme-kf-home-daily-20250523',
        'acme-kf-home-daily-20250524',
        'acme-kf-home-daily-20250526',
      ]);
      expect(plan.kept.filter((backup) => backup.reason.startsWith('weekly'))).toEqual([
        expect.objectContaining({ id: 'acme-kf-home-daily-20250525', reason: 'weekly 2025-W21' }),
        expect.objectContaining({ id: 'acme-kf-home-weekly-20250504', reason: 'weekly 2025-W18' }),
      ]);
      expect(plan.warnings).toEqual([]);
    });

    it('has nothing to prune when every backup is kept', async () => {
      // Prepare
      const observed = await observe({ instance: 'acme-datasets' });

      // Act
      const plan = filestoreBackupsPrune.plan(testbed.platform, observed, { instance: 'acme-datasets' });

      // Assert
      expect(plan.noop).toBe(true);
      expect(plan.changes).toEqual([]);
      expect(plan.summary).toBe(
        'acme-datasets: nothing to prune (2 backups in us-central1, keep 7 daily, 4 weekly, pinned)',
      );
      expect(plan.kept.map((backup) => backup.id)).toEqual([
        'acme-datasets-weekly-20250601',
        'acme-datasets-weekly-20250525',
      ]);
    });

    it('retries later while the instance is being restored', async () => {
      // Prepare
      const observed = await observe();

      // Act
      const act = () =>
        filestoreBackupsPrune.plan(
          testbed.platform,
          { ...observed, instance: { ...observed.instance, state: 'RESTORING' } },
          KF_HOME,
        );

      // Assert
      expect(act).toThrow(ResourceBusyError);
      expect(act).toThrow('cannot prune backups of acme-kf-home: it is RESTORING; retry once it is READY');
    });

    it('refuses an instance opsplane does not operate', () => {
      // Act
      const act = () => filestoreBackupsPrune.resource({ instance: 'scratch-nfs' }, testbed.platform);

      // Assert
      expect(act).toThrow(/"scratch-nfs" is not operated by opsplane/);
    });
  });

  describe('retention', () => {
    const backup = (
      id: string,
      createTime: string,
      overrides: Partial<FilestoreBackupView> = {},
    ): FilestoreBackupView => ({
      id,
      name: `projects/p/locations/us-central1/backups/${id}`,
      location: 'us-central1',
      description: '',
      sourceInstance: 'projects/p/locations/us-central1-a/instances/home',
      sourceInstanceKey: 'us-central1-a/home',
      sourceFileShare: 'share1',
      sourceInstanceTier: 'BASIC_HDD',
      state: 'READY',
      createTime,
      capacityGb: 1024,
      storageBytes: 1,
      labels: { 'managed-by': 'acme-ops' },
      ...overrides,
    });
    const policy = { keepDaily: 2, keepWeekly: 1, neverDeleteLabels: { pinned: 'true' } };
    const managed = { 'managed-by': 'acme-ops' };

    it('keeps one backup per day, the newest, and leaves not-READY, unmanaged and pinned ones alone', () => {
      // Prepare (newest first)
      const backups = [
        backup('d3-late', '2025-06-03T20:00:00Z'),
        backup('d3-early', '2025-06-03T04:00:00Z'),
        backup('d3-creating', '2025-06-03T02:00:00Z', { state: 'CREATING' }),
        backup('d2', '2025-06-02T04:00:00Z'),
        backup('manual', '2025-06-01T04:00:00Z', { labels: {} }),
        backup('pinned', '2025-05-20T04:00:00Z', { labels: { 'managed-by': 'acme-ops', pinned: 'true' } }),
        backup('w20', '2025-05-14T04:00:00Z'),
        backup('w20-older', '2025-05-13T04:00:00Z'),
        backup('w19', '2025-05-07T04:00:00Z'),
      ];

      // Act
      const { kept, deletions } = applyRetention(backups, policy, managed);

      // Assert
      expect(deletions.map((b) => b.id)).toEqual(['d3-early', 'w20-older', 'w19']);
      expect(Object.fromEntries(kept.map((b) => [b.id, b.reason]))).toEqual({
        'd3-late': 'daily 2025-06-03',
        'd3-creating': 'CREATING, not READY',
        d2: 'daily 2025-06-02',
        manual: 'not managed by opsplane (lacks managed-by=acme-ops)',
        pinned: 'pinned (pinned=true)',
        w20: 'weekly 2025-W20',
      });
    });

    it('never deletes the newest READY backup, whatever the policy', () => {
      // Prepare
      const backups = [backup('newest', '2025-06-03T04:00:00Z'), backup('older', '2025-06-02T04:00:00Z')];

      // Act
      const { kept, deletions } = applyRetention(
        backups,
        { keepDaily: 0, keepWeekly: 0, neverDeleteLabels: {} },
        managed,
      );

      // Assert
      expect(deletions.map((b) => b.id)).toEqual(['older']);
      expect(kept).toEqual([expect.objectContaining({ id: 'newest', reason: 'newest READY backup' })]);
    });

    it('names ISO weeks, across a year boundary too', () => {
      // Assert
      expect(isoWeekOf('2025-05-23T04:00:31.220Z')).toBe('2025-W21');
      expect(isoWeekOf('2025-05-25T23:59:59Z')).toBe('2025-W21');
      expect(isoWeekOf('2025-05-26T00:00:00Z')).toBe('2025-W22');
      expect(isoWeekOf('2024-12-30T12:00:00Z')).toBe('2025-W01');
      expect(isoWeekOf('2021-01-03T12:00:00Z')).toBe('2020-W53');
    });
  });

  describe('apply and verify', () => {
    it('deletes the backup outside retention and keeps the rest', async () => {
      // Prepare
      const plan = await planOperation(filestoreBackupsPrune, KF_HOME, context());
      testbed.simulator.requestLog.clear();

      // Act
      const { result } = await applyPlan(filestoreBackupsPrune, plan, context());

      // Assert
      expect(fileCalls()).toEqual([
        'GET backups.get',
        'DELETE backups.delete',
        'GET operations.get',
        'GET backups.list',
      ]);
      const remaining = await kfHomeBackupIds();
      expect(remaining).toHaveLength(FIXTURE_KF_HOME_BACKUPS - 1);
      expect(remaining).not.toContain('acme-kf-home-daily-20250523');
      expect(remaining).toContain('acme-kf-home-preupgrade-20250110');
      expect(result).toEqual({
        instance: 'acme-kf-home',
        region: 'us-central1',
        deleted: ['acme-kf-home-daily-20250523'],
        alreadyGone: [],
        kept: plan.kept.map((backup) => backup.id),
        backups: { from: FIXTURE_KF_HOME_BACKUPS, to: FIXTURE_KF_HOME_BACKUPS - 1 },
      });
    });

    it('deletes one backup at a time, oldest first, each its own step', async () => {
      // Prepare
      await addRecentDailies();
      const plan = await planOperation(filestoreBackupsPrune, KF_HOME, context());
      testbed.simulator.requestLog.clear();

      // Act
      const { result, progress } = await applyPlan(filestoreBackupsPrune, plan, context());

      // Assert
      const deletes = testbed.simulator.requestLog
        .entries()
        .filter(
          (entry) => entry.method === 'DELETE' || entry.route === 'file.projects.locations.operations.get',
        )
        .map((entry) =>
          entry.method === 'DELETE' ? entry.path.slice(entry.path.lastIndexOf('/') + 1) : 'wait',
        );
      expect(deletes).toEqual([
        'acme-kf-home-daily-20250523',
        'wait',
        'acme-kf-home-daily-20250524',
        'wait',
        'acme-kf-home-daily-20250526',
        'wait',
      ]);
      expect(Object.keys(progress.steps)).toEqual([
        'delete-acme-kf-home-daily-20250523',
        'delete-acme-kf-home-daily-20250524',
        'delete-acme-kf-home-daily-20250526',
      ]);
      expect(result.backups).toEqual({ from: 13, to: 10 });
      expect(await kfHomeBackupIds()).toHaveLength(10);
    });

    it('does nothing for a no-op plan', async () => {
      // Prepare
      const plan = await planOperation(filestoreBackupsPrune, { instance: 'acme-datasets' }, context());
      testbed.simulator.requestLog.clear();

      // Act
      const { result } = await applyPlan(filestoreBackupsPrune, plan, context());

      // Assert
      expect(fileCalls()).toEqual(['GET backups.list']);
      expect(result).toMatchObject({ deleted: [], backups: { from: 2, to: 2 } });
    });
  });

  describe('idempotency and crash safety', () => {
    it('deletes nothing more when applied again, with the progress or without it', async () => {
      // Prepare
      const plan = await planOperation(filestoreBackupsPrune, KF_HOME, context());
      const { progress } = await applyPlan(filestoreBackupsPrune, plan, context());
      testbed.simulator.requestLog.clear();

      // Act
      await applyPlan(filestoreBackupsPrune, plan, context({ progress }));
      const { result } = await applyPlan(
        filestoreBackupsPrune,
        plan,
        context({ progress: new InMemoryProgress(clock) }),
      );

      // Assert
      expect(testbed.simulator.requestLog.count(DELETE_ROUTE)).toBe(0);
      expect(result).toMatchObject({ deleted: [], alreadyGone: ['acme-kf-home-daily-20250523'] });
      expect(await kfHomeBackupIds()).toHaveLength(FIXTURE_KF_HOME_BACKUPS - 1);
    });

    it('ends with the same backups whichever adapter call the process dies after', async () => {
      // Prepare
      await addRecentDailies();
      const plan = await planOperation(filestoreBackupsPrune, KF_HOME, context());
      const clean = crashingApis(testbed.apis, Number.POSITIVE_INFINITY);
      await applyPlan(filestoreBackupsPrune, plan, context({ apis: clean.apis }));
      const expected = await kfHomeBackupIds();
      expect(clean.calls).toEqual([
        ...Array.from({ length: 3 }, () => [
          'filestore.getBackup',
          'filestore.startDeleteBackup',
          'filestore.getOperation',
        ]).flat(),
        'filestore.listBackups',
      ]);

      for (let crashAfter = 1; crashAfter <= clean.calls.length; crashAfter += 1) {
        testbed.simulator.reset();
        await addRecentDailies();
        testbed.simulator.requestLog.clear();
        const progress = new InMemoryProgress(clock);

        // Act
        const crashed = applyPlan(
          filestoreBackupsPrune,
          plan,
          context({ apis: crashingApis(testbed.apis, crashAfter).apis, progress }),
        );
        await expect(crashed).rejects.toBeInstanceOf(SimulatedCrash);
        await applyPlan(filestoreBackupsPrune, plan, context({ progress }));

        // Assert
        expect(testbed.simulator.requestLog.count(DELETE_ROUTE)).toBe(3);
        expect(await kfHomeBackupIds()).toEqual(expected);
      }
    });

    it('adopts a delete a crashed attempt started but never recorded, while it still runs', async () => {
      // Prepare
      testbed.simulator.setTimeScale(0.1);
      const plan = await planOperation(filestoreBackupsPrune, KF_HOME, context());
      const progress = new InMemoryProgress(clock);
      const crashing = crashingApis(testbed.apis, 2);
      await expect(
        applyPlan(filestoreBackupsPrune, plan, context({ apis: crashing.apis, progress })),
      ).rejects.toBeInstanceOf(SimulatedCrash);
      expect(crashing.calls).toEqual(['filestore.getBackup', 'filestore.startDeleteBackup']);
      testbed.simulator.requestLog.clear();

      // Act
      const { result, resumes } = await applyPlan(filestoreBackupsPrune, plan, context({ progress }));

      // Assert
      expect(testbed.simulator.requestLog.count(DELETE_ROUTE)).toBe(0);
      expect(testbed.simulator.requestLog.count('GET file.projects.locations.operations.list')).toBe(1);
      expect(resumes).toBeGreaterThan(0);
      expect(result).toMatchObject({ deleted: ['acme-kf-home-daily-20250523'] });
      expect(await kfHomeBackupIds()).not.toContain('acme-kf-home-daily-20250523');
    });
  });
});
