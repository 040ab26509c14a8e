import type { FilestoreState } from '../../../../local/simulator/services/filestore-model';
import { PolicyViolationError, ResourceBusyError } from '../../../../shared/errors';
import { deterministicFilestoreId } from '../../../../shared/operations/filestore/filestore-instance';
import {
  type FilestoreSnapshotObserved,
  filestoreSnapshot,
} from '../../../../shared/operations/filestore/filestore-snapshot';
import { crashingApis, SimulatedCrash } from '../../../helpers/crash';
import { applyPlan, InMemoryProgress, planOperation } from '../../../helpers/operation-runner';
import { useSimulatorTestbed } from '../../../helpers/simulator-testbed';
import { fileCallsOf, fileStateOf } from './filestore-test-kit';

/**
 * `filestore.snapshot` against the simulator seeded from the fixture (timeScale 0), on a manual
 * clock at the fixture's `asOf`. The fixture's acme-datasets is ZONAL (3 snapshots), acme-kf-home
 * BASIC_HDD (no snapshots).
 */

const START = '2025-06-02T08:00:00Z';
const DATASETS = { instance: 'acme-datasets' };
const OPERATION_ID = 'op-snapshot-1';
const SNAPSHOT_ID = deterministicFilestoreId('acme-datasets-20250602', OPERATION_ID);
const SNAPSHOT_NAME = `projects/acme-ml-prod/locations/us-central1-a/instances/acme-datasets/snapshots/${SNAPSHOT_ID}`;
const FIXTURE_SNAPSHOTS = 3;

describe('filestore.snapshot', () => {
  const testbed = useSimulatorTestbed({ start: START, operationId: OPERATION_ID });
  const { clock, context } = testbed;

  const snapshots = async (): Promise<FilestoreState['snapshots']> => {
    return (await fileStateOf(testbed.simulator)).snapshots;
  };
  const fileCalls = (): string[] => fileCallsOf(testbed.simulator);
  const observe = (args = DATASETS): Promise<FilestoreSnapshotObserved> =>
    filestoreSnapshot.observe(args, testbed.platform, testbed.observeDeps());

  describe('plan', () => {
    it('plans a labelled snapshot of a ZONAL instance', async () => {
      // Prepare
      const observed = await observe();

      // Act
      const plan = filestoreSnapshot.plan(testbed.platform, observed, DATASETS);

      // Assert
      expect(plan.summary).toBe('acme-datasets: take a snapshot (3 snapshots now)');
      expect(plan.changes).toEqual([
        {
          resource:
            'filestore/us-central1-a/instances/acme-datasets/snapshots/acme-datasets-20250602-<operation>',
          field: 'snapshot',
          from: null,
          to: { instance: 'acme-datasets', labels: { 'managed-by': 'acme-ops' } },
        },
      ]);
      expect(plan.tier).toBe('ZONAL');
      expect(plan.snapshotIdPrefix).toBe('acme-datasets-20250602');
      expect(plan.snapshotsBefore).toBe(FIXTURE_SNAPSHOTS);
      expect(plan.noop).toBe(false);
      expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    });

    it('refuses a Basic tier instance and points at backups, without listing its snapshots', async () => {
      // Prepare
      const observed = await observe({ instance: 'acme-kf-home' });

      // Act
      const act = () => filestoreSnapshot.plan(testbed.platform, observed, { instance: 'acme-kf-home' });

      // Assert
      expect(act).toThrow(PolicyViolationError);
      expect(act).toThrow(
        'acme-kf-home is a BASIC_HDD instance: Filestore snapshots exist on ZONAL, REGIONAL and ENTERPRISE instances only; take a backup instead (filestore.backup)',
      );
      expect(testbed.simulator.requestLog.count('GET file.projects.locations.instances.snapshots.list')).toBe(
        0,
      );
    });

    it('refuses an instance opsplane does not operate', () => {
      // Act
      const act = () => filestoreSnapshot.resource({ instance: 'scratch-nfs' }, testbed.platform);

      // Assert
      expect(act).toThrow(
        /"scratch-nfs" is not operated by opsplane \(platform.filestore.instances: acme-kf-home, acme-datasets\)/,
      );
    });

    it('retries later while the instance is reverting', async () => {
      // Prepare
      const observed = await observe();

      // Act
      const act = () =>
        filestoreSnapshot.plan(
          testbed.platform,
          { ...observed, instance: { ...observed.instance, state: 'REVERTING' } },
          DATASETS,
        );

      // Assert
      expect(act).toThrow(ResourceBusyError);
      expect(act).toThrow('cannot snapshot: acme-datasets is REVERTING; retry once it is READY');
    });
  });

  describe('apply and verify', () => {
    it('creates one READY snapshot with the platform labels, and reports it', async () => {
      // Prepare
      const plan = await planOperation(filestoreSnapshot, DATASETS, context());
      testbed.simulator.requestLog.clear();

      // Act
      const { result } = await applyPlan(filestoreSnapshot, plan, context());

      // Assert
      expect(fileCalls()).toEqual([
        'GET instances.snapshots.list',
        'POST instances.snapshots.create',
        'GET operations.get',
        'GET instances.snapshots.list',
      ]);
      const live = await snapshots();
      expect(live).toHaveLength(FIXTURE_SNAPSHOTS + 1);
      expect(live.find((snapshot) => snapshot.name === SNAPSHOT_NAME)).toMatchObject({
        state: 'READY',
        labels: { 'managed-by': 'acme-ops', 'opsplane-operation': OPERATION_ID },
        description: `opsplane ${OPERATION_ID}: on-demand snapshot of acme-datasets`,
      });
      expect(result).toEqual({
        instance: 'acme-datasets',
        snapshot: SNAPSHOT_NAME,
        snapshotId: SNAPSHOT_ID,
        state: 'READY',
        createTime: '2025-06-02T08:00:00.000Z',
        labels: { 'managed-by': 'acme-ops', 'opsplane-operation': OPERATION_ID },
        snapshots: { from: FIXTURE_SNAPSHOTS, to: FIXTURE_SNAPSHOTS + 1 },
      });
    });

    it('gives different operations different snapshot ids', async () => {
      // Prepare
      const plan = await planOperation(filestoreSnapshot, DATASETS, context());

      // Act
      const first = await applyPlan(filestoreSnapshot, plan, context());
      const second = await applyPlan(filestoreSnapshot, plan, context({ operationId: 'op-snapshot-2' }));

      // Assert
      expect(first.result.snapshotId).not.toBe(second.result.snapshotId);
      expect(await snapshots()).toHaveLength(FIXTURE_SNAPSHOTS + 2);
    });
  });

  describe('idempotency and crash safety', () => {
    it('makes no second snapshot when applied again, with the progress or without it', async () => {
      // Prepare
      const plan = await planOperation(filestoreSnapshot, DATASETS, context());
      const { progress } = await applyPlan(filestoreSnapshot, plan, context());
      testbed.simulator.requestLog.clear();

      // Act
      await applyPlan(filestoreSnapshot, plan, context({ progress }));
      await applyPlan(filestoreSnapshot, plan, context({ progress: new InMemoryProgress(clock) }));

      // Assert
      expect(
        testbed.simulator.requestLog.count('POST file.projects.locations.instances.snapshots.create'),
      ).toBe(0);
      expect(await snapshots()).toHaveLength(FIXTURE_SNAPSHOTS + 1);
    });

    it('ends with exactly one snapshot whichever adapter call the process dies after', async () => {
      // Prepare
      const plan = await planOperation(filestoreSnapshot, DATASETS, context());
      const clean = crashingApis(testbed.apis, Number.POSITIVE_INFINITY);
      await applyPlan(filestoreSnapshot, plan, context({ apis: clean.apis }));
      expect(clean.calls).toEqual([
        'filestore.listSnapshots',
        'filestore.startSnapshot',
        'filestore.getOperation',
        'filestore.listSnapshots',
      ]);

      for (let crashAfter = 1; crashAfter <= clean.calls.length; crashAfter += 1) {
        testbed.simulator.reset();
        testbed.simulator.requestLog.clear();
        clock.set(START);
        const progress = new InMemoryProgress(clock);

        // Act
        const crashed = applyPlan(
          filestoreSnapshot,
          plan,
          context({ apis: crashingApis(testbed.apis, crashAfter).apis, progress }),
        );
        await expect(crashed).rejects.toBeInstanceOf(SimulatedCrash);
        const { result } = await applyPlan(filestoreSnapshot, plan, context({ progress }));

        // Assert
        expect(
          testbed.simulator.requestLog.count('POST file.projects.locations.instances.snapshots.create'),
        ).toBe(1);
        const live = await snapshots();
        expect(live).toHaveLength(FIXTURE_SNAPSHOTS + 1);
        expect(live.filter((snapshot) => snapshot.name === SNAPSHOT_NAME)).toEqual([
          expect.objectContaining({ state: 'READY' }),
        ]);
        expect(result.snapshotId).toBe(SNAPSHOT_ID);
      }
    });

    it('adopts a snapshot still being made by a crashed attempt instead of starting another', async () => {
      // Prepare
      testbed.simulator.setTimeScale(0.1);
      const plan = await planOperation(filestoreSnapshot, DATASETS, context());
      const progress = new InMemoryProgress(clock);
      const crashing = crashingApis(testbed.apis, 2);
      await expect(
        applyPlan(filestoreSnapshot, plan, context({ apis: crashing.apis, progress })),
      ).rejects.toBeInstanceOf(SimulatedCrash);
      expect(crashing.calls).toEqual(['filestore.listSnapshots', 'filestore.startSnapshot']);
      testbed.simulator.requestLog.clear();

      // Act
      const { result, resumes } = await applyPlan(filestoreSnapshot, plan, context({ progress }));

      // Assert
      expect(
        testbed.simulator.requestLog.count('POST file.projects.locations.instances.snapshots.create'),
      ).toBe(0);
      expect(testbed.simulator.requestLog.count('GET file.projects.locations.operations.list')).toBe(1);
      expect(resumes).toBeGreaterThan(0);
      expect(progress.googleOperations).toEqual([expect.objectContaining({ step: 'snapshot' })]);
      expect(result).toMatchObject({ snapshotId: SNAPSHOT_ID, state: 'READY' });
      expect(await snapshots()).toHaveLength(FIXTURE_SNAPSHOTS + 1);
    });
  });
});
