import { fromGcpError, GcpError, InvalidCommandError, readGcpError } from '../errors';
import type { Clock } from '../time/clock';
import type { IamClients } from './iam-clients';
import {
  type IamBinding,
  type IamPolicy,
  type PolicyChange,
  type PolicyEditOptions,
  type PolicyEditResult,
  type PolicyStore,
  runPolicyEdit,
} from './iam-policy-edit';
import { SecretMaterial } from './secret-material';

/**
 * The identity calls the user and credential operations need (ops-catalog §1 and §3), in the
 * control plane's own terms: policy edits on the project, IAP web resources and service accounts,
 * and user-managed service-account keys. Nothing above this module sees a client type or a gaxios
 * error; failures are ControlPlaneErrors from `fromGcpError`.
 */

/** Which policy an edit is on. */
type PolicyTarget =
  /** The project's policy, through Resource Manager v3. */
  | { kind: 'project'; projectId: string }
  /** `projects/{number}/iap_web[/compute[/services/{id}]]`: IAP names resources by project number. */
  | { kind: 'iap'; resource: string }
  /** A service account's own policy (who may act as it, e.g. workload identity). */
  | { kind: 'serviceAccount'; email: string };

/** A user-managed key as listed; never holds key material. */
interface ServiceAccountKeyView {
  /** The 40-hex key id. */
  id: string;
  /** `projects/{p}/serviceAccounts/{email}/keys/{id}`. */
  name: string;
  validAfterTime: string;
  validBeforeTime: string;
  disabled: boolean;
  keyOrigin: string;
}

/** A key just created: the only time Google returns its private part. */
interface CreatedServiceAccountKey {
  id: string;
  name: string;
  validAfterTime: string;
  material: SecretMaterial;
}

interface ServiceAccountView {
  email: string;
  name: string;
  uniqueId: string;
  displayName: string;
  disabled: boolean;
}

interface IamApi {
  /** Reads a policy at version 3 (A0: access reviews and offboarding inventories). */
  getPolicy(target: PolicyTarget): Promise<IamPolicy>;
  /**
   * Applies a pure `change` in an etag-guarded read-modify-write, redone on concurrent changes.
   * Nothing is written when the change leaves the grants as they are.
   */
  editPolicy(
    target: PolicyTarget,
    change: PolicyChange,
    options?: PolicyEditOptions,
  ): Promise<PolicyEditResult>;
  /** The user-managed keys of a service account, disabled ones included. */
  listKeys(serviceAccount: string): Promise<ServiceAccountKeyView[]>;
  /**
   * Creates a user-managed key (a JSON credentials file, RSA 2048).
   * @throws GcpError GCP_REJECTED, not retryable, explaining the 10-key limit when it is reached.
   */
  createKey(serviceAccount: string): Promise<CreatedServiceAccountKey>;
  disableKey(serviceAccount: string, keyId: string): Promise<void>;
  enableKey(serviceAccount: string, keyId: string): Promise<void>;
  deleteKey(serviceAccount: string, keyId: string): Promise<void>;
  getServiceAccount(email: string): Promise<ServiceAccountView>;
  /**
   * Every service account of the project, all pages: offboarding looks for the user in each one's
   * own policy (who may act as it), which the project policy does not show.
   */
  listServiceAccounts(projectId: string): Promise<ServiceAccountView[]>;
}

/** What {@link createIamApi} is built from. */
interface IamApiDeps {
  clients: IamClients;
  /** Backoff between conflicting policy writes runs on this clock. */
  clock: Clock;
  /** Jitter source, in [0, 1). @default Math.random */
  random?: () => number;
  /** First backoff ceiling of policy edits; see `POLICY_EDIT_BASE_DELAY_MS`. */
  policyBaseDelayMs?: number;
}

/** The maximum of user-managed keys per service account, disabled ones included (api-contracts §4). */
const MAX_USER_MANAGED_KEYS = 10;

const IAP_RESOURCE = /^projects\/\d+\/iap_web(?:\/compute(?:\/services\/[^/]+)?)?$/;
const SERVICE_ACCOUNT_DOMAIN = /@([a-z][a-z0-9-]*)\.iam\.gserviceaccount\.com$/;

/**
 * `projects/{p}/serviceAccounts/{email}`. The project is read from a user-managed account's email;
 * other accounts (e.g. the Compute default) fall back to `projects/-`, which Google accepts but which
 * can turn a 404 into a 403.
 */
const serviceAccountResource = (email: string): string =>
  `projects/${SERVICE_ACCOUNT_DOMAIN.exec(email)?.[1] ?? '-'}/serviceAccounts/${email}`;

/** The plain policy from whatever the three APIs return (nulls, missing lists, `location`). */
const toPolicy = (raw: {
  version?: number | null;
  etag?: string | null;
  bindings?: Array<{
    role?: string | null;
    members?: string[] | null;
    condition?: { title?: string | null; expression?: string | null; description?: string | null } | null;
  }> | null;
}): IamPolicy => ({
  version: raw.version ?? 1,
  etag: raw.etag ?? '',
  bindings: (raw.bindings ?? []).map((binding): IamBinding => {
    const condition = binding.condition;
    return {
      role: binding.role ?? '',
      members: [...(binding.members ?? [])],
      ...(condition
        ? {
            condition: {
              title: condition.title ?? '',
              expression: condition.expression ?? '',
              ...(condition.description ? { description: condition.description } : {}),
            },
          }
        : {}),
    };
  }),
});

/** The request form of a policy: no empty optional fields. */
const toRequestPolicy = (policy: IamPolicy) => ({
  version: policy.version,
  etag: policy.etag,
  bindings: policy.bindings.map((binding) => ({
    role: binding.role,
    members: binding.members,
    ...(binding.condition ? { condition: { ...binding.condition } } : {}),
  })),
});

const describeTarget = (target: PolicyTarget): string => {
  switch (target.kind) {
    case 'project':
      return `project ${target.projectId}`;
    case 'iap':
      return `IAP resource ${target.resource}`;
    case 'serviceAccount':
      return `service account ${target.email}`;
  }
};

/** The key-limit refusal: 400 FAILED_PRECONDITION "Precondition check failed.", or the older 429. */
const isKeyLimit = (error: unknown): boolean => {
  const read = readGcpError(error);
  return (
    (read.status === 'FAILED_PRECONDITION' && /precondition check failed/i.test(read.message)) ||
    /maximum number of keys/i.test(read.message)
  );
};

const keyIdOf = (name: string): string => name.split('/').pop() ?? '';

/** Page size of `serviceAccounts.list`; Google's maximum is 100. */
const SERVICE_ACCOUNT_PAGE_SIZE = 100;

/** The view of a service account as `get` and `list` return it. */
const toServiceAccountView = (
  data: {
    email?: string | null;
    name?: string | null;
    uniqueId?: string | null;
    displayName?: string | null;
    disabled?: boolean | null;
  },
  fallbackEmail = '',
): ServiceAccountView => ({
  email: data.email ?? fallbackEmail,
  name: data.name ?? '',
  uniqueId: data.uniqueId ?? '',
  displayName: data.displayName ?? '',
  disabled: Boolean(data.disabled),
});

/** IamApi over the discovery clients of IAM, Resource Manager v3 and IAP. */
const createIamApi = (deps: IamApiDeps): IamApi => {
  const { clients } = deps;

  /** The store of one target: how to read and write its policy, errors translated. */
  const storeFor = (target: PolicyTarget): PolicyStore => {
    const what = describeTarget(target);
    const translate = async <T>(action: string, call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (error) {
        throw fromGcpError(error, `${action} IAM policy of ${what}`);
      }
    };
    switch (target.kind) {
      case 'project': {
        const resource = `projects/${target.projectId}`;
        return {
          read: () =>
            translate('read', async () => {
              const { data } = await clients.resourceManager().projects.getIamPolicy({
                resource,
                requestBody: { options: { requestedPolicyVersion: 3 } },
              });
              return toPolicy(data);
            }),
          write: (policy) =>
            translate('write', async () => {
              // No update mask: the default, `bindings, etag`, leaves the audit configs alone.
              const { data } = await clients.resourceManager().projects.setIamPolicy({
                resource,
                requestBody: { policy: toRequestPolicy(policy) },
              });
              return toPolicy(data);
            }),
        };
      }
      case 'iap': {
        if (!IAP_RESOURCE.test(target.resource)) {
          throw new InvalidCommandError(
            'target.resource',
            `expected projects/{number}/iap_web[/compute[/services/{id}]], got ${target.resource}`,
          );
        }
        const resource = target.resource;
        return {
          read: () =>
            translate('read', async () => {
              const { data } = await clients.iap().v1.getIamPolicy({
                resource,
                requestBody: { options: { requestedPolicyVersion: 3 } },
              });
              return toPolicy(data);
            }),
          write: (policy) =>
            translate('write', async () => {
              const { data } = await clients.iap().v1.setIamPolicy({
                resource,
                requestBody: { policy: toRequestPolicy(policy) },
              });
              return toPolicy(data);
            }),
        };
      }
      case 'serviceAccount': {
        const resource = serviceAccountResource(target.email);
        return {
          read: () =>
            translate('read', async () => {
              // IAM takes the version as a query parameter on this method, not in a body.
              const { data } = await clients.iam().projects.serviceAccounts.getIamPolicy({
                resource,
                'options.requestedPolicyVersion': 3,
              });
              return toPolicy(data);
            }),
          write: (policy) =>
            translate('write', async () => {
              const { data } = await clients.iam().projects.serviceAccounts.setIamPolicy({
                resource,
                requestBody: { policy: toRequestPolicy(policy) },
              });
              return toPolicy(data);
            }),
        };
      }
    }
  };

  const keyCall = async <T>(action: string, serviceAccount: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw fromGcpError(error, `${action} of ${serviceAccount}`);
    }
  };

  return {
    getPolicy: async (target) => storeFor(target).read(),

    editPolicy: async (target, change, options) =>
      runPolicyEdit(
        storeFor(target),
        change,
        describeTarget(target),
        {
          clock: deps.clock,
          ...(deps.random ? { random: deps.random } : {}),
          ...(deps.policyBaseDelayMs !== undefined ? { baseDelayMs: deps.policyBaseDelayMs } : {}),
        },
        options,
      ),

    listKeys: (serviceAccount) =>
      keyCall('list keys', serviceAccount, async () => {
        const { data } = await clients.iam().projects.serviceAccounts.keys.list({
          name: serviceAccountResource(serviceAccount),
          keyTypes: ['USER_MANAGED'],
        });
        return (data.keys ?? []).map((key) => ({
          id: keyIdOf(key.name ?? ''),
          name: key.name ?? '',
          validAfterTime: key.validAfterTime ?? '',
          validBeforeTime: key.validBeforeTime ?? '',
          disabled: Boolean(key.disabled),
          keyOrigin: key.keyOrigin ?? '',
        }));
      }),

    async createKey(serviceAccount) {
      let data: { name?: string | null; validAfterTime?: string | null; privateKeyData?: string | null };
      try {
        ({ data } = await clients.iam().projects.serviceAccounts.keys.create({
          name: serviceAccountResource(serviceAccount),
          requestBody: { privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE', keyAlgorithm: 'KEY_ALG_RSA_2048' },
        }));
      } catch (error) {
        if (isKeyLimit(error)) {
          const read = readGcpError(error);
          // Google's text says nothing useful; retrying cannot help until a key is deleted.
          throw new GcpError(
            'GCP_REJECTED',
            `create key of ${serviceAccount}: the service account already holds the maximum of ${MAX_USER_MANAGED_KEYS} user-managed keys (disabled keys count too); delete an old key before creating a new one (Google: "${read.message}")`,
            {
              ...(read.httpStatus !== undefined ? { httpStatus: read.httpStatus } : {}),
              ...(read.status !== undefined ? { status: read.status } : {}),
            },
            { cause: error },
          );
        }
        throw fromGcpError(error, `create key of ${serviceAccount}`);
      }
      const name = data.name ?? '';
      // Google returns base64 of the credentials file; the material holds the file itself, which
      // is what consumers (GOOGLE_APPLICATION_CREDENTIALS, K8s secrets) read.
      const material = new SecretMaterial(Buffer.from(data.privateKeyData ?? '', 'base64'));
      data.privateKeyData = undefined;
      return { id: keyIdOf(name), name, validAfterTime: data.validAfterTime ?? '', material };
    },

    disableKey: (serviceAccount, keyId) =>
      keyCall(`disable key ${keyId}`, serviceAccount, async () => {
        await clients.iam().projects.serviceAccounts.keys.disable({
          name: `${serviceAccountResource(serviceAccount)}/keys/${keyId}`,
          requestBody: {},
        });
      }),

    enableKey: (serviceAccount, keyId) =>
      keyCall(`enable key ${keyId}`, serviceAccount, async () => {
        await clients.iam().projects.serviceAccounts.keys.enable({
          name: `${serviceAccountResource(serviceAccount)}/keys/${keyId}`,
          requestBody: {},
        });
      }),

    deleteKey: (serviceAccount, keyId) =>
      keyCall(`delete key ${keyId}`, serviceAccount, async () => {
        await clients.iam().projects.serviceAccounts.keys.delete({
          name: `${serviceAccountResource(serviceAccount)}/keys/${keyId}`,
        });
      }),

    getServiceAccount: (email) =>
      keyCall('read service account', email, async () => {
        const { data } = await clients
          .iam()
          .projects.serviceAccounts.get({ name: serviceAccountResource(email) });
        return toServiceAccountView(data, email);
      }),

    async listServiceAccounts(projectId) {
      const accounts: ServiceAccountView[] = [];
      let pageToken: string | undefined;
      do {
        const token = pageToken;
        const { data } = await keyCall('list service accounts', `project ${projectId}`, () =>
          clients.iam().projects.serviceAccounts.list({
            name: `projects/${projectId}`,
            pageSize: SERVICE_ACCOUNT_PAGE_SIZE,
            ...(token ? { pageToken: token } : {}),
          }),
        );
        accounts.push(...(data.accounts ?? []).map((account) => toServiceAccountView(account)));
        pageToken = data.nextPageToken ?? undefined;
      } while (pageToken);
      return accounts;
    },
  };
};

export type {
  CreatedServiceAccountKey,
  IamApi,
  IamApiDeps,
  PolicyTarget,
  ServiceAccountKeyView,
  ServiceAccountView,
};
export { createIamApi, MAX_USER_MANAGED_KEYS, serviceAccountResource };
