import { OperationPendingError, PolicyViolationError } from '../../../../shared/errors';
import { sqlClone } from '../../../../shared/operations/sql/sql-clone';
import { crashingApis, SimulatedCrash } from '../../../helpers/crash';
import { applyPlan, InMemoryProgress, planOperation } from '../../../helpers/operation-runner';
import { useSimulatorTestbed } from '../../../helpers/simulator-testbed';

/**
 * `sql.clone` against the simulator's Cloud SQL Admin API, on a ManualClock at the fixture's
 * `asOf`: one CLONE of the source into a new instance, never a second.
 */

const AS_OF = '2025-06-02T08:00:00Z';
const PROJECT = 'acme-ml-prod';
const KFP = 'acme-kfp-mysql-7f3a9c1e';
const METAFLOW = 'acme-metaflow-pg-2';
const TARGET = 'acme-metaflow-pitr-20250601';
const POINT_IN_TIME = '2025-06-01T12:00:00Z';
const ARGS = { instance: METAFLOW, pointInTime: POINT_IN_TIME, targetInstance: TARGET };
const SOURCE = { projectId: PROJECT, instance: METAFLOW };
const TARGET_REF = { projectId: PROJECT, instance: TARGET };

describe('sqlClone', () => {
  const testbed = useSimulatorTestbed({ start: AS_OF, operationId: 'op-sql-clone-1' });
  const { clock, context } = testbed;

  const requests = (): string[] =>
    testbed.simulator.requestLog.entries().map((entry) => `${entry.method} ${entry.route ?? entry.path}`);
  const clonesOfSource = async () =>
    (await testbed.apis.sql.listOperations(SOURCE)).filter((op) => op.operationType === 'CLONE');

  describe('plan', () => {
    it('plans the new instance within the recovery window, leasing the source', async () => {
      // Act
      const plan = await planOperation(sqlClone, ARGS, context());

      // Assess
      expect(plan).toEqual({
        summary: `${METAFLOW}: clone at 2025-06-01T12:00:00.000Z into the new instance ${TARGET}`,
        changes: [
          {
            resource: `sql/${TARGET}`,
            field: 'instance',
            from: null,
            to: `clone of ${METAFLOW} at 2025-06-01T12:00:00.000Z (POSTGRES_14)`,
          },
        ],
        warnings: [
          `${TARGET} is a second instance billed like ${METAFLOW} until it is deleted (sql instance deletion is A3)`,
          'a clone can take a long time; the source stays online but refuses other admin operations meanwhile',
          `cutting applications over to ${PROJECT}:us-central1:${TARGET} is a separate, approved change`,
        ],
        noop: false,
        source: SOURCE,
        targetInstance: TARGET,
        pointInTime: '2025-06-01T12:00:00.000Z',
        // The oldest SUCCESSFUL backup of the instance ended 2025-05-31T03:02:29Z; logs reach 7 days back.
        recoveryWindow: { earliest: '2025-05-31T03:02:29.120Z', latest: '2025-06-02T08:00:00.000Z' },
        targetConnectionName: `${PROJECT}:us-central1:${TARGET}`,
      });
      expect(sqlClone.resource(ARGS, testbed.platform)).toBe(`sql/${PROJECT}/${METAFLOW}`);
      expect(requests()).toEqual([
        'GET sql.instances.get',
        'GET sql.instances.get',
        'GET sql.backupRuns.list',
      ]);
    });

    it('bounds the window by the 7 days of logs when backups reach further back', async () => {
      // Act
      const plan = await planOperation(
        sqlClone,
        { instance: KFP, pointInTime: '2025-05-30T00:00:00Z', targetInstance: 'acme-kfp-pitr-1' },
        context(),
      );

      // Assess
      expect(plan.recoveryWindow).toEqual({
        earliest: '2025-05-26T08:00:00.000Z',
        latest: '2025-06-02T08:00:00.000Z',
      });
    });

    it('refuses a point in time before the recovery window, naming the window', async () => {
      // Act
      const planning = planOperation(sqlClone, { ...ARGS, pointInTime: '2025-05-01T00:00:00Z' }, context());

      // Assess
      await expect(planning).rejects.toBeInstanceOf(PolicyViolationError);
      await expect(planning).rejects.toThrow(
        `point in time 2025-05-01T00:00:00.000Z is outside the recovery window of ${METAFLOW} (2025-05-31T03:02:29.120Z to 2025-06-02T08:00:00.000Z)`,
      );
    });

    it('refuses a point in time in the future', async () => {
      // Act
      const planning = planOperation(sqlClone, { ...ARGS, pointInTime: '2025-06-02T09:00:00Z' }, context());

      // Assess
      await expect(planning).rejects.toThrow(/is outside the recovery window/);
    });

    it('refuses a target name that is an existing instance', async () => {
      // Act
      const planning = planOperation(sqlClone, { ...ARGS, targetInstance: KFP }, context());

      // Assess
      await expect(planning).rejects.toThrow(
        `the clone's target ${KFP} already exists (RUNNABLE); choose a new instance name`,
      );
    });

    it('refuses a source without point-in-time recovery', async () => {
      // Prepare
      const observed = await sqlClone.observe(ARGS, testbed.platform, testbed.observeDeps());

      // Act
      const planning = () =>
        sqlClone.plan(
          testbed.platform,
          { ...observed, source: { ...observed.source, pitrEnabled: false } },
          ARGS,
        );

      // Assess
      expect(planning).toThrow(PolicyViolationError);
      expect(planning).toThrow(
        `point-in-time recovery is not enabled on ${METAFLOW} (pointInTimeRecoveryEnabled is off); enable it first (ops-catalog §4.4)`,
      );
    });

    it('refuses a source opsplane does not manage', async () => {
      // Act
      const planning = planOperation(sqlClone, { ...ARGS, instance: 'acme-other-db' }, context());

      // Assess
      await expect(planning).rejects.toThrow(
        `Cloud SQL clone source acme-other-db is not managed by opsplane (platform.sql.instances: ${KFP}, ${METAFLOW})`,
      );
    });
  });

  describe('apply and verify', () => {
    it('starts one clone, polls it and proves the new instance RUNNABLE', async () => {
      // Prepare
      const plan = await planOperation(sqlClone, ARGS, context());
      testbed.simulator.requestLog.clear();

      // Act
      const { result } = await applyPlan(sqlClone, plan, context());

      // Assess
      expect(requests()).toEqual([
        'POST sql.instances.clone',
        'GET sql.operations.get',
        'GET sql.instances.get',
      ]);
      expect(testbed.simulator.requestLog.entries()[0]?.body).toEqual({
        cloneContext: { destinationInstanceName: TARGET, pointInTime: '2025-06-01T12:00:00.000Z' },
      });
      const clone = await testbed.apis.sql.getInstance(TARGET_REF);
      expect(clone).toMatchObject({ state: 'RUNNABLE', databaseVersion: 'POSTGRES_14' });
      const [operation] = await clonesOfSource();
      expect(result).toEqual({
        source: METAFLOW,
        instance: TARGET,
        pointInTime: '2025-06-01T12:00:00.000Z',
        state: { before: null, after: 'RUNNABLE' },
        databaseVersion: 'POSTGRES_14',
        connectionName: `${PROJECT}:us-central1:${TARGET}`,
        operation: operation?.name,
        cutOver: expect.stringContaining(`point the Cloud SQL proxy at ${PROJECT}:us-central1:${TARGET}`),
      });
    });

    it('is idempotent: a second apply starts no second clone', async () => {
      // Prepare
      const plan = await planOperation(sqlClone, ARGS, context());
      const progress = new InMemoryProgress(clock);
      await applyPlan(sqlClone, plan, context({ progress }));

      // Act
      const second = await applyPlan(sqlClone, plan, context({ progress }));

      // Assess
      expect(second.result.state).toEqual({ before: null, after: 'RUNNABLE' });
      expect(testbed.simulator.requestLog.count('POST sql.instances.clone')).toBe(1);
      expect(await clonesOfSource()).toHaveLength(1);
    });

    it('turns a name reserved after a recent deletion into a clear refusal', async () => {
      // Prepare: acme-metaflow-pg-1 was deleted on 2025-05-29; Cloud SQL keeps the name a week.
      const plan = await planOperation(
        sqlClone,
        { ...ARGS, targetInstance: 'acme-metaflow-pg-1' },
        context(),
      );

      // Act
      const applying = applyPlan(sqlClone, plan, context());

      // Assess
      await expect(applying).rejects.toBeInstanceOf(PolicyViolationError);
      await expect(applying).rejects.toThrow(
        'the instance name acme-metaflow-pg-1 is taken: it is in use, or its instance was deleted within the last 7 days and Cloud SQL keeps the name reserved; choose another name',
      );
      expect(await clonesOfSource()).toHaveLength(0);
    });

    it('refuses to take over an instance under the target name it did not create', async () => {
      // Prepare: someone else creates the name between plan and apply.
      const plan = await planOperation(sqlClone, ARGS, context());
      const foreign = await testbed.apis.sql.startClone(
        { projectId: PROJECT, instance: KFP },
        { destinationInstanceName: TARGET },
      );
      await testbed.apis.sql.getOperation(PROJECT, foreign.name);

      // Act
      const applying = applyPlan(sqlClone, plan, context());

      // Assess
      await expect(applying).rejects.toThrow(/the instance name acme-metaflow-pitr-20250601 is taken/);
      expect(await clonesOfSource()).toHaveLength(0);
    });
  });

  describe('crash safety', () => {
    it('ends with exactly one clone whichever adapter call the process dies after', async () => {
      // Prepare
      const plan = await planOperation(sqlClone, ARGS, context());
      const counting = crashingApis(testbed.apis, Number.POSITIVE_INFINITY);
      const clean = await applyPlan(sqlClone, plan, context({ apis: counting.apis }));
      expect(counting.calls).toEqual(['sql.startClone', 'sql.getOperation', 'sql.getInstance']);

      for (let crashAfter = 1; crashAfter <= counting.calls.length; crashAfter += 1) {
        testbed.simulator.reset();
        testbed.simulator.requestLog.clear();
        const progress = new InMemoryProgress(clock);

        // Act
        const crashed = applyPlan(
          sqlClone,
          plan,
          context({ apis: crashingApis(testbed.apis, crashAfter).apis, progress }),
        );
        await expect(crashed).rejects.toBeInstanceOf(SimulatedCrash);
        const rerun = await applyPlan(sqlClone, plan, context({ progress }));

        // Assess
        expect({
          crashAfter,
          cloneCalls: testbed.simulator.requestLog.count('POST sql.instances.clone'),
          cloneOperations: (await clonesOfSource()).length,
          state: (await testbed.apis.sql.getInstance(TARGET_REF)).state,
        }).toEqual({ crashAfter, cloneCalls: 1, cloneOperations: 1, state: 'RUNNABLE' });
        expect(rerun.result).toEqual({ ...clean.result, operation: expect.any(String) });
      }
    });

    it('adopts the still-running clone of a crashed attempt', async () => {
      // Prepare
      const plan = await planOperation(sqlClone, ARGS, context());
      testbed.simulator.setTimeScale(1);
      const progress = new InMemoryProgress(clock);
      await expect(
        applyPlan(sqlClone, plan, context({ apis: crashingApis(testbed.apis, 1).apis, progress })),
      ).rejects.toBeInstanceOf(SimulatedCrash);

      // Act
      const parked = applyPlan(sqlClone, plan, context({ progress }), 0);
      await expect(parked).rejects.toBeInstanceOf(OperationPendingError);
      clock.advance(60 * 60_000);
      const resumed = await applyPlan(sqlClone, plan, context({ progress }));

      // Assess
      const clones = await clonesOfSource();
      expect(clones).toHaveLength(1);
      expect(testbed.simulator.requestLog.count('POST sql.instances.clone')).toBe(1);
      expect(progress.googleOperation('clone')?.name).toBe(clones[0]?.name);
      expect(resumed.result).toMatchObject({ operation: clones[0]?.name, state: { after: 'RUNNABLE' } });
    });
  });
});
