import { NotFoundError, OperationPendingError, PolicyViolationError } from '../../../../shared/errors';
import type { SqlInstanceView } from '../../../../shared/gcp';
import type { PlatformApis } from '../../../../shared/operations/operation';
import { sqlRestore } from '../../../../shared/operations/sql/sql-restore';
import { crashingApis, SimulatedCrash } from '../../../helpers/crash';
import { applyPlan, InMemoryProgress, planOperation } from '../../../helpers/operation-runner';
import { useSimulatorTestbed } from '../../../helpers/simulator-testbed';

/**
 * `sql.restore` against the simulator's Cloud SQL Admin API, on a ManualClock at the fixture's
 * `asOf`: a safety backup of the target, then restoreBackup, each exactly once.
 */

const AS_OF = '2025-06-02T08:00:00Z';
const PROJECT = 'acme-ml-prod';
const KFP = 'acme-kfp-mysql-7f3a9c1e';
const METAFLOW = 'acme-metaflow-pg-2';
const OPERATION_ID = 'op-sql-restore-1';
const REF = { projectId: PROJECT, instance: KFP };
/** The fixture's newest automated backup of the KFP instance. */
const BACKUP_ID = '1748833200000';
const SAFETY_DESCRIPTION = `pre-restore ${OPERATION_ID}`;

describe('sqlRestore', () => {
  const testbed = useSimulatorTestbed({ start: AS_OF, operationId: OPERATION_ID });
  const { clock, context } = testbed;

  const requests = (): string[] =>
    testbed.simulator.requestLog.entries().map((entry) => `${entry.method} ${entry.route ?? entry.path}`);
  const restoresOf = async (instance: string) =>
    (await testbed.apis.sql.listOperations({ projectId: PROJECT, instance })).filter(
      (op) => op.operationType === 'RESTORE_VOLUME',
    );
  const safetyBackups = async () =>
    (await testbed.apis.sql.listBackupRuns(REF)).filter((run) => run.description === SAFETY_DESCRIPTION);

  describe('plan', () => {
    it('says the target is overwritten and restarts, after a safety backup', async () => {
      // Act
      const plan = await planOperation(sqlRestore, { instance: KFP, backupId: BACKUP_ID }, context());

      // Assess
      expect(plan.summary).toBe(
        `${KFP}: restore backup run ${BACKUP_ID} of ${KFP} (taken 2025-06-02T03:04:41.903Z) in place (overwrites the instance's data, restarts it), after a safety backup`,
      );
      expect(plan.changes).toEqual([
        {
          resource: `sql/${KFP}/backupRuns`,
          field: 'safety backup (ON_DEMAND)',
          from: null,
          to: 'pre-restore <operation id>',
        },
        {
          resource: `sql/${KFP}`,
          field: 'data',
          from: 'current data',
          to: `backup run ${BACKUP_ID} of ${KFP} (taken 2025-06-02T03:04:41.903Z)`,
        },
      ]);
      expect(plan.warnings[0]).toMatch(/^ALL data in acme-kfp-mysql-7f3a9c1e is overwritten/);
      expect(plan.warnings[1]).toMatch(/restarts during the restore/);
      expect(plan).toMatchObject({
        noop: false,
        ref: REF,
        sourceInstance: KFP,
        backupRunId: BACKUP_ID,
        backupTime: '2025-06-02T03:04:41.903Z',
      });
      expect(sqlRestore.resource({ instance: KFP, backupId: BACKUP_ID }, testbed.platform)).toBe(
        `sql/${PROJECT}/${KFP}`,
      );
      expect(requests()).toEqual(['GET sql.instances.get', 'GET sql.backupRuns.get']);
    });

    it('plans the same later, so an approval given meanwhile still holds', async () => {
      // Prepare
      const first = await planOperation(sqlRestore, { instance: KFP, backupId: BACKUP_ID }, context());
      clock.advance(3 * 60 * 60_000);

      // Act
      const later = await planOperation(sqlRestore, { instance: KFP, backupId: BACKUP_ID }, context());

      // Assess
      expect(later).toEqual(first);
    });

    it('refuses a backup run that is not SUCCESSFUL', async () => {
      // Act
      const planning = planOperation(
        sqlRestore,
        { instance: METAFLOW, backupId: '1748768400000' },
        context(),
      );

      // Assess
      await expect(planning).rejects.toBeInstanceOf(PolicyViolationError);
      await expect(planning).rejects.toThrow(
        `backup run 1748768400000 of ${METAFLOW} is FAILED; only a SUCCESSFUL backup can be restored`,
      );
    });

    it('refuses a backup of another major database version', async () => {
      // Act
      const planning = planOperation(
        sqlRestore,
        { instance: METAFLOW, backupId: BACKUP_ID, sourceInstance: KFP },
        context(),
      );

      // Assess
      await expect(planning).rejects.toThrow(
        `backup run ${BACKUP_ID} is of ${KFP} (MYSQL_8_0) but ${METAFLOW} runs POSTGRES_14; a restore needs the same major version`,
      );
    });

    it('refuses a target that is not RUNNABLE', async () => {
      // Prepare
      const observed = await sqlRestore.observe(
        { instance: KFP, backupId: BACKUP_ID },
        testbed.platform,
        testbed.observeDeps(),
      );
      const target: SqlInstanceView = { ...observed.target, state: 'MAINTENANCE' };

      // Act
      const planning = () =>
        sqlRestore.plan(testbed.platform, { ...observed, target }, { instance: KFP, backupId: BACKUP_ID });

      // Assess
      expect(planning).toThrow(PolicyViolationError);
      expect(planning).toThrow(`Cloud SQL instance ${KFP} is MAINTENANCE; a restore needs it RUNNABLE`);
    });

    it('refuses an unmanaged source instance, naming the managed ones', async () => {
      // Act
      const planning = planOperation(
        sqlRestore,
        { instance: KFP, backupId: BACKUP_ID, sourceInstance: 'acme-legacy-mysql' },
        context(),
      );

      // Assess
      await expect(planning).rejects.toThrow(
        `Cloud SQL backup source acme-legacy-mysql is not managed by opsplane (platform.sql.instances: ${KFP}, ${METAFLOW})`,
      );
    });

    it('names a backup run that does not exist', async () => {
      // Act
      const planning = planOperation(sqlRestore, { instance: KFP, backupId: '42' }, context());

      // Assess
      await expect(planning).rejects.toBeInstanceOf(NotFoundError);
      await expect(planning).rejects.toThrow(`backup run 42 does not exist on Cloud SQL instance ${KFP}`);
    });
  });

  describe('apply and verify', () => {
    it('takes the safety backup, then restores, and proves the instance RUNNABLE', async () => {
      // Prepare
      const plan = await planOperation(sqlRestore, { instance: KFP, backupId: BACKUP_ID }, context());
      testbed.simulator.requestLog.clear();

      // Act
      const { result, progress } = await applyPlan(sqlRestore, plan, context());

      // Assess
      expect(requests()).toEqual([
        'GET sql.backupRuns.list',
        'POST sql.backupRuns.insert',
        'GET sql.operations.get',
        'GET sql.operations.list',
        'POST sql.instances.restoreBackup',
        'GET sql.operations.get',
        'GET sql.operations.get',
        'GET sql.instances.get',
        'GET sql.backupRuns.get',
      ]);
      const restoreBody = testbed.simulator.requestLog
        .entries()
        .find((entry) => entry.route === 'sql.instances.restoreBackup')?.body;
      expect(restoreBody).toEqual({
        restoreBackupContext: { backupRunId: BACKUP_ID, instanceId: KFP, project: PROJECT },
      });
      const [safety] = await safetyBackups();
      expect(safety).toMatchObject({ status: 'SUCCESSFUL', type: 'ON_DEMAND' });
      const restores = await restoresOf(KFP);
      expect(restores).toEqual([expect.objectContaining({ status: 'DONE', targetId: KFP })]);
      expect(restores[0]?.error).toBeUndefined();
      expect((await testbed.apis.sql.getInstance(REF)).state).toBe('RUNNABLE');
      expect(result).toEqual({
        instance: KFP,
        restoredBackup: { instance: KFP, backupRunId: BACKUP_ID, takenAt: '2025-06-02T03:04:41.903Z' },
        safetyBackupRunId: safety?.id,
        safetyBackupDescription: SAFETY_DESCRIPTION,
        operation: restores[0]?.name,
        state: { before: 'RUNNABLE', after: 'RUNNABLE' },
      });
      expect(progress.googleOperations.map((op) => op.step)).toEqual(['safetyBackup', 'restore']);
    });

    it('is idempotent: a second apply adds no backup and no restore', async () => {
      // Prepare
      const plan = await planOperation(sqlRestore, { instance: KFP, backupId: BACKUP_ID }, context());
      const progress = new InMemoryProgress(clock);
      const first = await applyPlan(sqlRestore, plan, context({ progress }));

      // Act
      const second = await applyPlan(sqlRestore, plan, context({ progress }));

      // Assess
      expect(second.result).toEqual(first.result);
      expect(testbed.simulator.requestLog.count('POST sql.backupRuns.insert')).toBe(1);
      expect(testbed.simulator.requestLog.count('POST sql.instances.restoreBackup')).toBe(1);
      expect(await safetyBackups()).toHaveLength(1);
      expect(await restoresOf(KFP)).toHaveLength(1);
    });
  });

  describe('crash safety', () => {
    it('ends with one safety backup and one restore whichever adapter call the process dies after', async () => {
      // Prepare
      const plan = await planOperation(sqlRestore, { instance: KFP, backupId: BACKUP_ID }, context());
      const counting = crashingApis(testbed.apis, Number.POSITIVE_INFINITY);
      const clean = await applyPlan(sqlRestore, plan, context({ apis: counting.apis }));
      const cleanRuns = (await testbed.apis.sql.listBackupRuns(REF)).length;
      expect(counting.calls).toHaveLength(9);

      for (let crashAfter = 1; crashAfter <= counting.calls.length; crashAfter += 1) {
        testbed.simulator.reset();
        testbed.simulator.requestLog.clear();
        const progress = new InMemoryProgress(clock);

        // Act
        const crashed = applyPlan(
          sqlRestore,
          plan,
          context({ apis: crashingApis(testbed.apis, crashAfter).apis, progress }),
        );
        await expect(crashed).rejects.toBeInstanceOf(SimulatedCrash);
        const rerun = await applyPlan(sqlRestore, plan, context({ progress }));

        // Assess
        const counts = {
          crashAfter,
          backupRuns: (await testbed.apis.sql.listBackupRuns(REF)).length,
          safetyBackups: (await safetyBackups()).length,
          restores: (await restoresOf(KFP)).length,
          backupInserts: testbed.simulator.requestLog.count('POST sql.backupRuns.insert'),
          restoreCalls: testbed.simulator.requestLog.count('POST sql.instances.restoreBackup'),
          state: (await testbed.apis.sql.getInstance(REF)).state,
        };
        expect(counts).toEqual({
          crashAfter,
          backupRuns: cleanRuns,
          safetyBackups: 1,
          restores: 1,
          backupInserts: 1,
          restoreCalls: 1,
          state: 'RUNNABLE',
        });
        expect(rerun.result).toEqual({ ...clean.result, operation: expect.any(String) });
      }
    });

    it('adopts the still-running restore of a crashed attempt', async () => {
      // Prepare
      const plan = await planOperation(sqlRestore, { instance: KFP, backupId: BACKUP_ID }, context());
      const progress = new InMemoryProgress(clock);
      // Safety backup done at timeScale 0; the restore then runs for a while.
      const slowRestore: PlatformApis = {
        ...testbed.apis,
        sql: {
          ...testbed.apis.sql,
          startRestore: (target, request) => {
            testbed.simulator.setTimeScale(1);
            return testbed.apis.sql.startRestore(target, request);
          },
        },
      };
      const crashing = crashingApis(slowRestore, 5); // dies right after restoreBackup returned
      await expect(
        applyPlan(sqlRestore, plan, context({ apis: crashing.apis, progress })),
      ).rejects.toBeInstanceOf(SimulatedCrash);

      // Act
      const parked = applyPlan(sqlRestore, plan, context({ progress }), 0);
      await expect(parked).rejects.toBeInstanceOf(OperationPendingError);
      const during = await testbed.apis.sql.getInstance(REF);
      clock.advance(60 * 60_000);
      const resumed = await applyPlan(sqlRestore, plan, context({ progress }));

      // Assess
      expect(during.state).toBe('MAINTENANCE');
      expect(testbed.simulator.requestLog.count('POST sql.instances.restoreBackup')).toBe(1);
      const restores = await restoresOf(KFP);
      expect(restores).toHaveLength(1);
      expect(progress.googleOperation('restore')?.name).toBe(restores[0]?.name);
      expect(resumed.result).toMatchObject({ operation: restores[0]?.name, state: { after: 'RUNNABLE' } });
    });
  });
});
