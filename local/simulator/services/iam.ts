import type { SimulatorApiError } from '../api-error';
import { type JsonObject, readEnum, readMessage } from '../request-fields';
import {
  discoveryRoute,
  type Route,
  type RouteRequest,
  type RouteResponse,
  type ServiceModule,
  type SimulatorContext,
} from '../service';
import {
  emailOfName,
  type IamSeed,
  type IamState,
  KEY_ALGORITHMS,
  KEY_TYPES,
  PRIVATE_KEY_TYPES,
  PUBLIC_KEY_TYPES,
  parseIamSeed,
  parseIamStateSnapshot,
  type ServiceAccount,
  type StoredServiceAccountKey,
} from './iam-fixture';
import { credentialsFileData, generateServiceAccountKey, type KeyOwner, publicKeyDer } from './iam-keys';
import {
  applyPolicyWrite,
  emptyPolicy,
  type IamPolicy,
  identityApiError,
  type PolicyWriteRules,
  parsePolicyDirectory,
  policyResponse,
  readRequestedPolicyVersion,
  readSetIamPolicyRequest,
  withMemberGranted,
  withMemberRevoked,
} from './iam-policy';
import type { ServiceAccountPolicyEditor } from './service-account-policies';

/**
 * IAM, iam.googleapis.com v1 (api-contracts §4): service accounts (get, list), their user-managed
 * keys (create, list, get, delete, disable, enable) and their IAM policies (workload identity
 * bindings). Every route's `name` and `discoveryMethod` is the method id in `iam.v1.json`.
 *
 * A service account is addressed as Google allows: `projects/{id|number|-}/serviceAccounts/{email|uniqueId}`.
 * With `-`, or a project that is not the simulated one, a missing account is 403, not 404: the
 * contract's "projects/-/… can turn a 404 into a 403".
 */

/** What {@link createIamService} is built from. */
interface IamServiceOptions {
  /** The parsed fixture (see `loadFixture`); validated here, at creation. */
  fixture: unknown;
}

/** The IAM service and the handle through which other simulated services edit its SA policies. */
interface IamService {
  service: ServiceModule;
  serviceAccountPolicies: ServiceAccountPolicyEditor;
}

/** User-managed keys a service account may hold, disabled ones included (api-contracts §4, [U]). */
const MAX_USER_MANAGED_KEYS = 10;

/** `validBeforeTime` of a key no expiry policy limits (the fixture's keys, api-contracts §4 [U]). */
const NEVER_EXPIRES = '9999-12-31T23:59:59Z';

const SERVICE_ACCOUNT_PAGE_DEFAULT = 20;
const SERVICE_ACCOUNT_PAGE_MAX = 100;

const BASE = '/v1/projects/{project}/serviceAccounts';
const ACCOUNT = `${BASE}/{serviceAccount}`;
const KEY = `${ACCOUNT}/keys/{key}`;

/** Fields the API never shows: simulator hints, and the key type Google returns only from create. */
const HIDDEN_ACCOUNT_FIELDS = ['x-sim'];
const HIDDEN_KEY_FIELDS = ['x-sim', 'privateKeyType'];

const withoutFields = (resource: JsonObject, hidden: readonly string[]): JsonObject =>
  structuredClone(Object.fromEntries(Object.entries(resource).filter(([field]) => !hidden.includes(field))));

const ok = (body: unknown): RouteResponse => ({ body });

/** RFC 3339 to the second, as IAM writes key times (`2024-10-03T14:22:31Z`). */
const toSecond = (time: Date): string => `${time.toISOString().slice(0, 19)}Z`;

/** Google's answer when the caller may not see the resource, or it does not exist. */
const permissionDenied = (permission: string): SimulatorApiError =>
  identityApiError(
    'PERMISSION_DENIED',
    `Permission '${permission}' denied on resource (or it may not exist).`,
    [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain: 'iam.googleapis.com',
        metadata: { permission },
      },
    ],
  );

/**
 * Creates the IAM service, its state seeded from the fixture. Register `service` with the simulator
 * (`extraServices`); hand `serviceAccountPolicies` to whatever edits SA policies in-process.
 *
 * @throws Error naming every invalid fixture path, e.g. `iam.serviceAccountKeys[1].keyType`.
 */
const createIamService = (options: IamServiceOptions): IamService => {
  const seed: IamSeed = parseIamSeed(options.fixture);
  const rules: PolicyWriteRules = {
    resource: 'serviceAccount',
    directory: parsePolicyDirectory(options.fixture, 'IAM'),
  };
  let state: IamState = structuredClone(seed.state);

  const isOurProject = (project: string | undefined): boolean =>
    project === seed.projectId || project === seed.projectNumber;

  /**
   * The account a path names.
   *
   * @param notFoundMessage - Google's 404 text for this method.
   * @throws SimulatorApiError NOT_FOUND, or PERMISSION_DENIED under `-` or a foreign project.
   */
  const findAccount = (
    params: Record<string, string>,
    permission: string,
    notFoundMessage = 'Unknown service account',
  ): ServiceAccount => {
    const wildcard = params.project === '-';
    const reachable = wildcard || isOurProject(params.project);
    const id = (params.serviceAccount ?? '').toLowerCase();
    const account = reachable
      ? state.serviceAccounts.find(
          (candidate) => candidate.email.toLowerCase() === id || candidate.uniqueId === id,
        )
      : undefined;
    if (account) return account;
    if (!reachable || wildcard) throw permissionDenied(permission);
    throw identityApiError('NOT_FOUND', notFoundMessage);
  };

  const keysOf = (account: ServiceAccount): StoredServiceAccountKey[] =>
    state.keys.filter((stored) => emailOfName(stored.key.name) === account.email.toLowerCase());

  const findKey = (params: Record<string, string>, permission: string): StoredServiceAccountKey => {
    const account = findAccount(params, permission);
    const stored = keysOf(account).find((candidate) => candidate.key.name.endsWith(`/keys/${params.key}`));
    if (stored) return stored;
    // Wording from Google (googleapis/google-cloud-cpp #6637).
    throw identityApiError('NOT_FOUND', `Service account key ${params.key} does not exist.`);
  };

  const policyOf = (account: ServiceAccount): IamPolicy =>
    state.policies[account.email.toLowerCase()] ?? emptyPolicy();

  const ownerOf = (account: ServiceAccount): KeyOwner => ({
    projectId: seed.projectId,
    email: account.email,
    uniqueId: account.uniqueId,
  });

  const listServiceAccounts = (request: RouteRequest): RouteResponse => {
    const { project } = request.params;
    // Google's text for a project it cannot find (googleapis/google-cloud-cpp #6637).
    if (project !== '-' && !isOurProject(project)) {
      throw identityApiError('NOT_FOUND', 'Requested entity was not found.');
    }
    const requested = Number(request.query.get('pageSize') ?? 0);
    const pageSize =
      Number.isInteger(requested) && requested > 0
        ? Math.min(requested, SERVICE_ACCOUNT_PAGE_MAX)
        : SERVICE_ACCOUNT_PAGE_DEFAULT;
    const token = request.query.get('pageToken') ?? '';
    const offset = token === '' ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0 || offset > state.serviceAccounts.length) {
      // Guess at the wording.
      throw identityApiError('INVALID_ARGUMENT', `Invalid page token: ${token}`);
    }
    const accounts = state.serviceAccounts.slice(offset, offset + pageSize);
    const next = offset + accounts.length;
    return ok({
      accounts: accounts.map((account) => withoutFields(account, HIDDEN_ACCOUNT_FIELDS)),
      ...(next < state.serviceAccounts.length
        ? { nextPageToken: Buffer.from(String(next), 'utf8').toString('base64url') }
        : {}),
    });
  };

  const getServiceAccount = (request: RouteRequest): RouteResponse =>
    ok(withoutFields(findAccount(request.params, 'iam.serviceAccounts.get'), HIDDEN_ACCOUNT_FIELDS));

  const createKey = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const body = readMessage(request.body, ['privateKeyType', 'keyAlgorithm']);
    const requestedType = readEnum(
      body.privateKeyType,
      'privateKeyType',
      PRIVATE_KEY_TYPES,
      'google.iam.admin.v1.ServiceAccountPrivateKeyType',
    );
    const requestedAlgorithm = readEnum(
      body.keyAlgorithm,
      'keyAlgorithm',
      KEY_ALGORITHMS,
      'google.iam.admin.v1.ServiceAccountKeyAlgorithm',
    );
    const privateKeyType =
      requestedType === undefined || requestedType === 'TYPE_UNSPECIFIED'
        ? 'TYPE_GOOGLE_CREDENTIALS_FILE'
        : requestedType;
    const keyAlgorithm =
      requestedAlgorithm === undefined || requestedAlgorithm === 'KEY_ALG_UNSPECIFIED'
        ? 'KEY_ALG_RSA_2048'
        : requestedAlgorithm;
    const account = findAccount(
      request.params,
      'iam.serviceAccountKeys.create',
      // Google's text for keys.create on a missing account (googlecodelabs/feedback #905).
      `Not found; Gaia id not found for email ${request.params.serviceAccount}`,
    );
    if (privateKeyType === 'TYPE_PKCS12_FILE') {
      throw identityApiError(
        'UNIMPLEMENTED',
        'The simulator does not produce PKCS12 key files; request TYPE_GOOGLE_CREDENTIALS_FILE.',
      );
    }
    if (seed.orgPolicies.disableKeyCreation) {
      throw identityApiError('FAILED_PRECONDITION', 'Key creation is not allowed on this service account.', [
        {
          '@type': 'type.googleapis.com/google.rpc.PreconditionFailure',
          violations: [
            {
              type: 'constraints/iam.disableServiceAccountKeyCreation',
              subject: `projects/${seed.projectId}`,
              description: 'Key creation is not allowed on this service account.',
            },
          ],
        },
      ]);
    }
    const userManaged = keysOf(account).filter((stored) => stored.key.keyType === 'USER_MANAGED');
    if (userManaged.length >= MAX_USER_MANAGED_KEYS) {
      // Google's answer since about 2022, with no further detail (google-api-dotnet-client #2027).
      throw identityApiError('FAILED_PRECONDITION', 'Precondition check failed.');
    }
    const now = sim.clock.now();
    const validAfterTime = toSecond(now);
    const validBeforeTime =
      seed.orgPolicies.keyExpiryHours === undefined
        ? NEVER_EXPIRES
        : toSecond(new Date(now.getTime() + seed.orgPolicies.keyExpiryHours * 3_600_000));
    const owner = ownerOf(account);
    const generated = generateServiceAccountKey({
      owner,
      algorithm: keyAlgorithm,
      validAfter: new Date(validAfterTime),
      validBefore: new Date(validBeforeTime),
    });
    const key = {
      name: `projects/${seed.projectId}/serviceAccounts/${account.email}/keys/${generated.keyId}`,
      privateKeyType,
      keyAlgorithm,
      validAfterTime,
      validBeforeTime,
      keyOrigin: 'GOOGLE_PROVIDED' as const,
      keyType: 'USER_MANAGED' as const,
      disabled: false,
    };
    // Only the public half is kept: the private key leaves in this response and nowhere else.
    state.keys.push({ key, publicMaterial: generated.publicMaterial });
    return ok({ ...key, privateKeyData: credentialsFileData(owner, generated.keyId, generated.privateKey) });
  };

  const listKeys = (request: RouteRequest): RouteResponse => {
    const wanted = request.query
      .getAll('keyTypes')
      .map((value) =>
        readEnum(
          /^\d+$/.test(value) ? Number(value) : value,
          'keyTypes',
          KEY_TYPES,
          'google.iam.admin.v1.ListServiceAccountKeysRequest.KeyType',
        ),
      );
    // ListServiceAccountKeysRequest.keyTypes: unspecified "will immediately result in an error",
    // duplicates are not allowed. Wording guessed.
    if (wanted.includes('KEY_TYPE_UNSPECIFIED')) {
      throw identityApiError(
        'INVALID_ARGUMENT',
        'Key type KEY_TYPE_UNSPECIFIED is not allowed in key_types.',
      );
    }
    if (new Set(wanted).size !== wanted.length) {
      throw identityApiError('INVALID_ARGUMENT', 'Duplicate key types are not allowed in key_types.');
    }
    const account = findAccount(request.params, 'iam.serviceAccountKeys.list');
    const keys = keysOf(account).filter(
      (stored) => wanted.length === 0 || wanted.includes(stored.key.keyType),
    );
    return ok({ keys: keys.map((stored) => withoutFields(stored.key, HIDDEN_KEY_FIELDS)) });
  };

  const getKey = (request: RouteRequest): RouteResponse => {
    const rawType = request.query.get('publicKeyType') ?? undefined;
    const publicKeyType =
      readEnum(
        rawType !== undefined && /^\d+$/.test(rawType) ? Number(rawType) : rawType,
        'publicKeyType',
        PUBLIC_KEY_TYPES,
        'google.iam.admin.v1.ServiceAccountPublicKeyType',
      ) ?? 'TYPE_NONE';
    const stored = findKey(request.params, 'iam.serviceAccountKeys.get');
    const body = withoutFields(stored.key, HIDDEN_KEY_FIELDS);
    if (publicKeyType === 'TYPE_NONE') return ok(body);
    if (!stored.publicMaterial) {
      // A seeded key: the fixture holds no key material, so a key pair is made now and only its
      // public half kept, which is all Google has of a user-managed key either.
      const account = findAccount(request.params, 'iam.serviceAccountKeys.get');
      stored.publicMaterial = generateServiceAccountKey({
        owner: ownerOf(account),
        algorithm: stored.key.keyAlgorithm === 'KEY_ALG_RSA_1024' ? 'KEY_ALG_RSA_1024' : 'KEY_ALG_RSA_2048',
        validAfter: new Date(stored.key.validAfterTime),
        validBefore: new Date(stored.key.validBeforeTime),
      }).publicMaterial;
    }
    const publicKeyData =
      publicKeyType === 'TYPE_X509_PEM_FILE'
        ? Buffer.from(stored.publicMaterial.certificatePem, 'utf8').toString('base64')
        : publicKeyDer(stored.publicMaterial.publicKeyPem).toString('base64');
    return ok({ ...body, publicKeyData });
  };

  const deleteKey = (request: RouteRequest): RouteResponse => {
    const stored = findKey(request.params, 'iam.serviceAccountKeys.delete');
    state.keys = state.keys.filter((candidate) => candidate !== stored);
    return ok({});
  };

  const disableKey = (request: RouteRequest): RouteResponse => {
    readMessage(request.body, []);
    const stored = findKey(request.params, 'iam.serviceAccountKeys.disable');
    stored.key.disabled = true;
    stored.key.disableReason = 'SERVICE_ACCOUNT_KEY_DISABLE_REASON_USER_INITIATED';
    return ok({});
  };

  const enableKey = (request: RouteRequest): RouteResponse => {
    readMessage(request.body, []);
    const stored = findKey(request.params, 'iam.serviceAccountKeys.enable');
    stored.key.disabled = false;
    delete stored.key.disableReason;
    return ok({});
  };

  const getIamPolicy = (request: RouteRequest): RouteResponse => {
    // IAM takes the version as a query parameter and has no request body (iam.v1.json).
    const version = readRequestedPolicyVersion(
      request.query.get('options.requestedPolicyVersion') ?? undefined,
      'options.requestedPolicyVersion',
    );
    const account = findAccount(request.params, 'iam.serviceAccounts.getIamPolicy');
    return ok(policyResponse(policyOf(account), version));
  };

  const setIamPolicy = (request: RouteRequest): RouteResponse => {
    const input = readSetIamPolicyRequest(request.body, { updateMask: true, auditConfigs: true });
    const account = findAccount(request.params, 'iam.serviceAccounts.setIamPolicy');
    const written = applyPolicyWrite(policyOf(account), input, rules);
    state.policies[account.email.toLowerCase()] = written;
    return ok(policyResponse(written));
  };

  const routes: Route[] = [
    discoveryRoute('GET', BASE, 'iam.projects.serviceAccounts.list', listServiceAccounts),
    discoveryRoute('GET', ACCOUNT, 'iam.projects.serviceAccounts.get', getServiceAccount),
    discoveryRoute(
      'POST',
      `${ACCOUNT}:getIamPolicy`,
      'iam.projects.serviceAccounts.getIamPolicy',
      getIamPolicy,
    ),
    discoveryRoute(
      'POST',
      `${ACCOUNT}:setIamPolicy`,
      'iam.projects.serviceAccounts.setIamPolicy',
      setIamPolicy,
    ),
    discoveryRoute('POST', `${ACCOUNT}/keys`, 'iam.projects.serviceAccounts.keys.create', createKey),
    discoveryRoute('GET', `${ACCOUNT}/keys`, 'iam.projects.serviceAccounts.keys.list', listKeys),
    discoveryRoute('GET', KEY, 'iam.projects.serviceAccounts.keys.get', getKey),
    discoveryRoute('DELETE', KEY, 'iam.projects.serviceAccounts.keys.delete', deleteKey),
    discoveryRoute('POST', `${KEY}:disable`, 'iam.projects.serviceAccounts.keys.disable', disableKey),
    discoveryRoute('POST', `${KEY}:enable`, 'iam.projects.serviceAccounts.keys.enable', enableKey),
  ];

  /** The account an in-process caller names by email. */
  const accountByEmail = (email: string): ServiceAccount => {
    const account = state.serviceAccounts.find(
      (candidate) => candidate.email.toLowerCase() === email.toLowerCase(),
    );
    if (!account) throw identityApiError('NOT_FOUND', `Unknown service account ${email}`);
    return account;
  };

  const serviceAccountPolicies: ServiceAccountPolicyEditor = {
    addBinding(serviceAccountEmail, role, member) {
      const account = accountByEmail(serviceAccountEmail);
      state.policies[account.email.toLowerCase()] = withMemberGranted(policyOf(account), role, member, rules);
    },
    removeBinding(serviceAccountEmail, role, member) {
      const account = accountByEmail(serviceAccountEmail);
      const current = policyOf(account);
      const revoked = withMemberRevoked(current, role, member, rules);
      if (revoked !== current) state.policies[account.email.toLowerCase()] = revoked;
    },
  };

  return {
    service: {
      name: 'iam',
      routes,
      reset: () => {
        state = structuredClone(seed.state);
      },
      snapshot: () => structuredClone(state),
      restore: (snapshot) => {
        state = parseIamStateSnapshot(snapshot);
      },
    },
    serviceAccountPolicies,
  };
};

export type { IamService, IamServiceOptions };
export { createIamService, MAX_USER_MANAGED_KEYS };
