import type { RunningSimulator } from '../../../../local/simulator/simulator';
import type { DesiredStateStore, PlatformState } from '../../../../shared/desired-state';
import { desiredStateFromFixture } from '../../../../shared/desired-state';
import { PolicyViolationError } from '../../../../shared/errors';
import type { KeyInventory, KeyState, VersionState } from '../../../../shared/operations/keys/key-policy';
import { type KeysPrunePlan, keysPrune } from '../../../../shared/operations/keys/keys-prune';
import type { PlatformApis } from '../../../../shared/operations/operation';
import { ManualClock } from '../../../../shared/time';
import { crashingApis, SimulatedCrash } from '../../../helpers/crash';
import { loadFixture } from '../../../helpers/factories';
import {
  applyPlan,
  desiredStateForTest,
  InMemoryProgress,
  type OperationContext,
  planOperation,
} from '../../../helpers/operation-runner';
import { platformApisFor } from '../../../helpers/platform-apis';
import { startFixtureSimulator } from '../../../helpers/simulator';

/**
 * keys.prune: the pure plan (which disabled keys may go, which versions hold them), then apply +
 * verify against the platform simulator, idempotency, a key enabled again after the plan, and a
 * crash after every single adapter call of a clean run.
 */

const PROJECT = 'acme-ml-prod';
const METAFLOW = 'gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com';
const METAFLOW_KEY = '3f9c1e0a7b5d4c2e8f6a1b0c9d8e7f6a5b4c3d2e';
const KF_USER = 'acme-kf-user@acme-ml-prod.iam.gserviceaccount.com';
const CI = 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com';
const CI_OLD_KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const CI_NEWER_KEY = '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807';
const CI_SECRET = `projects/${PROJECT}/secrets/ci-terraform-key`;

/** Request-log keys (`METHOD route`) of the calls pruning makes. */
const CALL = {
  listVersions: 'GET secretmanager.projects.secrets.versions.list',
  disableVersion: 'POST secretmanager.projects.secrets.versions.disable',
  listKeys: 'GET iam.projects.serviceAccounts.keys.list',
  deleteKey: 'DELETE iam.projects.serviceAccounts.keys.delete',
} as const;

const key = (id: string, validAfterTime: string, disabled = false): KeyState => ({
  id,
  validAfterTime,
  disabled,
});
const version = (number: number, state: VersionState['state'], createTime: string): VersionState => ({
  version: number,
  state,
  createTime,
});

/** ci-terraform's keys and versions as the fixture has them, with the keys' states given. */
const ciInventory = (oldDisabled: boolean, newerDisabled: boolean): KeyInventory => ({
  serviceAccount: CI,
  observedAt: '2026-03-02T09:00:00.000Z',
  keys: [
    key(CI_OLD_KEY, '2024-03-02T08:11:00Z', oldDisabled),
    key(CI_NEWER_KEY, '2025-05-20T12:00:03Z', newerDisabled),
  ],
  secret: {
    project: PROJECT,
    secretId: 'ci-terraform-key',
    name: CI_SECRET,
    exists: true,
    versions: [version(2, 'ENABLED', '2025-05-20T12:00:10Z'), version(1, 'ENABLED', '2024-03-02T08:11:10Z')],
  },
  departedHolders: [],
});

describe('keysPrune.plan', () => {
  const platform = desiredStateFromFixture(loadFixture());

  it('deletes a disabled key, disables the version holding it, and keeps the newest enabled key', () => {
    // Act
    const plan = keysPrune.plan(platform, ciInventory(true, false), { serviceAccount: CI });

    // Assert
    expect(plan.summary).toBe(
      `${CI}: delete 1 disabled key, disable 1 secret version holding them; keeps the newest enabled key ${CI_NEWER_KEY}`,
    );
    expect(plan.changes).toEqual([
      { resource: 'secrets/ci-terraform-key/versions/1', field: 'state', from: 'ENABLED', to: 'DISABLED' },
      { resource: `keys/${CI}/${CI_OLD_KEY}`, field: 'key', from: 'DISABLED', to: null },
    ]);
    expect(plan).toMatchObject({
      noop: false,
      deleteKeyIds: [CI_OLD_KEY],
      versionsToDisable: [{ version: 1, keyId: CI_OLD_KEY }],
      keepKeyId: CI_NEWER_KEY,
      disableBeforeDeleteDays: 7,
    });
    expect(plan.warnings).toEqual([
      'the key list does not say when a key was disabled: disabled keys created at least 7 days ago (disableBeforeDeleteDays) are deleted without knowing how long they have been disabled',
    ]);
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('is a no-op for the fixture’s half-done rotation: enabled keys are left to keys.rotate', () => {
    // Act
    const plan = keysPrune.plan(platform, ciInventory(false, false), { serviceAccount: CI });

    // Assert
    expect(plan.noop).toBe(true);
    expect(plan.changes).toEqual([]);
    expect(plan.summary).toBe(`${CI}: nothing to prune (2 keys, none disabled)`);
    expect(plan.warnings).toEqual([
      '2 keys are enabled (a half-done rotation?): prune deletes only disabled keys; keys.rotate retires the older ones',
    ]);
  });

  it('keeps a disabled key created fewer days ago than the soak, since it cannot have soaked that long', () => {
    // Prepare
    const observed = ciInventory(false, false);
    observed.keys.push(key('c'.repeat(40), '2026-02-27T09:00:00Z', true));

    // Act
    const plan = keysPrune.plan(platform, observed, { serviceAccount: CI });

    // Assert
    expect(plan.noop).toBe(true);
    expect(plan.summary).toBe(`${CI}: nothing to prune (3 keys, 1 disabled, none past the 7-day soak)`);
    expect(plan.warnings).toContain(
      `disabled key ${'c'.repeat(40)} was created 3 days ago, less than the 7-day soak before deletion: kept`,
    );
  });

  it('never disables the newest enabled version, even when it holds a deleted key', () => {
    // Act: both keys disabled; version 2 holds the newer one.
    const plan = keysPrune.plan(platform, ciInventory(true, true), { serviceAccount: CI });

    // Assert
    expect(plan.deleteKeyIds).toEqual([CI_OLD_KEY, CI_NEWER_KEY]);
    expect(plan.versionsToDisable).toEqual([{ version: 1, keyId: CI_OLD_KEY }]);
    expect(plan.keepKeyId).toBeNull();
    expect(plan.warnings).toContain(
      `version 2 of secret ci-terraform-key, the newest enabled one, holds the deleted key ${CI_NEWER_KEY}: left enabled; rotate the key (keys.rotate) to store a working one`,
    );
    expect(plan.warnings).toContain(`${CI} has no enabled key`);
  });

  it('refuses an account the key policy does not cover', () => {
    // Prepare
    const other = 'kf-user@acme-ml-prod.iam.gserviceaccount.com';

    // Act
    const plan = () =>
      keysPrune.plan(
        platform,
        { ...ciInventory(true, false), serviceAccount: other },
        { serviceAccount: other },
      );

    // Assert
    expect(plan).toThrow(PolicyViolationError);
    expect(plan).toThrow(/is not in the key policy: opsplane only manages the keys of acme-kf-user@/);
  });
});

describe('keysPrune against the simulator', () => {
  const clock = new ManualClock('2026-03-02T09:00:00Z');
  let simulator: RunningSimulator;
  let apis: PlatformApis;
  let desiredState: DesiredStateStore;
  let platform: PlatformState;

  const context = (overrides: Partial<OperationContext> = {}): OperationContext => ({
    platform,
    apis,
    desiredState,
    clock,
    ...overrides,
  });

  const liveKeys = async (serviceAccount: string) =>
    (await apis.iam.listKeys(serviceAccount)).map((each) => ({ id: each.id, disabled: each.disabled }));
  const liveVersions = async (secret: string) =>
    (await apis.secrets.listVersions(secret)).map((each) => ({ version: each.version, state: each.state }));

  /** The logged calls, `METHOD route`, in order. */
  const calls = (): string[] =>
    simulator.requestLog.entries().map((entry) => `${entry.method} ${entry.route}`);

  /** Resets the simulator, disables `keyIds`, plans, and clears the log. */
  const planWithDisabled = async (serviceAccount: string, keyIds: string[]): Promise<KeysPrunePlan> => {
    simulator.reset();
    for (const id of keyIds) await apis.iam.disableKey(serviceAccount, id);
    const plan = await planOperation(keysPrune, { serviceAccount }, context());
    simulator.requestLog.clear();
    return plan;
  };

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

  it('deletes ci-terraform’s disabled old key and disables the version that holds it', async () => {
    // Prepare
    const plan = await planWithDisabled(CI, [CI_OLD_KEY]);

    // Act
    const { result } = await applyPlan(keysPrune, plan, context());

    // Assert
    expect(calls()).toEqual([
      CALL.listKeys,
      CALL.listVersions,
      CALL.disableVersion,
      CALL.deleteKey,
      // verify
      CALL.listKeys,
      CALL.listVersions,
    ]);
    expect(await liveKeys(CI)).toEqual([{ id: CI_NEWER_KEY, disabled: false }]);
    expect(await liveVersions(CI_SECRET)).toEqual([
      { version: 2, state: 'ENABLED' },
      { version: 1, state: 'DISABLED' },
    ]);
    expect(result).toMatchObject({
      deletedKeyIds: [CI_OLD_KEY],
      keptReenabledKeyIds: [],
      disabledVersions: [1],
      keepKeyId: CI_NEWER_KEY,
      keys: {
        before: [
          { id: CI_OLD_KEY, state: 'DISABLED' },
          { id: CI_NEWER_KEY, state: 'ENABLED' },
        ],
        after: [{ id: CI_NEWER_KEY, state: 'ENABLED' }],
      },
      versions: {
        before: [
          { version: 2, state: 'ENABLED' },
          { version: 1, state: 'ENABLED' },
        ],
        after: [
          { version: 2, state: 'ENABLED' },
          { version: 1, state: 'DISABLED' },
        ],
      },
    });
  });

  it('deletes the Metaflow account’s disabled key, whose secret does not exist yet', async () => {
    // Prepare
    const plan = await planWithDisabled(METAFLOW, [METAFLOW_KEY]);

    // Act
    const { result } = await applyPlan(keysPrune, plan, context());

    // Assert
    expect(plan.warnings).toContain(`${METAFLOW} has no enabled key`);
    expect(calls()).toEqual([CALL.listKeys, CALL.deleteKey, CALL.listKeys]);
    expect(await liveKeys(METAFLOW)).toEqual([]);
    expect(result).toMatchObject({ deletedKeyIds: [METAFLOW_KEY], disabledVersions: [], keepKeyId: null });
  });

  it.each([METAFLOW, CI, KF_USER])(
    'changes nothing for %s as the fixture has it (no disabled key)',
    async (account) => {
      // Prepare
      const plan = await planWithDisabled(account, []);
      const before = await liveKeys(account);
      simulator.requestLog.clear();

      // Act
      await applyPlan(keysPrune, plan, context());

      // Assert
      expect(plan.noop).toBe(true);
      expect(calls().filter((call) => !call.startsWith('GET '))).toEqual([]);
      expect(await liveKeys(account)).toEqual(before);
    },
  );

  it('is idempotent: applying again deletes and disables nothing more', async () => {
    // Prepare
    const plan = await planWithDisabled(CI, [CI_OLD_KEY]);
    const progress = new InMemoryProgress(clock);
    await applyPlan(keysPrune, plan, context({ progress }));
    simulator.requestLog.clear();

    // Act
    await applyPlan(keysPrune, plan, context({ progress }));

    // Assert
    expect(calls()).toEqual([CALL.listKeys, CALL.listVersions, CALL.listKeys, CALL.listVersions]);
    expect(await liveKeys(CI)).toEqual([{ id: CI_NEWER_KEY, disabled: false }]);
  });

  it('leaves a key enabled again since the plan, and its version, alone', async () => {
    // Prepare
    const plan = await planWithDisabled(CI, [CI_OLD_KEY]);
    await apis.iam.enableKey(CI, CI_OLD_KEY);
    simulator.requestLog.clear();

    // Act
    const { result } = await applyPlan(keysPrune, plan, context());

    // Assert
    expect(simulator.requestLog.count(CALL.deleteKey)).toBe(0);
    expect(simulator.requestLog.count(CALL.disableVersion)).toBe(0);
    expect(await liveKeys(CI)).toEqual([
      { id: CI_OLD_KEY, disabled: false },
      { id: CI_NEWER_KEY, disabled: false },
    ]);
    expect(result).toMatchObject({
      deletedKeyIds: [],
      keptReenabledKeyIds: [CI_OLD_KEY],
      disabledVersions: [],
    });
  });

  it('ends in the clean run’s state after a crash following any adapter call', async () => {
    // Prepare: a clean run, counting the adapter calls of apply and verify.
    const plan = await planWithDisabled(CI, [CI_OLD_KEY]);
    const clean = crashingApis(apis, Number.POSITIVE_INFINITY);
    await applyPlan(keysPrune, plan, context({ apis: clean.apis }));
    const cleanState = { keys: await liveKeys(CI), versions: await liveVersions(CI_SECRET) };
    expect(clean.calls).toEqual([
      'iam.listKeys',
      'secrets.listVersions',
      'secrets.disableVersion',
      'iam.deleteKey',
      'iam.listKeys',
      'secrets.listVersions',
    ]);

    for (let crashAfter = 1; crashAfter <= clean.calls.length; crashAfter += 1) {
      simulator.reset();
      await apis.iam.disableKey(CI, CI_OLD_KEY);
      const progress = new InMemoryProgress(clock);

      // Act
      const crashed = await applyPlan(
        keysPrune,
        plan,
        context({ apis: crashingApis(apis, crashAfter).apis, progress }),
      ).catch((error: unknown) => error);
      await applyPlan(keysPrune, plan, context({ progress }));

      // Assert
      expect(crashed).toBeInstanceOf(SimulatedCrash);
      expect({ crashAfter, keys: await liveKeys(CI), versions: await liveVersions(CI_SECRET) }).toEqual({
        crashAfter,
        ...cleanState,
      });
    }
  });
});
