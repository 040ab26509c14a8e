import type { RunningSimulator } from '../../../local/simulator/simulator';
import type { DesiredStateStore, PlatformState } from '../../../shared/desired-state';
import { desiredStateFromFixture } from '../../../shared/desired-state';
import { PolicyViolationError } from '../../../shared/errors';
import type { KeyInventory, KeyState } from '../../../shared/operations/keys/key-policy';
import { keysCheck } from '../../../shared/operations/keys/keys-check';
import type { PlatformApis } from '../../../shared/operations/operation';
import { ManualClock } from '../../../shared/time';
import { loadFixture } from '../../helpers/factories';
import {
  applyPlan,
  desiredStateForTest,
  type OperationContext,
  planOperation,
} from '../../helpers/operation-runner';
import { platformApisFor } from '../../helpers/platform-apis';
import { startFixtureSimulator } from '../../helpers/simulator';

/**
 * keys.check, the scheduled key-age check: rotates an account's key (as keys.rotate does) only
 * once its newest enabled key is as old as the key policy's maxAgeDays (90 in the fixture).
 */

const PROJECT = 'acme-ml-prod';
const METAFLOW = 'gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com';
const METAFLOW_KEY = '3f9c1e0a7b5d4c2e8f6a1b0c9d8e7f6a5b4c3d2e';
const CI = 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com';

const key = (id: string, validAfterTime: string, disabled = false): KeyState => ({
  id,
  validAfterTime,
  disabled,
});

const inventory = (serviceAccount: string, keys: KeyState[], observedAt: string): KeyInventory => ({
  serviceAccount,
  observedAt,
  keys,
  secret: {
    project: PROJECT,
    secretId: 'gsa-metaflow-prod-key',
    name: `projects/${PROJECT}/secrets/gsa-metaflow-prod-key`,
    exists: false,
    versions: [],
  },
});

describe('keysCheck.plan', () => {
  const platform = desiredStateFromFixture(loadFixture());

  it('plans the rotation keys.rotate would when the newest enabled key is 90 days old', () => {
    // Prepare: 2025-01-01 + 90 days.
    const observed = inventory(METAFLOW, [key(METAFLOW_KEY, '2025-01-01T00:00:00Z')], '2025-04-01T00:00:00Z');
    // Act
    const plan = keysCheck.plan(platform, observed, { serviceAccount: METAFLOW });
    // Assert
    expect(plan).toMatchObject({
      noop: false,
      maxAgeDays: 90,
      newestKey: { id: METAFLOW_KEY, ageDays: 90 },
      rotation: { serviceAccount: METAFLOW, retireKeyIds: [METAFLOW_KEY], graceHours: 24 },
    });
    expect(plan.summary).toMatch(
      /^key 3f9c1e0a.* is 90 days old \(policy: 90\), rotating\. gsa-metaflow-prod@/,
    );
    expect(plan.changes).toEqual(plan.rotation?.changes);
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('changes nothing a day before the key is due, and says when it will be', () => {
    // Prepare
    const observed = inventory(METAFLOW, [key(METAFLOW_KEY, '2025-01-01T00:00:00Z')], '2025-03-31T00:00:00Z');
    // Act
    const plan = keysCheck.plan(platform, observed, { serviceAccount: METAFLOW });
    // Assert
    expect(plan).toMatchObject({ noop: true, changes: [], rotation: null, newestKey: { ageDays: 89 } });
    expect(plan.summary).toBe(
      `${METAFLOW}: newest key ${METAFLOW_KEY} is 89 days old; rotation due in 1 days (policy: 90)`,
    );
  });

  it('goes by the newest enabled key: an old key next to a young one is not due, a young disabled one does not count', () => {
    // Prepare
    const young = key('b'.repeat(40), '2025-05-20T00:00:00Z');
    const youngDisabled = key('c'.repeat(40), '2025-05-20T00:00:00Z', true);
    const old = key('a'.repeat(40), '2024-03-02T00:00:00Z');
    // Act
    const notDue = keysCheck.plan(platform, inventory(CI, [old, young], '2025-06-02T00:00:00Z'), {
      serviceAccount: CI,
    });
    const due = keysCheck.plan(platform, inventory(CI, [old, youngDisabled], '2025-06-02T00:00:00Z'), {
      serviceAccount: CI,
    });
    // Assert
    expect(notDue).toMatchObject({ noop: true, newestKey: { id: young.id, ageDays: 13 } });
    expect(due).toMatchObject({ noop: false, newestKey: { id: old.id } });
  });

  it('leaves an account with no enabled key alone, and refuses one outside the key policy', () => {
    // Prepare
    const other = 'kf-user@acme-ml-prod.iam.gserviceaccount.com';
    // Act
    const none = keysCheck.plan(
      platform,
      inventory(METAFLOW, [key(METAFLOW_KEY, '2024-01-01T00:00:00Z', true)], '2025-06-02T00:00:00Z'),
      { serviceAccount: METAFLOW },
    );
    const outside = () =>
      keysCheck.plan(platform, inventory(other, [], '2025-06-02T00:00:00Z'), { serviceAccount: other });
    // Assert
    expect(none).toMatchObject({
      noop: true,
      rotation: null,
      newestKey: null,
      warnings: [`${METAFLOW} has only disabled keys`],
    });
    expect(outside).toThrow(PolicyViolationError);
  });
});

describe('keysCheck against the simulator', () => {
  const clock = new ManualClock('2025-06-02T09:00:00Z');
  let simulator: RunningSimulator;
  let apis: PlatformApis;
  let desiredState: DesiredStateStore;
  let platform: PlatformState;
  const context = (): OperationContext => ({ platform, apis, desiredState, clock });
  const mutatingCalls = () =>
    simulator.requestLog
      .entries()
      .filter((entry) => entry.method !== 'GET')
      .map((entry) => `${entry.method} ${entry.route}`);

  beforeAll(async () => {
    simulator = await startFixtureSimulator({ timeScale: 0, clock });
    apis = platformApisFor(simulator, clock);
    ({ desiredState, platform } = await desiredStateForTest(clock.now()));
  });

  beforeEach(() => {
    simulator.reset();
    simulator.requestLog.clear();
  });

  afterAll(async () => {
    await simulator.close();
  });

  it('rotates the 242-day-old Metaflow key, grace period included', async () => {
    // Prepare
    const plan = await planOperation(keysCheck, { serviceAccount: METAFLOW }, context());
    // Act
    const { result, resumes } = await applyPlan(keysCheck, plan, context());
    // Assert
    expect(plan.newestKey).toMatchObject({ id: METAFLOW_KEY, ageDays: 241 });
    expect(resumes).toBe(1);
    expect(result).toMatchObject({
      rotated: true,
      serviceAccount: METAFLOW,
      rotation: { deletedKeyIds: [METAFLOW_KEY], secretCreated: true },
    });
    const keys = await apis.iam.listKeys(METAFLOW);
    expect(keys.map((each) => each.id)).not.toContain(METAFLOW_KEY);
    expect(keys.filter((each) => !each.disabled)).toHaveLength(1);
  });

  it('leaves the ci-terraform key, 13 days old, alone: no call changes anything', async () => {
    // Prepare
    const plan = await planOperation(keysCheck, { serviceAccount: CI }, context());
    // Act
    const { result } = await applyPlan(keysCheck, plan, context());
    // Assert
    expect(plan.noop).toBe(true);
    expect(result).toMatchObject({ rotated: false, newestKeyBefore: { ageDays: 13 } });
    expect(mutatingCalls()).toEqual([]);
  });
});
