import type { NodePoolView } from '../../../shared/gcp';
import type { PlatformApis } from '../../../shared/operations';
import { ManualClock } from '../../../shared/time';
import { platformApisFor } from '../../helpers/platform-apis';
import { RUNBOOK_REQUESTER, type RunbookDriver, startRunbookDriver } from '../../helpers/runbook-driver';

/**
 * gpu-offhours end to end on the local stack: the evening (save the bounds, autoscaler min 0, busy
 * checks until the drain timeout, the forced scale to zero, which needs an approval because the
 * fixture's GPU pool runs busy pods) and the morning restore. Runbook time runs on the stack's
 * scaled clock (×100), so `morningAt` is set on that clock, read from the workflow itself.
 */

const GPU_POOL = {
  projectId: 'acme-ml-prod',
  location: 'us-central1',
  cluster: 'acme-ml-gke',
  pool: 'gpu-a100-pool',
};
/** Wall seconds from the start of a cycle to its morning: the evening and a decision fit in it. */
const NIGHT_WALL_SECONDS = 8;
/** The stack's default runbook time scale with the simulator at timeScale 0. */
const WORKFLOW_TIME_SCALE = 0.01;

let local: RunbookDriver;
let apis: PlatformApis;

const readPool = (): Promise<NodePoolView> => apis.gke.getNodePool(GPU_POOL);
const nodesOf = (pool: NodePoolView): number => Object.values(pool.sizeByZone).reduce((a, b) => a + b, 0);

/** The pool with autoscaling min 1, max 2, so that the morning restore is visible against min 0. */
const setDaytimeBounds = async (): Promise<void> => {
  const id = await local.stackDriver.send({
    type: 'gpu.autoscaling.set',
    args: { min: 1, max: 2 },
    actor: RUNBOOK_REQUESTER,
    reason: 'end-to-end test: daytime bounds',
  });
  expect((await local.stackDriver.until(id)).status).toBe('succeeded');
};

/** A cycle whose morning is {@link NIGHT_WALL_SECONDS} of wall time away on the workflow's clock. */
const startCycle = async () => {
  const morningAt = new Date(
    (await local.workflowNow()) + (NIGHT_WALL_SECONDS * 1000) / WORKFLOW_TIME_SCALE,
  ).toISOString();
  return local.start('gpu-offhours', {
    mode: 'cycle',
    morningAt,
    drainTimeoutSeconds: 1,
    checkIntervalSeconds: 1,
  });
};

beforeAll(async () => {
  local = await startRunbookDriver({ workflowTimeScale: WORKFLOW_TIME_SCALE });
  apis = platformApisFor(local.simulator, new ManualClock('2026-01-01T00:00:00Z'));
});

afterAll(async () => {
  await local?.stop();
});

beforeEach(() => {
  local.simulator.reset();
  local.simulator.requestLog.clear();
});

describe('gpu-offhours end to end on the local stack', () => {
  it('evening: saves the bounds, sets the autoscaler min to 0, and scales the busy pool to zero once approved', async () => {
    // Prepare
    const day = await readPool();
    expect(nodesOf(day)).toBeGreaterThan(0);
    // Act
    const started = await local.start('gpu-offhours', {
      mode: 'evening',
      drainTimeoutSeconds: 1,
      checkIntervalSeconds: 1,
    });
    const pending = await local.pendingApproval(started, 'forced_step');
    await local.approve(pending.id);
    const ended = await local.finished(started);
    // Assert
    expect(pending.approval?.reason).toEqual(expect.any(String));
    expect(ended.state).toBe('SUCCEEDED');
    expect(ended.result).toEqual({
      mode: 'evening',
      saved: { min: 0, max: 3, autoscaling: true },
      evening: expect.objectContaining({
        forcedScaleDown: expect.objectContaining({ done: true, operationId: pending.id }),
      }),
    });
    const night = await readPool();
    expect(nodesOf(night)).toBe(0);
    expect(night.autoscaling).toMatchObject({ enabled: true, minNodeCount: 0, maxNodeCount: 3 });
    expect(local.simulator.requestLog.entries().filter((e) => e.route === 'nodePools.setSize')).toHaveLength(
      1,
    );
  });

  it('cycle: scales the busy pool to zero once the forced step is approved, and restores its bounds in the morning', async () => {
    // Prepare
    await setDaytimeBounds();
    const day = await readPool();
    expect(nodesOf(day)).toBeGreaterThan(0);
    const started = await startCycle();
    // Act
    const pending = await local.pendingApproval(started, 'forced_step');
    await local.approve(pending.id);
    const forced = await local.stackDriver.until(pending.id);
    const night = await readPool();
    const ended = await local.finished(started, 30_000);
    // Assert
    expect(pending).toMatchObject({ type: 'gpu.scale', args: { nodes: 0 } });
    expect(forced.status).toBe('succeeded');
    expect(nodesOf(night)).toBe(0);
    expect(night.autoscaling).toMatchObject({ enabled: true, minNodeCount: 0, maxNodeCount: 2 });
    expect(ended.state).toBe('SUCCEEDED');
    expect(ended.result).toMatchObject({
      mode: 'cycle',
      saved: { min: 1, max: 2, autoscaling: true },
      evening: {
        busyAtEnd: expect.any(Number),
        forcedScaleDown: { done: true, operationId: pending.id },
      },
      morning: { bounds: { min: 1, max: 2 }, operationId: local.operationIdOf(started, 'morning_restore') },
    });
    expect((ended.result as { evening: { busyAtEnd: number } }).evening.busyAtEnd).toBeGreaterThan(0);
    expect((await readPool()).autoscaling).toMatchObject({ enabled: true, minNodeCount: 1, maxNodeCount: 2 });
    const stepOf = (id: string) => id.slice(local.operationIdOf(started, '').length);
    expect((await local.operationsOf(started)).map((op) => [stepOf(op.id), op.type, op.status])).toEqual([
      ['save_state', 'gpu.workloads', 'succeeded'],
      ['soft_step', 'gpu.autoscaling.set', 'succeeded'],
      ['busy_check_1', 'gpu.workloads', 'succeeded'],
      ['forced_step', 'gpu.scale', 'succeeded'],
      ['morning_restore', 'gpu.autoscaling.set', 'succeeded'],
    ]);
  });

  it('cycle: a denied forced step leaves the pool its nodes for the autoscaler, is reported, and the morning still restores the bounds', async () => {
    // Prepare
    await setDaytimeBounds();
    const day = await readPool();
    const started = await startCycle();
    // Act
    const pending = await local.pendingApproval(started, 'forced_step');
    await local.deny(pending.id, 'the training run finishes at midnight');
    const denied = await local.stackDriver.until(pending.id);
    const night = await readPool();
    const ended = await local.finished(started, 30_000);
    // Assert
    expect(denied).toMatchObject({ status: 'rejected', error: { code: 'APPROVAL_DENIED' } });
    expect(night.sizeByZone).toEqual(day.sizeByZone);
    expect(night.autoscaling).toMatchObject({ enabled: true, minNodeCount: 0, maxNodeCount: 2 });
    expect(ended.state).toBe('SUCCEEDED');
    expect(ended.result).toMatchObject({
      mode: 'cycle',
      saved: { min: 1, max: 2, autoscaling: true },
      evening: {
        forcedScaleDown: {
          done: false,
          operationId: pending.id,
          error: { code: 'APPROVAL_DENIED', operationId: pending.id, step: 'forced_step' },
        },
      },
      morning: { bounds: { min: 1, max: 2 } },
    });
    const morning = await local.ledger.get(local.operationIdOf(started, 'morning_restore'));
    expect(Date.parse(morning?.createdAt ?? '')).toBeGreaterThan(Date.parse(denied.finishedAt ?? ''));
    const pool = await readPool();
    expect(pool.autoscaling).toMatchObject({ enabled: true, minNodeCount: 1, maxNodeCount: 2 });
    expect(pool.sizeByZone).toEqual(day.sizeByZone);
    expect(
      local.simulator.requestLog.entries().filter((entry) => entry.route === 'nodePools.setSize'),
    ).toEqual([]);
  });
});
