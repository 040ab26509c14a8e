import { SimulatorApiError } from '../../../local/simulator/api-error';
import { defaultFixturePath, loadFixture } from '../../../local/simulator/fixture';
import type { RouteResponse, SimulatorContext } from '../../../local/simulator/service';
import { createIamService } from '../../../local/simulator/services/iam';
import type { SimulatorState } from '../../../local/simulator/state';
import { silentLogger } from '../../../shared/logging';
import { ManualClock } from '../../../shared/time';

/**
 * The IAM service without a listener: fixture validation, org policies on keys, and what its routes
 * are called. Handlers are invoked directly with a minimal context; the wire is covered by
 * test/integration/simulator/iam.test.ts.
 */

type Fixture = {
  project: { orgPolicies: Record<string, unknown> };
  iam: {
    serviceAccountKeys: Array<Record<string, unknown>>;
    serviceAccountPolicies: Record<string, unknown>;
  };
};

const CI_KEYS =
  'projects/acme-ml-prod/serviceAccounts/ci-terraform@acme-ml-prod.iam.gserviceaccount.com/keys';

const fixture = (): Fixture => loadFixture(defaultFixturePath()) as Fixture;

const context = (now: string): SimulatorContext => ({
  // The IAM service owns its state and never reads the shared one.
  state: {} as SimulatorState,
  clock: new ManualClock(now),
  timeScale: 0,
  logger: silentLogger,
  faults: { operationError: () => undefined },
});

/** Calls the IAM route named `name` the way the listener would. */
const call = (
  service: ReturnType<typeof createIamService>['service'],
  name: string,
  params: Record<string, string>,
  body?: unknown,
): RouteResponse => {
  const route = service.routes.find((candidate) => candidate.name === name);
  if (!route) throw new Error(`no route ${name}`);
  return route.handle(
    { method: route.method, path: route.template, params, query: new URLSearchParams(), body },
    context('2026-03-02T09:00:00Z'),
  );
};

const rejectionOf = (action: () => unknown): SimulatorApiError => {
  try {
    action();
  } catch (error) {
    if (error instanceof SimulatorApiError) return error;
    throw error;
  }
  throw new Error('expected a SimulatorApiError');
};

const CI = { project: 'acme-ml-prod', serviceAccount: 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com' };

describe('iam service', () => {
  it.each([
    [
      'a key of an unknown type',
      (broken: Fixture) => {
        broken.iam.serviceAccountKeys[1] = { ...broken.iam.serviceAccountKeys[1], keyType: 'ROTATED' };
      },
      /iam\.serviceAccountKeys\[1\]\.keyType/,
    ],
    [
      'a key of no listed service account',
      (broken: Fixture) => {
        broken.iam.serviceAccountKeys[0] = {
          ...broken.iam.serviceAccountKeys[0],
          name: 'projects/acme-ml-prod/serviceAccounts/ghost@acme-ml-prod.iam.gserviceaccount.com/keys/abc',
        };
      },
      /iam\.serviceAccountKeys\[0\]\.name/,
    ],
    [
      'a key carrying private key data',
      (broken: Fixture) => {
        broken.iam.serviceAccountKeys[2] = {
          ...broken.iam.serviceAccountKeys[2],
          privateKeyData: 'c2VjcmV0',
        };
      },
      /private key data is never stored[\s\S]*iam\.serviceAccountKeys\[2\]\.privateKeyData/,
    ],
    [
      'a policy of no listed service account',
      (broken: Fixture) => {
        broken.iam.serviceAccountPolicies['ghost@acme-ml-prod.iam.gserviceaccount.com'] = { etag: 'ACAB' };
      },
      /iam\.serviceAccountPolicies\["ghost@acme-ml-prod\.iam\.gserviceaccount\.com"\]/,
    ],
  ])('fails at creation on %s, naming its path', (_case, breakFixture, path) => {
    // Prepare
    const broken = fixture();
    breakFixture(broken);

    // Act
    const create = () => createIamService({ fixture: broken });

    // Assess
    expect(create).toThrow(/^Invalid IAM fixture:/);
    expect(create).toThrow(path);
  });

  it('names every route, and its discovery method, after the iam.v1 method id', () => {
    // Act
    const { routes } = createIamService({ fixture: fixture() }).service;

    // Assess
    expect(routes.map((route) => route.name).sort()).toEqual([
      'iam.projects.serviceAccounts.get',
      'iam.projects.serviceAccounts.getIamPolicy',
      'iam.projects.serviceAccounts.keys.create',
      'iam.projects.serviceAccounts.keys.delete',
      'iam.projects.serviceAccounts.keys.disable',
      'iam.projects.serviceAccounts.keys.enable',
      'iam.projects.serviceAccounts.keys.get',
      'iam.projects.serviceAccounts.keys.list',
      'iam.projects.serviceAccounts.list',
      'iam.projects.serviceAccounts.setIamPolicy',
    ]);
    expect(routes.every((route) => route.discoveryMethod === route.name)).toBe(true);
  });

  it('refuses key creation when the org policy disables it', () => {
    // Prepare
    const restricted = fixture();
    restricted.project.orgPolicies['iam.disableServiceAccountKeyCreation'] = true;
    const { service } = createIamService({ fixture: restricted });

    // Act
    const error = rejectionOf(() => call(service, 'iam.projects.serviceAccounts.keys.create', CI, {}));

    // Assess
    expect(error.status).toBe('FAILED_PRECONDITION');
    expect(error.message).toBe('Key creation is not allowed on this service account.');
  });

  it('ends a new key’s validity after the org policy’s expiry hours', () => {
    // Prepare
    const expiring = fixture();
    expiring.project.orgPolicies['iam.serviceAccountKeyExpiryHours'] = 24;
    const { service } = createIamService({ fixture: expiring });

    // Act
    const { body } = call(service, 'iam.projects.serviceAccounts.keys.create', CI, {});

    // Assess
    expect(body).toMatchObject({
      validAfterTime: '2026-03-02T09:00:00Z',
      validBeforeTime: '2026-03-03T09:00:00Z',
    });
  });

  it('takes numeric enums in the create body, as gax clients send them', () => {
    // Prepare
    const { service } = createIamService({ fixture: fixture() });

    // Act
    const { body } = call(service, 'iam.projects.serviceAccounts.keys.create', CI, {
      privateKeyType: 2,
      keyAlgorithm: 1,
    });

    // Assess
    expect(body).toMatchObject({
      privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE',
      keyAlgorithm: 'KEY_ALG_RSA_1024',
    });
  });

  it('refuses PKCS12 key files, which the simulator does not produce, and unknown body fields', () => {
    // Prepare
    const { service } = createIamService({ fixture: fixture() });

    // Act
    const pkcs12 = rejectionOf(() =>
      call(service, 'iam.projects.serviceAccounts.keys.create', CI, { privateKeyType: 'TYPE_PKCS12_FILE' }),
    );
    const unknown = rejectionOf(() =>
      call(service, 'iam.projects.serviceAccounts.keys.create', CI, { keyType: 'USER_MANAGED' }),
    );

    // Assess
    expect(pkcs12.status).toBe('UNIMPLEMENTED');
    expect(unknown.status).toBe('INVALID_ARGUMENT');
  });

  it('keeps a snapshot free of private keys and restores it into a fresh service', () => {
    // Prepare
    const first = createIamService({ fixture: fixture() });
    const { body } = call(first.service, 'iam.projects.serviceAccounts.keys.create', CI, {});
    const created = body as { name: string; privateKeyData: string };

    // Act
    const snapshot = JSON.parse(JSON.stringify(first.service.snapshot?.())) as unknown;
    const second = createIamService({ fixture: fixture() });
    second.service.restore?.(snapshot);
    const { body: listed } = call(second.service, 'iam.projects.serviceAccounts.keys.list', CI);

    // Assess
    expect(JSON.stringify(snapshot)).not.toContain(created.privateKeyData);
    expect(JSON.stringify(snapshot)).not.toContain('PRIVATE KEY');
    expect((listed as { keys: Array<{ name: string }> }).keys.map((key) => key.name)).toEqual([
      `${CI_KEYS}/a1b2c3d4e5f60718293a4b5c6d7e8f9012345678`,
      `${CI_KEYS}/9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807`,
      created.name,
    ]);
  });
});
