import { OperationPendingError, PolicyViolationError } from '../../../../shared/errors';
import type { SqlBackupRunView } from '../../../../shared/gcp';
import { sqlBackupsPrune } from '../../../../shared/operations/sql/sql-backups-prune';
import { crashingApis, SimulatedCrash } from '../../../helpers/crash';
import { applyPlan, InMemoryProgress, planOperation } from '../../../helpers/operation-runner';
import { useSimulatorTestbed } from '../../../helpers/simulator-testbed';

/**
 * `sql.backups.prune` against the simulator's Cloud SQL Admin API. The fixture's retention is
 * keepDays 60, minKeep 2, never deleting descriptions matching "keep" or "pre-"; the clock starts at
 * the fixture's `asOf` (2025-06-02), so its December and March on-demand runs are past 60 days.
 */

const AS_OF = '2025-06-02T08:00:00Z';
const DAY_MS = 24 * 60 * 60 * 1000;
const PROJECT = 'acme-ml-prod';
const KFP = 'acme-kfp-mysql-7f3a9c1e';
const METAFLOW = 'acme-metaflow-pg-2';
const REF = { projectId: PROJECT, instance: KFP };
/** The fixture's on-demand runs of the KFP instance. */
const MANUAL = '1733225700000'; // 2024-12-03 "manual"
const SCHEMA_MIGRATION = '1741944000000'; // 2025-03-14 "before schema migration (ticket OPS-212)"
const PRE_UPGRADE = '1748425022000'; // 2025-05-28 "pre-KFP-2.3-upgrade"

describe('sqlBackupsPrune', () => {
  const testbed = useSimulatorTestbed({ start: AS_OF, operationId: 'op-sql-prune-1' });
  const { clock, context } = testbed;

  const requests = (): string[] =>
    testbed.simulator.requestLog.entries().map((entry) => `${entry.method} ${entry.route ?? entry.path}`);
  const runIds = async (): Promise<string[]> =>
    (await testbed.apis.sql.listBackupRuns(REF)).map((run) => run.id);
  /**
   * Two more on-demand backups at the fixture's asOf, then the clock 70 days on: five successful
   * on-demand runs past keepDays, one of them pinned, so minKeep lets three go.
   */
  const twoBackupsThenSeventyDays = async (): Promise<string[]> => {
    const ids: string[] = [];
    for (const description of ['nightly-extra-1', 'nightly-extra-2']) {
      const started = await testbed.apis.sql.startBackup(REF, description);
      await testbed.apis.sql.getOperation(PROJECT, started.name);
      ids.push(started.backupRunId ?? '');
    }
    clock.set(new Date(Date.parse(AS_OF) + 70 * DAY_MS));
    testbed.simulator.requestLog.clear();
    return ids;
  };

  describe('plan', () => {
    it('deletes the December run; the March "schema migration" run is not pinned but kept for minKeep', async () => {
      // Act
      const plan = await planOperation(sqlBackupsPrune, { instance: KFP }, context());

      // Assess
      // Neither "manual" nor "before schema migration (ticket OPS-212)" contains "keep" or "pre-":
      // both are candidates, and minKeep 2 of the three successful on-demand runs saves the newer.
      expect(plan.deletions).toEqual([
        {
          id: MANUAL,
          status: 'SUCCESSFUL',
          description: 'manual',
          time: '2024-12-03T11:38:44.931Z',
          ageDays: 180,
          reason: 'older than 60 days',
        },
      ]);
      expect(plan.kept.map((run) => [run.id, run.reason])).toEqual([
        [PRE_UPGRADE, 'newest successful on-demand backup'],
        [SCHEMA_MIGRATION, 'kept so that at least 2 successful on-demand backups remain'],
      ]);
      expect(plan.changes).toEqual([
        {
          resource: `sql/${KFP}/backupRuns/${MANUAL}`,
          field: 'backupRun',
          from: 'ON_DEMAND SUCCESSFUL 2024-12-03T11:38:44.931Z "manual"',
          to: null,
        },
      ]);
      expect(plan.summary).toBe(
        `${KFP}: delete 1 on-demand backup run outside retention (keep 60 days, at least 2); 2 on-demand and 5 automated kept`,
      );
      expect(plan.warnings).toEqual([
        `past 60 days but kept for minKeep 2: ${SCHEMA_MIGRATION} "before schema migration (ticket OPS-212)"`,
      ]);
      expect(plan.noop).toBe(false);
      expect(sqlBackupsPrune.resource({ instance: KFP }, testbed.platform)).toBe(`sql/${PROJECT}/${KFP}`);
      expect(requests()).toEqual(['GET sql.backupRuns.list']);
    });

    it('never deletes a pinned run, matching its description case-insensitively', async () => {
      // Prepare
      const observed = await sqlBackupsPrune.observe(
        { instance: KFP },
        testbed.platform,
        testbed.observeDeps(),
      );
      const extra: SqlBackupRunView[] = ['2025-06-01T00:00:00Z', '2025-06-02T00:00:00Z'].map(
        (time, index) => ({
          id: String(Date.parse(time)),
          status: 'SUCCESSFUL',
          type: 'ON_DEMAND',
          description: index === 0 ? 'KEEP: audit copy' : `extra-${index}`,
          enqueuedTime: time,
          endTime: time,
        }),
      );
      const later = new Date(Date.parse(AS_OF) + 100 * DAY_MS).toISOString();

      // Act
      const plan = sqlBackupsPrune.plan(
        testbed.platform,
        { runs: [...extra, ...observed.runs], now: later },
        { instance: KFP },
      );

      // Assess
      expect(plan.deletions.map((run) => run.id)).toEqual([MANUAL, SCHEMA_MIGRATION]);
      expect(plan.kept.map((run) => [run.id, run.reason])).toEqual([
        [extra[1]?.id, 'newest successful on-demand backup'],
        [extra[0]?.id, 'pinned: description matches "keep"'],
        [PRE_UPGRADE, 'pinned: description matches "pre-"'],
      ]);
    });

    it('is a no-op when nothing is past retention', async () => {
      // Act
      const plan = await planOperation(sqlBackupsPrune, { instance: METAFLOW }, context());

      // Assess
      expect(plan.noop).toBe(true);
      expect(plan.changes).toEqual([]);
      expect(plan.summary).toBe(
        `${METAFLOW}: no on-demand backup is outside retention (keep 60 days, at least 2)`,
      );
    });

    it('deletes a FAILED on-demand run past keepDays too, and says so', async () => {
      // Prepare
      const observed = await sqlBackupsPrune.observe(
        { instance: METAFLOW },
        testbed.platform,
        testbed.observeDeps(),
      );
      const later = new Date(Date.parse(AS_OF) + 70 * DAY_MS).toISOString();

      // Act
      const plan = sqlBackupsPrune.plan(
        testbed.platform,
        { ...observed, now: later },
        { instance: METAFLOW },
      );

      // Assess
      expect(plan.deletions).toEqual([
        expect.objectContaining({
          id: '1748768400000',
          status: 'FAILED',
          reason: 'FAILED (holds no data), older than 60 days',
        }),
      ]);
      expect(plan.warnings).toEqual([
        '1 FAILED on-demand run deleted too (a failed backup holds no data): 1748768400000',
      ]);
    });

    it('refuses a plan that would leave no SUCCESSFUL backup', () => {
      // Prepare
      const runs: SqlBackupRunView[] = [
        {
          id: '1',
          status: 'FAILED',
          type: 'ON_DEMAND',
          description: 'try',
          enqueuedTime: '2025-01-01T00:00:00Z',
          endTime: '2025-01-01T00:01:00Z',
        },
      ];

      // Act
      const planning = () => sqlBackupsPrune.plan(testbed.platform, { runs, now: AS_OF }, { instance: KFP });

      // Assess
      expect(planning).toThrow(PolicyViolationError);
      expect(planning).toThrow(`pruning ${KFP} would leave no SUCCESSFUL backup; refusing`);
    });

    it('refuses an instance opsplane does not manage', async () => {
      // Act
      const planning = planOperation(sqlBackupsPrune, { instance: 'acme-tmp' }, context());

      // Assess
      await expect(planning).rejects.toThrow(
        `Cloud SQL instance acme-tmp is not managed by opsplane (platform.sql.instances: ${KFP}, ${METAFLOW})`,
      );
    });
  });

  describe('apply and verify', () => {
    it('deletes the planned run and proves the keep set intact', async () => {
      // Prepare
      const plan = await planOperation(sqlBackupsPrune, { instance: KFP }, context());
      const before = await runIds();
      testbed.simulator.requestLog.clear();

      // Act
      const { result } = await applyPlan(sqlBackupsPrune, plan, context());

      // Assess
      expect(requests()).toEqual([
        'GET sql.backupRuns.list',
        'DELETE sql.backupRuns.delete',
        'GET sql.operations.get',
        'GET sql.backupRuns.list',
      ]);
      expect(await runIds()).toEqual(before.filter((id) => id !== MANUAL));
      expect(result).toEqual({
        instance: KFP,
        deleted: [{ id: MANUAL, description: 'manual', time: '2024-12-03T11:38:44.931Z' }],
        kept: [PRE_UPGRADE, SCHEMA_MIGRATION],
        backupRuns: { before: 8, after: 7 },
        successfulBackups: 7,
      });
    });

    it('deletes several runs one at a time, oldest first', async () => {
      // Prepare
      const [extra1, extra2] = await twoBackupsThenSeventyDays();
      const plan = await planOperation(sqlBackupsPrune, { instance: KFP }, context());
      testbed.simulator.requestLog.clear();

      // Act
      await applyPlan(sqlBackupsPrune, plan, context());

      // Assess
      expect(plan.deletions.map((run) => run.id)).toEqual([MANUAL, SCHEMA_MIGRATION, extra1]);
      expect(requests()).toEqual([
        'GET sql.backupRuns.list',
        'DELETE sql.backupRuns.delete',
        'GET sql.operations.get',
        'DELETE sql.backupRuns.delete',
        'GET sql.operations.get',
        'DELETE sql.backupRuns.delete',
        'GET sql.operations.get',
        'GET sql.backupRuns.list',
      ]);
      const onDemand = (await testbed.apis.sql.listBackupRuns(REF)).filter((run) => run.type === 'ON_DEMAND');
      expect(onDemand.map((run) => run.id)).toEqual([extra2, PRE_UPGRADE]);
      // The automated runs are 70+ days old too, but Cloud SQL's retainedBackups owns them.
      const automated = (await testbed.apis.sql.listBackupRuns(REF)).filter(
        (run) => run.type === 'AUTOMATED',
      );
      expect(automated).toHaveLength(5);
    });

    it('is idempotent: a second apply deletes nothing more', async () => {
      // Prepare
      const plan = await planOperation(sqlBackupsPrune, { instance: KFP }, context());
      const progress = new InMemoryProgress(clock);
      await applyPlan(sqlBackupsPrune, plan, context({ progress }));
      const after = await runIds();
      testbed.simulator.requestLog.clear();

      // Act
      await applyPlan(sqlBackupsPrune, plan, context({ progress }));

      // Assess
      expect(requests()).toEqual(['GET sql.backupRuns.list']);
      expect(await runIds()).toEqual(after);
    });

    it('skips a run that is already gone when the progress was lost', async () => {
      // Prepare
      const plan = await planOperation(sqlBackupsPrune, { instance: KFP }, context());
      await applyPlan(sqlBackupsPrune, plan, context());
      testbed.simulator.requestLog.clear();

      // Act
      const { progress } = await applyPlan(
        sqlBackupsPrune,
        plan,
        context({ progress: new InMemoryProgress(clock) }),
      );

      // Assess
      expect(testbed.simulator.requestLog.count('DELETE sql.backupRuns.delete')).toBe(0);
      expect(progress.steps[`delete-${MANUAL}`]).toEqual({ deleted: true, skipped: 'already gone' });
    });
  });

  describe('crash safety', () => {
    it('ends with the same backup runs whichever adapter call the process dies after', async () => {
      // Prepare
      await twoBackupsThenSeventyDays();
      const plan = await planOperation(sqlBackupsPrune, { instance: KFP }, context());
      const counting = crashingApis(testbed.apis, Number.POSITIVE_INFINITY);
      const clean = await applyPlan(sqlBackupsPrune, plan, context({ apis: counting.apis }));
      const cleanIds = await runIds();
      expect(counting.calls).toHaveLength(8);

      for (let crashAfter = 1; crashAfter <= counting.calls.length; crashAfter += 1) {
        clock.set(AS_OF);
        testbed.simulator.reset();
        await twoBackupsThenSeventyDays();
        const progress = new InMemoryProgress(clock);

        // Act
        const crashed = applyPlan(
          sqlBackupsPrune,
          plan,
          context({ apis: crashingApis(testbed.apis, crashAfter).apis, progress }),
        );
        await expect(crashed).rejects.toBeInstanceOf(SimulatedCrash);
        const rerun = await applyPlan(sqlBackupsPrune, plan, context({ progress }));

        // Assess
        expect({ crashAfter, ids: await runIds() }).toEqual({ crashAfter, ids: cleanIds });
        expect({
          crashAfter,
          deletes: testbed.simulator.requestLog.count('DELETE sql.backupRuns.delete'),
        }).toEqual({
          crashAfter,
          deletes: 3,
        });
        expect(rerun.result).toEqual(clean.result);
      }
    });

    it('adopts a delete a crashed attempt left running', async () => {
      // Prepare
      const plan = await planOperation(sqlBackupsPrune, { instance: KFP }, context());
      testbed.simulator.setTimeScale(1);
      const progress = new InMemoryProgress(clock);
      await expect(
        applyPlan(sqlBackupsPrune, plan, context({ apis: crashingApis(testbed.apis, 2).apis, progress })),
      ).rejects.toBeInstanceOf(SimulatedCrash);
      const [running] = await testbed.apis.sql.listRunningOperations(REF);

      // Act
      const parked = applyPlan(sqlBackupsPrune, plan, context({ progress }), 0);
      await expect(parked).rejects.toBeInstanceOf(OperationPendingError);
      clock.advance(10 * 60_000);
      await applyPlan(sqlBackupsPrune, plan, context({ progress }));

      // Assess
      expect(running?.operationType).toBe('DELETE_BACKUP');
      expect(progress.googleOperation(`delete-${MANUAL}`)?.name).toBe(running?.name);
      expect(testbed.simulator.requestLog.count('DELETE sql.backupRuns.delete')).toBe(1);
      expect(await runIds()).not.toContain(MANUAL);
    });
  });
});
