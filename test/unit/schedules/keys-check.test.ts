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
 * keys.check, the scheduled key-age check: rotates an account's keys (as keys.rotate does) only
 * once some enabled key is as old as the key policy's maxAgeDays (90 in the fixture): the rule
 * drift's key-age finding uses too, so a half-done rotation is finished rather than reported for ever.
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
  departedHolders: [],
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

  it('is due for any enabled key past the age, an old key beside a young one too; disabled keys do not count', () => {
    // Prepare: ci-terraform's half-done rotation, and the same with the old key disabled.
    const young = key('b'.repeat(40), '2025-05-20T00:00:00Z');
    const old = key('a'.repeat(40), '2024-03-02T00:00:00Z');
    const oldDisabled = key('a'.repeat(40), '2024-03-02T00:00:00Z', true);
    // Act
    const halfDone = keysCheck.plan(platform, inventory(CI, [old, young], '2025-06-02T00:00:00Z'), {
      serviceAccount: CI,
    });
    const finished = keysCheck.plan(platform, inventory(CI, [oldDisabled, young], '2025-06-02T00:00:00Z'), {
      serviceAccount: CI,
    });
    // Assert
    expect(halfDone).toMatchObject({
      noop: false,
      newestKey: { id: young.id, ageDays: 13 },
      overdueKeys: [{ id: old.id, ageDays: 457 }],
      rotation: { retireKeyIds: [old.id, young.id] },
    });
    expect(halfDone.summary).toMatch(
      /^a rotation was left half-done: key a{40} \(457 days, policy: 90\) is still enabled beside the newer b{40} \(13 days\), rotating\./,
    );
    expect(finished).toMatchObject({ noop: true, rotation: null, overdueKeys: [] });
    expect(finished.summary).toMatch(/rotation due in 77 days/);
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
    // liam.obrien (departed) no longer counts as a holder; the active holders still do.
    expect(result).toMatchObject({ rotation: { clearedHolders: ['liam.obrien@acme.ai'] } });
    const holders = (await desiredState.getPlatform()).keys.serviceAccounts[METAFLOW]?.holders;
    expect(holders).toEqual(['aiko.tanaka@acme.ai', 'priya.nair@acme.ai', 'tomas.silva@acme.ai']);
  });

  it('finishes the half-done ci-terraform rotation: one new key, both old keys and versions retired; then nothing is due', async () => {
    // Prepare: a 463-day key still enabled beside a 13-day one that was never used.
    const plan = await planOperation(keysCheck, { serviceAccount: CI }, context());
    // Act
    const { result } = await applyPlan(keysCheck, plan, context());
    simulator.requestLog.clear();
    const again = await planOperation(keysCheck, { serviceAccount: CI }, context());
    const second = await applyPlan(keysCheck, again, context());
    // Assert
    expect(plan).toMatchObject({
      noop: false,
      overdueKeys: [{ validAfterTime: expect.stringMatching(/^2024-/) }],
    });
    expect(plan.overdueKeys[0]?.ageDays).toBeGreaterThan(400);
    expect(plan.newestKey?.ageDays).toBeLessThan(90);
    expect(result).toMatchObject({ rotated: true, rotation: { deletedKeyIds: plan.rotation?.retireKeyIds } });
    const keys = await apis.iam.listKeys(CI);
    expect(keys).toHaveLength(1);
    expect(keys[0]?.id).toBe((result.rotation as { newKeyId: string }).newKeyId);
    expect((result.rotation as { disabledVersions: number[] }).disabledVersions).toEqual(
      expect.arrayContaining([1, 2]),
    );
    // The day after (the 24 h grace period has passed): the new key is young, nothing is due.
    expect(again).toMatchObject({ noop: true, overdueKeys: [], newestKey: { ageDays: 1 } });
    expect(second.result).toMatchObject({ rotated: false });
    expect(mutatingCalls()).toEqual([]);
  });
});
