import type { RunningSimulator } from '../../../../local/simulator/simulator';
import type { DesiredStateStore, PlatformState } from '../../../../shared/desired-state';
import { desiredStateFromFixture } from '../../../../shared/desired-state';
import { GcpError, OperationPendingError, PolicyViolationError } from '../../../../shared/errors';
import { MAX_USER_MANAGED_KEYS } from '../../../../shared/gcp';
import type { KeyInventory, KeyState, VersionState } from '../../../../shared/operations/keys/key-policy';
import { type KeysRotatePlan, keysRotate } from '../../../../shared/operations/keys/keys-rotate';
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
 * keys.rotate: the pure plan, then apply + verify against the platform simulator (the production
 * adapters, the fixture's accounts), idempotency, recovery from lost key material, and a crash
 * after every single adapter call of a clean run.
 */

const PROJECT = 'acme-ml-prod';
const METAFLOW = 'gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com';
const METAFLOW_KEY = '3f9c1e0a7b5d4c2e8f6a1b0c9d8e7f6a5b4c3d2e';
const METAFLOW_SECRET = `projects/${PROJECT}/secrets/gsa-metaflow-prod-key`;
const CI = 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com';
const CI_OLD_KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const CI_NEWER_KEY = '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807';
const CI_SECRET = `projects/${PROJECT}/secrets/ci-terraform-key`;
const HOUR_MS = 3_600_000;

/** Request-log keys (`METHOD route`) of the calls key rotation makes. */
const CALL = {
  secretGet: 'GET secretmanager.projects.secrets.get',
  secretCreate: 'POST secretmanager.projects.secrets.create',
  addVersion: 'POST secretmanager.projects.secrets.addVersion',
  listVersions: 'GET secretmanager.projects.secrets.versions.list',
  disableVersion: 'POST secretmanager.projects.secrets.versions.disable',
  listKeys: 'GET iam.projects.serviceAccounts.keys.list',
  createKey: 'POST iam.projects.serviceAccounts.keys.create',
  disableKey: 'POST iam.projects.serviceAccounts.keys.disable',
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

/** An observed inventory for the pure plan tests. */
const inventory = (
  serviceAccount: string,
  keys: KeyState[],
  versions: VersionState[] | null,
  secretId: string,
  departedHolders: string[] = [],
): KeyInventory => ({
  serviceAccount,
  observedAt: '2026-03-02T09:00:00.000Z',
  keys,
  secret: {
    project: PROJECT,
    secretId,
    name: `projects/${PROJECT}/secrets/${secretId}`,
    exists: versions !== null,
    versions: versions ?? [],
  },
  departedHolders,
});

/** `n` enabled keys one day apart, oldest first. */
const manyKeys = (n: number): KeyState[] =>
  Array.from({ length: n }, (_, index) =>
    key(
      `${String(index).padStart(2, '0')}`.padEnd(40, 'a'),
      `2025-01-${String(index + 1).padStart(2, '0')}T00:00:00Z`,
    ),
  );

describe('keysRotate.plan', () => {
  const platform = desiredStateFromFixture(loadFixture());

  it('plans the Metaflow rotation: secret created, new key stored, the old key retired after the default grace, the departed holder cleared', () => {
    // Prepare: liam.obrien left but holds a copy.
    const observed = inventory(
      METAFLOW,
      [key(METAFLOW_KEY, '2024-10-03T14:22:31Z')],
      null,
      'gsa-metaflow-prod-key',
      ['liam.obrien@acme.ai'],
    );

    // Act
    const plan = keysRotate.plan(platform, observed, { serviceAccount: METAFLOW });

    // Assert
    expect(plan.summary).toBe(
      `${METAFLOW}: new key stored in secret gsa-metaflow-prod-key (created); after 24h, 1 old key disabled and deleted and 0 old versions disabled`,
    );
    expect(plan.changes).toEqual([
      { resource: 'secrets/gsa-metaflow-prod-key', field: 'secret', from: null, to: METAFLOW_SECRET },
      { resource: `keys/${METAFLOW}/(new)`, field: 'key', from: null, to: 'ENABLED' },
      {
        resource: 'secrets/gsa-metaflow-prod-key/versions/(new)',
        field: 'version',
        from: null,
        to: 'ENABLED',
      },
      { resource: `keys/${METAFLOW}/${METAFLOW_KEY}`, field: 'state', from: 'ENABLED', to: 'DISABLED' },
      { resource: `keys/${METAFLOW}/${METAFLOW_KEY}`, field: 'key', from: 'DISABLED', to: null },
      {
        resource: `desiredState/keys/${METAFLOW}/holders/liam.obrien@acme.ai`,
        field: 'holder',
        from: 'liam.obrien@acme.ai',
        to: null,
      },
    ]);
    expect(plan.warnings.slice(0, 2)).toEqual([
      'people hold copies of the old key: aiko.tanaka@acme.ai, priya.nair@acme.ai, tomas.silva@acme.ai; it stops working when it is disabled after the 24h grace period: hand them the new key from secret gsa-metaflow-prod-key',
      "liam.obrien@acme.ai holds a copy but is not a managed user: their copy dies with the old key, and they are cleared from the key policy's holders",
    ]);
    expect(plan).toMatchObject({
      noop: false,
      graceHours: 24,
      secret: { exists: false, name: METAFLOW_SECRET, secretId: 'gsa-metaflow-prod-key' },
      makeRoomKeyIds: [],
      retireKeyIds: [METAFLOW_KEY],
      knownVersion: 0,
      versionsToDisable: [],
      departedHolders: ['liam.obrien@acme.ai'],
    });
    // Plain data: it survives the ledger's JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('finishes the half-done ci-terraform rotation: both enabled keys and both versions retired', () => {
    // Prepare
    const observed = inventory(
      CI,
      [key(CI_OLD_KEY, '2024-03-02T08:11:00Z'), key(CI_NEWER_KEY, '2025-05-20T12:00:03Z')],
      [version(2, 'ENABLED', '2025-05-20T12:00:10Z'), version(1, 'ENABLED', '2024-03-02T08:11:10Z')],
      'ci-terraform-key',
    );

    // Act
    const plan = keysRotate.plan(platform, observed, { serviceAccount: CI, graceHours: 2 });

    // Assert
    expect(plan.graceHours).toBe(2);
    expect(plan.knownVersion).toBe(2);
    expect(plan.versionsToDisable).toEqual([2, 1]);
    expect(plan.retireKeyIds).toEqual([CI_OLD_KEY, CI_NEWER_KEY]);
    expect(plan.changes.filter((change) => change.to === null).map((change) => change.resource)).toEqual([
      `keys/${CI}/${CI_OLD_KEY}`,
      `keys/${CI}/${CI_NEWER_KEY}`,
    ]);
    expect(plan.changes).toContainEqual({
      resource: 'secrets/ci-terraform-key/versions/1',
      field: 'state',
      from: 'ENABLED',
      to: 'DISABLED',
    });
    expect(plan.warnings).toContain(
      '2 keys are enabled (a half-done rotation?): all of them are disabled and deleted after the grace period',
    );
    // ci-terraform's key was given to nobody: no holders warning.
    expect(plan.warnings.join('\n')).not.toMatch(/people hold copies/);
  });

  it('refuses an account the key policy does not cover, naming the ones it does', () => {
    // Prepare
    const other = 'kf-user@acme-ml-prod.iam.gserviceaccount.com';
    const observed = inventory(other, [], null, 'kf-user-key');

    // Act
    const plan = () => keysRotate.plan(platform, observed, { serviceAccount: other });

    // Assert
    expect(plan).toThrow(PolicyViolationError);
    expect(plan).toThrow(
      `${other} is not in the key policy: opsplane only manages the keys of acme-kf-user@acme-ml-prod.iam.gserviceaccount.com, ${CI}, ${METAFLOW}`,
    );
  });

  it('deletes the oldest disabled keys first when a new key would exceed the key limit', () => {
    // Prepare: the limit reached, three keys disabled (the second, fifth and eighth oldest).
    const keys = manyKeys(MAX_USER_MANAGED_KEYS).map((each, index) => ({
      ...each,
      disabled: [1, 4, 7].includes(index),
    }));
    const observed = inventory(CI, keys, [], 'ci-terraform-key');

    // Act
    const plan = keysRotate.plan(platform, observed, { serviceAccount: CI });

    // Assert
    expect(plan.makeRoomKeyIds).toEqual([keys[1]?.id]);
    expect(plan.retireKeyIds).toHaveLength(MAX_USER_MANAGED_KEYS - 1);
    expect(plan.retireKeyIds).not.toContain(keys[1]?.id);
    expect(plan.changes[0]).toEqual({
      resource: `keys/${CI}/${keys[1]?.id}`,
      field: 'key',
      from: 'DISABLED',
      to: null,
    });
    expect(plan.warnings).toContain(
      `${CI} holds 10 user-managed keys: the 1 oldest disabled key is deleted first to stay within the limit of 10`,
    );
  });

  it('makes no room below the key limit', () => {
    // Act
    const plan = keysRotate.plan(
      platform,
      inventory(CI, manyKeys(MAX_USER_MANAGED_KEYS - 1), [], 'ci-terraform-key'),
      { serviceAccount: CI },
    );

    // Assert
    expect(plan.makeRoomKeyIds).toEqual([]);
  });

  it('refuses when deleting every disabled key cannot make room for the new one', () => {
    // Prepare: ten keys, all enabled.
    const observed = inventory(CI, manyKeys(MAX_USER_MANAGED_KEYS), [], 'ci-terraform-key');

    // Act
    const plan = () => keysRotate.plan(platform, observed, { serviceAccount: CI });

    // Assert
    expect(plan).toThrow(PolicyViolationError);
    expect(plan).toThrow(
      /holds 10 user-managed keys \(0 disabled\): a new key would exceed the limit of 10, and deleting every disabled key frees only 0 of the 1 slots needed/,
    );
  });
});

describe('keysRotate against the simulator', () => {
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

  /** The account's keys and its key secret's versions, read through the adapters (not logged in the assertions). */
  const liveState = async (serviceAccount: string, secret: string) => {
    const keys = await apis.iam.listKeys(serviceAccount);
    const versions = await apis.secrets.listVersions(secret);
    return {
      keys: keys.map((each) => ({ id: each.id, disabled: each.disabled })),
      versions: versions.map((each) => ({ version: each.version, state: each.state })),
    };
  };

  /** The credentials file a version holds, parsed (tests only: operations never read payloads). */
  const storedCredentials = async (secret: string, number: number) => {
    const material = await apis.secrets.accessVersion(`${secret}/versions/${number}`);
    return JSON.parse(material.reveal().toString('utf8')) as { private_key_id: string; client_email: string };
  };

  /** The logged calls, `METHOD route`, in order. */
  const calls = (): string[] =>
    simulator.requestLog.entries().map((entry) => `${entry.method} ${entry.route}`);

  /** A fresh plan for `args` on the reset simulator, with the log cleared after planning. */
  const planFresh = async (args: {
    serviceAccount: string;
    graceHours?: number;
  }): Promise<KeysRotatePlan> => {
    simulator.reset();
    const plan = await planOperation(keysRotate, args, context());
    simulator.requestLog.clear();
    return plan;
  };

  beforeAll(async () => {
    simulator = await startFixtureSimulator({ timeScale: 0, clock });
    apis = platformApisFor(simulator, clock);
    ({ desiredState, platform } = await desiredStateForTest(clock.now()));
  });

  beforeEach(() => {
    simulator.faults.clear();
    simulator.reset();
    simulator.requestLog.clear();
  });

  afterAll(async () => {
    await simulator.close();
  });

  it('rotates the Metaflow key: secret created, key stored, the old key retired after the grace period', async () => {
    // Prepare
    const plan = await planFresh({ serviceAccount: METAFLOW });
    const started = clock.now().getTime();

    // Act
    const { result, progress, resumes } = await applyPlan(keysRotate, plan, context());

    // Assert: the exact calls, in order; one park for the grace period.
    expect(resumes).toBe(1);
    expect(clock.now().getTime() - started).toBeGreaterThanOrEqual(24 * HOUR_MS);
    expect(calls()).toEqual([
      CALL.secretGet,
      CALL.secretCreate,
      CALL.listKeys,
      CALL.createKey,
      CALL.addVersion,
      // after the grace period
      CALL.listKeys,
      CALL.disableKey,
      CALL.deleteKey,
      // verify
      CALL.listKeys,
      CALL.listVersions,
    ]);
    const newKeyId = progress.steps.createKey?.keyId;
    expect(typeof newKeyId).toBe('string');
    expect(await liveState(METAFLOW, METAFLOW_SECRET)).toEqual({
      keys: [{ id: newKeyId, disabled: false }],
      versions: [{ version: 1, state: 'ENABLED' }],
    });
    const secret = await apis.secrets.getSecret(METAFLOW_SECRET);
    expect(secret.labels).toEqual({ 'managed-by': 'opsplane', 'service-account': 'gsa-metaflow-prod' });
    expect(await storedCredentials(METAFLOW_SECRET, 1)).toMatchObject({
      private_key_id: newKeyId,
      client_email: METAFLOW,
    });
    expect(result).toMatchObject({
      serviceAccount: METAFLOW,
      secretId: 'gsa-metaflow-prod-key',
      secretCreated: true,
      newKeyId,
      storedVersion: 1,
      deletedKeyIds: [METAFLOW_KEY],
      disabledVersions: [],
      keys: {
        before: [{ id: METAFLOW_KEY, state: 'ENABLED' }],
        after: [{ id: newKeyId, state: 'ENABLED' }],
      },
      versions: { before: [], after: [{ version: 1, state: 'ENABLED' }] },
    });
  });

  it('never lets key material into the plan, the result, the recorded steps or the request log', async () => {
    // Prepare
    const plan = await planFresh({ serviceAccount: METAFLOW, graceHours: 0 });

    // Act
    const { result, progress } = await applyPlan(keysRotate, plan, context());

    // Assert
    const stored = (await apis.secrets.accessVersion(`${METAFLOW_SECRET}/versions/1`)).reveal();
    const recorded = JSON.stringify({ plan, result, steps: progress.steps, ops: progress.googleOperations });
    const logged = JSON.stringify(simulator.requestLog.entries());
    for (const text of [recorded, logged]) {
      expect(text).not.toMatch(/PRIVATE KEY|private_key|privateKeyData/);
      expect(text).not.toContain(stored.toString('base64').slice(0, 64));
    }
  });

  it('keeps the old key enabled until the grace period has passed', async () => {
    // Prepare
    const plan = await planFresh({ serviceAccount: METAFLOW, graceHours: 6 });
    const progress = new InMemoryProgress(clock);
    const stored = clock.now().getTime();

    // Act: no resumes allowed, so each park comes back to the test.
    const parked = await applyPlan(keysRotate, plan, context({ progress }), 0).catch(
      (error: unknown) => error,
    );
    const afterStore = await liveState(METAFLOW, METAFLOW_SECRET);
    clock.advance(6 * HOUR_MS - 1000);
    simulator.requestLog.clear();
    const stillParked = await applyPlan(keysRotate, plan, context({ progress }), 0).catch(
      (error: unknown) => error,
    );
    const callsWhileParked = calls();
    clock.advance(1000);
    await applyPlan(keysRotate, plan, context({ progress }), 0);

    // Assert
    expect(parked).toBeInstanceOf(OperationPendingError);
    expect((parked as OperationPendingError).resumeAt?.getTime()).toBe(stored + 6 * HOUR_MS);
    expect(stillParked).toBeInstanceOf(OperationPendingError);
    expect(callsWhileParked).toEqual([]);
    expect(afterStore.keys).toEqual([
      { id: METAFLOW_KEY, disabled: false },
      { id: progress.steps.createKey?.keyId, disabled: false },
    ]);
    expect((await liveState(METAFLOW, METAFLOW_SECRET)).keys).toEqual([
      { id: progress.steps.createKey?.keyId, disabled: false },
    ]);
  });

  it('finishes the half-done ci-terraform rotation: both old keys deleted, both old versions disabled', async () => {
    // Prepare
    const plan = await planFresh({ serviceAccount: CI, graceHours: 0 });

    // Act
    const { result, progress, resumes } = await applyPlan(keysRotate, plan, context());

    // Assert
    expect(resumes).toBe(0);
    expect(calls()).toEqual([
      CALL.secretGet,
      CALL.listKeys,
      CALL.createKey,
      CALL.addVersion,
      CALL.listKeys,
      CALL.disableKey,
      CALL.disableKey,
      CALL.listVersions,
      CALL.disableVersion,
      CALL.disableVersion,
      CALL.deleteKey,
      CALL.deleteKey,
      CALL.listKeys,
      CALL.listVersions,
    ]);
    const newKeyId = progress.steps.createKey?.keyId;
    expect(await liveState(CI, CI_SECRET)).toEqual({
      keys: [{ id: newKeyId, disabled: false }],
      versions: [
        { version: 3, state: 'ENABLED' },
        { version: 2, state: 'DISABLED' },
        { version: 1, state: 'DISABLED' },
      ],
    });
    expect((await storedCredentials(CI_SECRET, 3)).private_key_id).toBe(newKeyId);
    expect(result).toMatchObject({
      secretCreated: false,
      storedVersion: 3,
      deletedKeyIds: [CI_OLD_KEY, CI_NEWER_KEY],
      disabledVersions: [2, 1],
    });
  });

  it('is idempotent: applying the finished plan again calls nothing and changes nothing', async () => {
    // Prepare
    const plan = await planFresh({ serviceAccount: CI, graceHours: 0 });
    const { progress } = await applyPlan(keysRotate, plan, context());
    const before = await liveState(CI, CI_SECRET);
    simulator.requestLog.clear();

    // Act
    const again = await applyPlan(keysRotate, plan, context({ progress }));

    // Assert
    expect(calls()).toEqual([CALL.listKeys, CALL.listVersions]); // verify only
    expect(await liveState(CI, CI_SECRET)).toEqual(before);
    expect(again.result.newKeyId).toBe(progress.steps.createKey?.keyId);
  });

  it('deletes the oldest disabled key first when the account is at the key limit', async () => {
    // Prepare: ci-terraform's 2 keys plus 8 more, a minute apart; the first three of those disabled.
    simulator.reset();
    const extra: string[] = [];
    for (let index = 0; index < MAX_USER_MANAGED_KEYS - 2; index += 1) {
      clock.advance(60_000);
      const created = await apis.iam.createKey(CI);
      created.material.wipe();
      extra.push(created.id);
    }
    for (const id of extra.slice(0, 3)) await apis.iam.disableKey(CI, id);
    const plan = await planOperation(keysRotate, { serviceAccount: CI, graceHours: 0 }, context());
    simulator.requestLog.clear();

    // Act
    const { progress } = await applyPlan(keysRotate, plan, context());

    // Assert
    expect(plan.makeRoomKeyIds).toEqual([extra[0]]);
    const log = simulator.requestLog.entries();
    const roomMade = log.findIndex(
      (entry) => entry.method === 'DELETE' && entry.path.endsWith(`/keys/${extra[0]}`),
    );
    const created = log.findIndex((entry) => `${entry.method} ${entry.route}` === CALL.createKey);
    expect(roomMade).toBeGreaterThanOrEqual(0);
    expect(roomMade).toBeLessThan(created);
    expect(log.filter((entry) => entry.status >= 400)).toEqual([]);
    expect((await liveState(CI, CI_SECRET)).keys).toEqual([
      { id: progress.steps.createKey?.keyId, disabled: false },
    ]);
  });

  describe('recovery', () => {
    it('replaces a recorded key whose material was lost before it was stored', async () => {
      // Prepare: an earlier attempt created and recorded a key, then lost it (never stored).
      const plan = await planFresh({ serviceAccount: CI, graceHours: 0 });
      const progress = new InMemoryProgress(clock);
      const lost = await apis.iam.createKey(CI);
      lost.material.wipe();
      await progress.recordStep('createKey', { keyId: lost.id });
      simulator.requestLog.clear();

      // Act
      await applyPlan(keysRotate, plan, context({ progress }));

      // Assert
      const newKeyId = progress.steps.createKey?.keyId;
      expect(newKeyId).not.toBe(lost.id);
      expect(calls().slice(0, 6)).toEqual([
        CALL.secretGet,
        CALL.listKeys,
        CALL.listVersions,
        CALL.deleteKey,
        CALL.createKey,
        CALL.addVersion,
      ]);
      const state = await liveState(CI, CI_SECRET);
      expect(state.keys).toEqual([{ id: newKeyId, disabled: false }]);
      expect(state.versions.map((each) => each.version)).toEqual([3, 2, 1]);
      expect((await storedCredentials(CI_SECRET, 3)).private_key_id).toBe(newKeyId);
    });

    it('adopts a version an interrupted attempt added but did not record, instead of adding another', async () => {
      // Prepare: created, recorded, stored, but the store was not recorded.
      const plan = await planFresh({ serviceAccount: CI, graceHours: 0 });
      const progress = new InMemoryProgress(clock);
      const created = await apis.iam.createKey(CI);
      await progress.recordStep('createKey', { keyId: created.id });
      await apis.secrets.addVersion(CI_SECRET, created.material);
      created.material.wipe();
      simulator.requestLog.clear();

      // Act
      const { result } = await applyPlan(keysRotate, plan, context({ progress }));

      // Assert
      expect(simulator.requestLog.count(CALL.createKey)).toBe(0);
      expect(simulator.requestLog.count(CALL.addVersion)).toBe(0);
      expect(result).toMatchObject({ newKeyId: created.id, storedVersion: 3 });
      const state = await liveState(CI, CI_SECRET);
      expect(state.keys).toEqual([{ id: created.id, disabled: false }]);
      expect(state.versions.map((each) => each.version)).toEqual([3, 2, 1]);
    });

    it('recovers from a failed store: the unstored key is replaced on the next attempt', async () => {
      // Prepare
      const plan = await planFresh({ serviceAccount: CI, graceHours: 0 });
      const progress = new InMemoryProgress(clock);
      simulator.faults.inject({ route: 'secretmanager.projects.secrets.addVersion', sequence: [500] });

      // Act
      const failed = await applyPlan(keysRotate, plan, context({ progress })).catch(
        (error: unknown) => error,
      );
      const firstKey = progress.steps.createKey?.keyId;
      const { result } = await applyPlan(keysRotate, plan, context({ progress }));

      // Assert
      expect(failed).toBeInstanceOf(GcpError);
      expect(result.newKeyId).not.toBe(firstKey);
      expect(simulator.requestLog.count(CALL.createKey)).toBe(2);
      const state = await liveState(CI, CI_SECRET);
      expect(state.keys).toEqual([{ id: result.newKeyId, disabled: false }]);
      expect(state.versions).toEqual([
        { version: 3, state: 'ENABLED' },
        { version: 2, state: 'DISABLED' },
        { version: 1, state: 'DISABLED' },
      ]);
    });
  });

  describe.each([
    {
      account: METAFLOW,
      secret: METAFLOW_SECRET,
      graceHours: 24,
      knownVersions: 0,
      cleanCalls: [
        'secrets.ensureSecret',
        'iam.listKeys',
        'iam.createKey',
        'secrets.addVersion',
        'iam.listKeys',
        'iam.disableKey',
        'iam.deleteKey',
        'iam.listKeys',
        'secrets.listVersions',
      ],
    },
    {
      account: CI,
      secret: CI_SECRET,
      graceHours: 0,
      knownVersions: 2,
      cleanCalls: [
        'secrets.ensureSecret',
        'iam.listKeys',
        'iam.createKey',
        'secrets.addVersion',
        'iam.listKeys',
        'iam.disableKey',
        'iam.disableKey',
        'secrets.listVersions',
        'secrets.disableVersion',
        'secrets.disableVersion',
        'iam.deleteKey',
        'iam.deleteKey',
        'iam.listKeys',
        'secrets.listVersions',
      ],
    },
  ])('crash safety of $account', ({ account, secret, graceHours, knownVersions, cleanCalls }) => {
    it('ends in the clean run’s state after a crash following any adapter call', async () => {
      // Prepare: a clean run, counting the adapter calls of apply and verify.
      const plan = await planFresh({ serviceAccount: account, graceHours });
      const clean = crashingApis(apis, Number.POSITIVE_INFINITY);
      await applyPlan(keysRotate, plan, context({ apis: clean.apis }));
      const cleanState = await liveState(account, secret);
      expect(clean.calls).toEqual(cleanCalls);

      for (let crashAfter = 1; crashAfter <= clean.calls.length; crashAfter += 1) {
        simulator.reset();
        const progress = new InMemoryProgress(clock);

        // Act
        const crashed = await applyPlan(
          keysRotate,
          plan,
          context({ apis: crashingApis(apis, crashAfter).apis, progress }),
        ).catch((error: unknown) => error);
        const { result } = await applyPlan(keysRotate, plan, context({ progress }));

        // Assert: one new enabled key, stored in exactly one new enabled version; old ones gone or disabled.
        expect(crashed).toBeInstanceOf(SimulatedCrash);
        const state = await liveState(account, secret);
        expect({ crashAfter, keys: state.keys }).toEqual({
          crashAfter,
          keys: [{ id: result.newKeyId, disabled: false }],
        });
        expect(state.versions).toHaveLength(cleanState.versions.length);
        expect(state.versions.map((each) => each.state)).toEqual(
          cleanState.versions.map((each) => each.state),
        );
        expect(state.versions[0]?.version).toBe(knownVersions + 1);
        expect((await storedCredentials(secret, knownVersions + 1)).private_key_id).toBe(result.newKeyId);
      }
    });
  });
});
