import { PolicyViolationError, ResourceBusyError, VerificationFailedError } from '../../../../shared/errors';
import type { SqlInstanceView } from '../../../../shared/gcp';
import { sqlProtect } from '../../../../shared/operations/sql/sql-protect';
import { crashingApis, SimulatedCrash } from '../../../helpers/crash';
import { applyPlan, InMemoryProgress, planOperation } from '../../../helpers/operation-runner';
import { useSimulatorTestbed } from '../../../helpers/simulator-testbed';

/**
 * `sql.protect` against the simulator's Cloud SQL Admin API, on a ManualClock at the fixture's
 * `asOf`. The fixture's Metaflow instance has deletion protection off (a seeded issue), the KFP
 * instance has it on. At timeScale 0 an operation is DONE at its first read.
 */

const AS_OF = '2025-06-02T08:00:00Z';
const PROJECT = 'acme-ml-prod';
const KFP = 'acme-kfp-mysql-7f3a9c1e';
const METAFLOW = 'acme-metaflow-pg-2';
const OPERATION_ID = 'op-sql-protect-1';
const METAFLOW_REF = { projectId: PROJECT, instance: METAFLOW };
const KFP_REF = { projectId: PROJECT, instance: KFP };

describe('sqlProtect', () => {
  const testbed = useSimulatorTestbed({ start: AS_OF, operationId: OPERATION_ID });
  const { clock, context } = testbed;

  /** The API requests since the log was last cleared, as `METHOD route`. */
  const requests = (): string[] =>
    testbed.simulator.requestLog.entries().map((entry) => `${entry.method} ${entry.route ?? entry.path}`);
  const patches = (): number => testbed.simulator.requestLog.count('PATCH sql.instances.patch');

  describe('plan', () => {
    it('plans turning protection on for an instance that has it off, read live', async () => {
      // Act
      const plan = await planOperation(
        sqlProtect,
        { instance: METAFLOW, deletionProtection: true },
        context(),
      );

      // Assert
      expect(plan).toEqual({
        summary: `${METAFLOW}: turn deletion protection on`,
        changes: [
          { resource: `sql/${METAFLOW}`, field: 'settings.deletionProtectionEnabled', from: false, to: true },
        ],
        warnings: [],
        noop: false,
        ref: METAFLOW_REF,
        deletionProtection: true,
      });
      expect(
        sqlProtect.approvalReason?.(plan, { instance: METAFLOW, deletionProtection: true }, testbed.platform),
      ).toBeUndefined();
      expect(sqlProtect.resource({ instance: METAFLOW, deletionProtection: true }, testbed.platform)).toBe(
        `sql/${PROJECT}/${METAFLOW}`,
      );
      expect(requests()).toEqual(['GET sql.instances.get']);
    });

    it('is a noop when protection is already on', async () => {
      // Act
      const plan = await planOperation(sqlProtect, { instance: KFP, deletionProtection: true }, context());

      // Assert
      expect(plan).toMatchObject({
        summary: `${KFP}: deletion protection is already on`,
        changes: [],
        warnings: [],
        noop: true,
      });
    });

    it('asks for approval, with a warning, to turn protection off', async () => {
      // Act
      const plan = await planOperation(sqlProtect, { instance: KFP, deletionProtection: false }, context());

      // Assert
      expect(plan.changes).toEqual([
        { resource: `sql/${KFP}`, field: 'settings.deletionProtectionEnabled', from: true, to: false },
      ]);
      expect(plan.warnings).toEqual([
        `with deletion protection off, a single instances.delete call destroys ${KFP} and its automated backups`,
      ]);
      expect(
        sqlProtect.approvalReason?.(plan, { instance: KFP, deletionProtection: false }, testbed.platform),
      ).toBe(
        `turning deletion protection off on Cloud SQL instance ${KFP} lets one delete call destroy it and its automated backups (A3)`,
      );
    });

    it('needs no approval to "turn off" what is already off: nothing changes', () => {
      // Prepare
      const off: SqlInstanceView = {
        name: METAFLOW,
        state: 'RUNNABLE',
        databaseVersion: 'POSTGRES_15',
        activationPolicy: 'ALWAYS',
        backupEnabled: true,
        pitrEnabled: true,
        deletionProtectionEnabled: false,
        settingsVersion: '3',
      };

      // Act
      const plan = sqlProtect.plan(
        testbed.platform,
        { instance: off },
        { instance: METAFLOW, deletionProtection: false },
      );

      // Assert
      expect(plan.noop).toBe(true);
      expect(
        sqlProtect.approvalReason?.(
          plan,
          { instance: METAFLOW, deletionProtection: false },
          testbed.platform,
        ),
      ).toBeUndefined();
    });

    it('refuses an instance desired state does not list, before any call', async () => {
      // Act
      const planning = planOperation(
        sqlProtect,
        { instance: 'acme-scratch-db', deletionProtection: true },
        context(),
      );

      // Assert
      await expect(planning).rejects.toBeInstanceOf(PolicyViolationError);
      await expect(planning).rejects.toThrow(/Cloud SQL instance acme-scratch-db is not managed by opsplane/);
      expect(requests()).toEqual([]);
    });
  });

  describe('apply and verify', () => {
    it('patches only deletionProtectionEnabled, polls the UPDATE and reads the instance back', async () => {
      // Prepare
      const before = await testbed.apis.sql.getInstance(METAFLOW_REF);
      const plan = await planOperation(
        sqlProtect,
        { instance: METAFLOW, deletionProtection: true },
        context(),
      );
      testbed.simulator.requestLog.clear();

      // Act
      const { result, progress } = await applyPlan(sqlProtect, plan, context());

      // Assert
      expect(requests()).toEqual([
        'GET sql.instances.get',
        'PATCH sql.instances.patch',
        'GET sql.operations.get',
        'GET sql.instances.get',
      ]);
      const patch = testbed.simulator.requestLog.entries().find((entry) => entry.method === 'PATCH');
      expect(patch?.path).toBe(`/v1/projects/${PROJECT}/instances/${METAFLOW}`);
      expect(patch?.body).toEqual({ settings: { deletionProtectionEnabled: true } });
      const after = await testbed.apis.sql.getInstance(METAFLOW_REF);
      expect(after).toEqual({
        ...before,
        deletionProtectionEnabled: true,
        settingsVersion: String(BigInt(before.settingsVersion) + 1n),
      });
      const [google] = progress.googleOperations;
      expect(google).toMatchObject({ step: 'protect' });
      expect(result).toEqual({
        instance: METAFLOW,
        deletionProtectionEnabled: true,
        settingsVersion: after.settingsVersion,
        operation: google?.name,
      });
      expect(progress.steps.protect).toEqual({ operation: google?.name });
    });

    it('turns protection off (once approved)', async () => {
      // Prepare
      const plan = await planOperation(sqlProtect, { instance: KFP, deletionProtection: false }, context());

      // Act
      const { result } = await applyPlan(sqlProtect, plan, context());

      // Assert
      expect(result).toMatchObject({ instance: KFP, deletionProtectionEnabled: false });
      expect((await testbed.apis.sql.getInstance(KFP_REF)).deletionProtectionEnabled).toBe(false);
    });

    it('applies a noop plan without a call and verifies by reading the instance', async () => {
      // Prepare
      const plan = await planOperation(sqlProtect, { instance: KFP, deletionProtection: true }, context());
      testbed.simulator.requestLog.clear();

      // Act
      const { result } = await applyPlan(sqlProtect, plan, context());

      // Assert
      expect(requests()).toEqual(['GET sql.instances.get']);
      expect(result).toMatchObject({ deletionProtectionEnabled: true, operation: null });
    });

    it('is idempotent: a second apply with the same progress only verifies', async () => {
      // Prepare
      const plan = await planOperation(
        sqlProtect,
        { instance: METAFLOW, deletionProtection: true },
        context(),
      );
      const progress = new InMemoryProgress(clock);
      await applyPlan(sqlProtect, plan, context({ progress }));
      testbed.simulator.requestLog.clear();

      // Act
      const again = await applyPlan(sqlProtect, plan, context({ progress }));

      // Assert
      expect(requests()).toEqual(['GET sql.instances.get']);
      expect(again.result).toMatchObject({ deletionProtectionEnabled: true });
    });

    it('does not patch again when the progress was lost but the setting is in place', async () => {
      // Prepare
      const plan = await planOperation(
        sqlProtect,
        { instance: METAFLOW, deletionProtection: true },
        context(),
      );
      await applyPlan(sqlProtect, plan, context());

      // Act
      const second = await applyPlan(sqlProtect, plan, context({ progress: new InMemoryProgress(clock) }));

      // Assert
      expect(patches()).toBe(1);
      expect(second.result).toMatchObject({ deletionProtectionEnabled: true, operation: null });
    });

    it('lets RESOURCE_BUSY through when another operation runs on the instance', async () => {
      // Prepare
      const plan = await planOperation(
        sqlProtect,
        { instance: METAFLOW, deletionProtection: true },
        context(),
      );
      testbed.simulator.setTimeScale(1);
      await testbed.apis.sql.startBackup(METAFLOW_REF, 'someone else');

      // Act
      const applying = applyPlan(sqlProtect, plan, context());

      // Assert
      await expect(applying).rejects.toBeInstanceOf(ResourceBusyError);
      await expect(applying).rejects.toMatchObject({ retryable: true });
      expect((await testbed.apis.sql.getInstance(METAFLOW_REF)).deletionProtectionEnabled).toBe(false);
    });

    it('fails verification when someone turned protection off again after apply', async () => {
      // Prepare
      const plan = await planOperation(
        sqlProtect,
        { instance: METAFLOW, deletionProtection: true },
        context(),
      );
      const progress = new InMemoryProgress(clock);
      await applyPlan(sqlProtect, plan, context({ progress }));
      await testbed.apis.sql.startSetDeletionProtection(METAFLOW_REF, false);
      await testbed.apis.sql.getInstance(METAFLOW_REF);

      // Act
      const verifying = applyPlan(sqlProtect, plan, context({ progress }));

      // Assert
      await expect(verifying).rejects.toBeInstanceOf(VerificationFailedError);
      await expect(verifying).rejects.toThrow(
        `Cloud SQL instance ${METAFLOW} has deletion protection off, not on`,
      );
    });
  });

  describe('crash safety', () => {
    it('patches exactly once and ends protected whichever adapter call the process dies after', async () => {
      // Prepare
      const plan = await planOperation(
        sqlProtect,
        { instance: METAFLOW, deletionProtection: true },
        context(),
      );
      const counting = crashingApis(testbed.apis, Number.POSITIVE_INFINITY);
      await applyPlan(sqlProtect, plan, context({ apis: counting.apis }));
      expect(counting.calls).toEqual([
        'sql.getInstance',
        'sql.startSetDeletionProtection',
        'sql.getOperation',
        'sql.getInstance',
      ]);

      for (let crashAfter = 1; crashAfter <= counting.calls.length; crashAfter += 1) {
        testbed.simulator.reset();
        testbed.simulator.requestLog.clear();
        const progress = new InMemoryProgress(clock);
        const crashing = crashingApis(testbed.apis, crashAfter);

        // Act
        const crashed = applyPlan(sqlProtect, plan, context({ apis: crashing.apis, progress }));
        await expect(crashed).rejects.toBeInstanceOf(SimulatedCrash);
        const rerun = await applyPlan(sqlProtect, plan, context({ progress }));

        // Assert
        expect({ crashAfter, patches: patches() }).toEqual({ crashAfter, patches: 1 });
        expect({ crashAfter, result: rerun.result }).toMatchObject({
          crashAfter,
          result: { instance: METAFLOW, deletionProtectionEnabled: true },
        });
      }
    });
  });
});
