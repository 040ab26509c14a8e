import { OperationPendingError, PolicyViolationError, ResourceBusyError } from '../../../../shared/errors';
import type { SqlInstanceView } from '../../../../shared/gcp';
import { sqlBackup } from '../../../../shared/operations/sql/sql-backup';
import { crashingApis, SimulatedCrash } from '../../../helpers/crash';
import { applyPlan, InMemoryProgress, planOperation } from '../../../helpers/operation-runner';
import { useSimulatorTestbed } from '../../../helpers/simulator-testbed';

/**
 * `sql.backup` against the simulator's Cloud SQL Admin API, on a ManualClock at the fixture's
 * `asOf`. At timeScale 0 an operation is DONE at its first read; the adoption tests run at 1.
 */

const AS_OF = '2025-06-02T08:00:00Z';
const PROJECT = 'acme-ml-prod';
const KFP = 'acme-kfp-mysql-7f3a9c1e';
const OPERATION_ID = 'op-sql-backup-1';
const REF = { projectId: PROJECT, instance: KFP };

describe('sqlBackup', () => {
  const testbed = useSimulatorTestbed({ start: AS_OF, operationId: OPERATION_ID });
  const { clock, context } = testbed;

  /** The API requests since the log was last cleared, as `METHOD route`. */
  const requests = (): string[] =>
    testbed.simulator.requestLog.entries().map((entry) => `${entry.method} ${entry.route ?? entry.path}`);
  const ownRuns = async (description: string) =>
    (await testbed.apis.sql.listBackupRuns(REF)).filter((run) => run.description === description);

  describe('plan', () => {
    const runnable: SqlInstanceView = {
      name: KFP,
      state: 'RUNNABLE',
      databaseVersion: 'MYSQL_8_0',
      activationPolicy: 'ALWAYS',
      backupEnabled: true,
      pitrEnabled: true,
      deletionProtectionEnabled: true,
      settingsVersion: '14',
    };

    it('plans one on-demand backup of a managed instance, read live', async () => {
      // Act
      const plan = await planOperation(
        sqlBackup,
        { instance: KFP, description: 'pre-upgrade-OPS-123' },
        context(),
      );

      // Assess
      expect(plan).toEqual({
        summary: `${KFP}: take an on-demand backup "pre-upgrade-OPS-123"`,
        changes: [
          { resource: `sql/${KFP}`, field: 'backupRuns (ON_DEMAND)', from: null, to: 'pre-upgrade-OPS-123' },
        ],
        warnings: [],
        noop: false,
        ref: REF,
        description: 'pre-upgrade-OPS-123',
      });
      expect(sqlBackup.resource({ instance: KFP }, testbed.platform)).toBe(`sql/${PROJECT}/${KFP}`);
      expect(requests()).toEqual(['GET sql.instances.get', 'GET sql.operations.list']);
    });

    it('refuses a stopped instance, naming its state and activation policy', () => {
      // Prepare
      const stopped = { ...runnable, activationPolicy: 'NEVER' };

      // Act
      const planning = () =>
        sqlBackup.plan(testbed.platform, { instance: stopped, running: [] }, { instance: KFP });

      // Assess
      expect(planning).toThrow(PolicyViolationError);
      expect(planning).toThrow(
        `Cloud SQL instance ${KFP} cannot be backed up: it is RUNNABLE with activationPolicy NEVER (needs RUNNABLE and ALWAYS)`,
      );
    });

    it('refuses an instance that is not RUNNABLE', () => {
      // Act
      const planning = () =>
        sqlBackup.plan(
          testbed.platform,
          { instance: { ...runnable, state: 'SUSPENDED' }, running: [] },
          { instance: KFP },
        );

      // Assess
      expect(planning).toThrow(/it is SUSPENDED with activationPolicy ALWAYS/);
    });

    it('refuses an instance desired state does not list, naming the managed ones, before any call', async () => {
      // Act
      const planning = planOperation(sqlBackup, { instance: 'acme-scratch-db' }, context());

      // Assess
      await expect(planning).rejects.toBeInstanceOf(PolicyViolationError);
      await expect(planning).rejects.toThrow(
        `Cloud SQL instance acme-scratch-db is not managed by opsplane (platform.sql.instances: ${KFP}, acme-metaflow-pg-2)`,
      );
      expect(requests()).toEqual([]);
    });

    it('warns about an operation already running on the instance', () => {
      // Prepare
      const running = [{ name: 'op-x', operationType: 'UPDATE', status: 'RUNNING', targetId: KFP }];

      // Act
      const plan = sqlBackup.plan(testbed.platform, { instance: runnable, running }, { instance: KFP });

      // Assess
      expect(plan.warnings).toEqual([
        'UPDATE operation op-x is RUNNING on the instance: Cloud SQL refuses the backup until it finishes, and the command retries',
      ]);
      expect(plan.changes[0]?.to).toBe('opsplane <operation id>');
    });
  });

  describe('apply and verify', () => {
    it('starts one backup, polls it and reads the SUCCESSFUL run back', async () => {
      // Prepare
      const plan = await planOperation(
        sqlBackup,
        { instance: KFP, description: 'pre-upgrade-OPS-123' },
        context(),
      );
      testbed.simulator.requestLog.clear();

      // Act
      const { result, progress } = await applyPlan(sqlBackup, plan, context());

      // Assess
      expect(requests()).toEqual([
        'GET sql.backupRuns.list',
        'POST sql.backupRuns.insert',
        'GET sql.operations.get',
        'GET sql.backupRuns.get',
      ]);
      const [run] = await ownRuns(`pre-upgrade-OPS-123 (opsplane ${OPERATION_ID})`);
      expect(run).toMatchObject({ status: 'SUCCESSFUL', type: 'ON_DEMAND', endTime: expect.any(String) });
      expect(result).toEqual({
        instance: KFP,
        backupRunId: run?.id,
        description: `pre-upgrade-OPS-123 (opsplane ${OPERATION_ID})`,
        status: 'SUCCESSFUL',
        type: 'ON_DEMAND',
        startTime: run?.startTime,
        endTime: run?.endTime,
      });
      expect(progress.googleOperations).toEqual([
        expect.objectContaining({ step: 'backup', status: 'PENDING' }),
      ]);
      expect(progress.steps.backup).toMatchObject({ backupRunId: run?.id });
    });

    it('describes a backup without a description by the operation id', async () => {
      // Prepare
      const plan = await planOperation(sqlBackup, { instance: KFP }, context());

      // Act
      const { result } = await applyPlan(sqlBackup, plan, context());

      // Assess
      expect(result.description).toBe(`opsplane ${OPERATION_ID}`);
      expect(await ownRuns(`opsplane ${OPERATION_ID}`)).toHaveLength(1);
    });

    it('is idempotent: a second apply with the same progress calls nothing and adds no backup', async () => {
      // Prepare
      const plan = await planOperation(sqlBackup, { instance: KFP }, context());
      const progress = new InMemoryProgress(clock);
      await applyPlan(sqlBackup, plan, context({ progress }));
      testbed.simulator.requestLog.clear();

      // Act
      const again = await applyPlan(sqlBackup, plan, context({ progress }));

      // Assess
      expect(requests()).toEqual(['GET sql.backupRuns.get']);
      expect(again.result.backupRunId).toBe(progress.steps.backup?.backupRunId);
      expect(await ownRuns(`opsplane ${OPERATION_ID}`)).toHaveLength(1);
    });

    it('finds its own backup by description even when the progress was lost', async () => {
      // Prepare
      const plan = await planOperation(sqlBackup, { instance: KFP }, context());
      const first = await applyPlan(sqlBackup, plan, context());

      // Act
      const second = await applyPlan(sqlBackup, plan, context({ progress: new InMemoryProgress(clock) }));

      // Assess
      expect(second.result.backupRunId).toBe(first.result.backupRunId);
      expect(testbed.simulator.requestLog.count('POST sql.backupRuns.insert')).toBe(1);
      expect(await ownRuns(`opsplane ${OPERATION_ID}`)).toHaveLength(1);
    });

    it('lets RESOURCE_BUSY through when another operation runs on the instance', async () => {
      // Prepare
      const plan = await planOperation(sqlBackup, { instance: KFP }, context());
      testbed.simulator.setTimeScale(1);
      await testbed.apis.sql.startBackup(REF, 'someone else');

      // Act
      const applying = applyPlan(sqlBackup, plan, context());

      // Assess
      await expect(applying).rejects.toBeInstanceOf(ResourceBusyError);
      await expect(applying).rejects.toMatchObject({ retryable: true });
      expect(await ownRuns(`opsplane ${OPERATION_ID}`)).toHaveLength(0);
    });
  });

  describe('crash safety', () => {
    it('ends with exactly one backup whichever adapter call the process dies after', async () => {
      // Prepare
      const plan = await planOperation(sqlBackup, { instance: KFP }, context());
      const counting = crashingApis(testbed.apis, Number.POSITIVE_INFINITY);
      const clean = await applyPlan(sqlBackup, plan, context({ apis: counting.apis }));
      const cleanRuns = await testbed.apis.sql.listBackupRuns(REF);
      expect(counting.calls).toEqual([
        'sql.listBackupRuns',
        'sql.startBackup',
        'sql.getOperation',
        'sql.getBackupRun',
      ]);

      for (let crashAfter = 1; crashAfter <= counting.calls.length; crashAfter += 1) {
        testbed.simulator.reset();
        testbed.simulator.requestLog.clear();
        const progress = new InMemoryProgress(clock);
        const crashing = crashingApis(testbed.apis, crashAfter);

        // Act
        const crashed = applyPlan(sqlBackup, plan, context({ apis: crashing.apis, progress }));
        await expect(crashed).rejects.toBeInstanceOf(SimulatedCrash);
        const rerun = await applyPlan(sqlBackup, plan, context({ progress }));

        // Assess
        const runs = await testbed.apis.sql.listBackupRuns(REF);
        expect({ crashAfter, runs: runs.length }).toEqual({ crashAfter, runs: cleanRuns.length });
        expect({
          crashAfter,
          inserts: testbed.simulator.requestLog.count('POST sql.backupRuns.insert'),
        }).toEqual({
          crashAfter,
          inserts: 1,
        });
        const own = runs.filter((run) => run.description === `opsplane ${OPERATION_ID}`);
        expect(own).toHaveLength(1);
        expect(rerun.result).toMatchObject({ backupRunId: own[0]?.id, status: 'SUCCESSFUL' });
        expect(rerun.result.backupRunId).toBe(clean.result.backupRunId);
      }
    });

    it('adopts the still-running backup of a crashed attempt instead of starting a second', async () => {
      // Prepare
      const plan = await planOperation(sqlBackup, { instance: KFP }, context());
      testbed.simulator.setTimeScale(1);
      const progress = new InMemoryProgress(clock);
      const crashing = crashingApis(testbed.apis, 2); // dies right after startBackup returned
      await expect(
        applyPlan(sqlBackup, plan, context({ apis: crashing.apis, progress })),
      ).rejects.toBeInstanceOf(SimulatedCrash);
      const [started] = await testbed.apis.sql.listRunningOperations(REF);

      // Act
      const parked = applyPlan(sqlBackup, plan, context({ progress }), 0);
      await expect(parked).rejects.toBeInstanceOf(OperationPendingError);
      clock.advance(10 * 60_000);
      const resumed = await applyPlan(sqlBackup, plan, context({ progress }));

      // Assess
      expect(started?.operationType).toBe('BACKUP_VOLUME');
      expect(progress.googleOperation('backup')?.name).toBe(started?.name);
      expect(testbed.simulator.requestLog.count('POST sql.backupRuns.insert')).toBe(1);
      expect(resumed.result).toMatchObject({ backupRunId: started?.backupRunId, status: 'SUCCESSFUL' });
    });
  });
});
