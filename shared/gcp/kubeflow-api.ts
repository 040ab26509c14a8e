import type {
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  V1RoleBinding,
} from '@kubernetes/client-node';
import {
  ControlPlaneError,
  GcpError,
  InvalidCommandError,
  NotFoundError,
  ResourceBusyError,
  StateConflictError,
  toControlPlaneError,
} from '../errors';

/**
 * The Kubernetes calls the identity operations need (ops catalog §1): Kubeflow Profiles, the
 * namespaces the profile controller makes for them, and contributor RoleBindings as kfam creates
 * them. In the control plane's own terms: nothing above this module sees a client-node type or an
 * ApiException. Only types are imported from @kubernetes/client-node here; the module itself is
 * loaded by kubeflow-clients.ts, so this file also loads where the ESM package cannot be required.
 */

type ContributorRole = 'edit' | 'view';

interface ProfileInput {
  /** The profile and its namespace, a DNS-1123 label (e.g. `aiko-tanaka`, `team-vision`). */
  name: string;
  ownerEmail: string;
  /** The Google service account the WorkloadIdentity plugin binds `default-editor` to. */
  gcpServiceAccount?: string;
  resourceQuotaSpec?: { hard: Record<string, string> };
  labels?: Record<string, string>;
}

/** Where the profile controller is with a Profile. */
type ProfileState = 'ready' | 'failed' | 'pending' | 'terminating';

interface ProfileView {
  name: string;
  ownerEmail: string;
  gcpServiceAccount?: string;
  resourceQuotaHard?: Record<string, string>;
  labels: Record<string, string>;
  state: ProfileState;
  /** The latest condition's message, when it has one (why a Profile failed). */
  message?: string;
}

interface CreateProfileResult {
  /** False when a Profile of that name and owner was already there; its spec is left as it is. */
  created: boolean;
  profile: ProfileView;
}

interface NamespaceView {
  name: string;
  /** The `owner` annotation the profile controller sets. */
  ownerEmail?: string;
  labels: Record<string, string>;
  /** `Active` or `Terminating`. */
  phase: string;
}

interface KubernetesServiceAccountView {
  namespace: string;
  name: string;
  /** The `iam.gke.io/gcp-service-account` annotation (workload identity). */
  gcpServiceAccount?: string;
}

interface ContributorBindingView {
  namespace: string;
  /** e.g. `user-lena-muller-acme-ai-clusterrole-edit`. */
  name: string;
  email: string;
  /** The `role` annotation: `edit`, `view`, or `admin` for an owner's binding. */
  role: string;
  /** The profile controller owns it (the owner's `namespaceAdmin`): removing it does not stick. */
  managedByProfile: boolean;
}

interface KubeflowApi {
  /** @throws NotFoundError when there is no such Profile. */
  getProfile(name: string): Promise<ProfileView>;
  /**
   * Creates the Profile; the profile controller then makes the namespace, `default-editor` (with
   * the workload-identity annotation) and the quota. Safe to repeat for the same owner.
   *
   * @throws ProfileConflictError when the Profile exists with another owner.
   * @throws ResourceBusyError when a Profile of that name is still being deleted.
   */
  createProfile(input: ProfileInput): Promise<CreateProfileResult>;
  /**
   * Deletes the Profile; the controller's finalizer revokes workload identity and the namespace
   * goes with it. An absent Profile is success (`existed: false`).
   */
  deleteProfile(name: string): Promise<{ existed: boolean }>;
  listProfiles(): Promise<ProfileView[]>;
  /** @throws NotFoundError when the namespace does not exist. */
  getNamespace(name: string): Promise<NamespaceView>;
  /** @throws NotFoundError when the namespace or the ServiceAccount does not exist. */
  getServiceAccount(namespace: string, name: string): Promise<KubernetesServiceAccountView>;
  /** RoleBindings in every namespace annotated `user: <email>`, as kfam and the controller write them. */
  listContributorBindings(email: string): Promise<ContributorBindingView[]>;
  /**
   * Grants `kubeflow-<role>` in `namespace` through the RoleBinding kfam would create; an existing
   * one with that role is success. A role change is removeContributor then addContributor:
   * `roleRef` is immutable.
   *
   * @throws NotFoundError when the namespace does not exist.
   */
  addContributor(namespace: string, email: string, role: ContributorRole): Promise<{ created: boolean }>;
  /** Deletes the user's contributor RoleBindings in `namespace`; returns their names (none is success). */
  removeContributor(namespace: string, email: string): Promise<{ removed: string[] }>;
}

/** The client-node API objects the adapter uses; `KubeConfig.makeApiClient` builds them. */
interface KubeflowClients {
  core: Pick<CoreV1Api, 'readNamespace' | 'readNamespacedServiceAccount'>;
  rbac: Pick<
    RbacAuthorizationV1Api,
    | 'listRoleBindingForAllNamespaces'
    | 'listNamespacedRoleBinding'
    | 'readNamespacedRoleBinding'
    | 'createNamespacedRoleBinding'
    | 'deleteNamespacedRoleBinding'
  >;
  customObjects: Pick<
    CustomObjectsApi,
    | 'getClusterCustomObject'
    | 'createClusterCustomObject'
    | 'deleteClusterCustomObject'
    | 'listClusterCustomObject'
  >;
}

/**
 * A Profile of that name exists with another owner (ops catalog §1.1 precondition). Not
 * retryable: it takes a person to pick another name or hand the profile over.
 */
class ProfileConflictError extends ControlPlaneError {
  readonly profile: string;
  readonly ownerEmail: string;

  constructor(profile: string, ownerEmail: string, requestedOwner: string) {
    super(
      'GCP_REJECTED',
      `profile ${profile} already exists and is owned by ${ownerEmail || 'nobody'}, not ${requestedOwner}`,
      false,
      { details: { profile, ownerEmail, requestedOwner, httpStatus: 409, status: 'AlreadyExists' } },
    );
    this.name = 'ProfileConflictError';
    this.profile = profile;
    this.ownerEmail = ownerEmail;
  }
}

const PROFILES = { group: 'kubeflow.org', version: 'v1', plural: 'profiles' } as const;
const WORKLOAD_IDENTITY_ANNOTATION = 'iam.gke.io/gcp-service-account';
const PAGE_SIZE = 500;
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * The RoleBinding name kfam gives a contributor: `user-<email, non-alphanumerics as ->-clusterrole-<role>`.
 * The email is lowercased first (kfam dashes capitals instead); removal finds bindings by their
 * `user` annotation, so either spelling is found.
 */
const contributorBindingName = (email: string, role: ContributorRole): string =>
  `user-${email.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-clusterrole-${role}`;

type Loose = Record<string, unknown> | null | undefined;
const asLoose = (value: unknown): Loose =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
const str = (value: unknown): string => (value === null || value === undefined ? '' : String(value));
const sameEmail = (left: string, right: string): boolean => left.toLowerCase() === right.toLowerCase();

interface KubernetesStatus {
  code: number;
  reason: string;
  message: string;
}

/** The `Status` of an ApiException (its `body` is the response text, or already parsed). */
const kubernetesStatus = (error: unknown): KubernetesStatus | undefined => {
  const bag = asLoose(error);
  if (!bag || typeof bag.code !== 'number') return undefined;
  let body: unknown = bag.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      body = undefined;
    }
  }
  const status = asLoose(body);
  return {
    code: typeof status?.code === 'number' ? status.code : bag.code,
    reason: str(status?.reason),
    message: str(status?.message) || `HTTP ${bag.code}`,
  };
};

/**
 * Translates a client-node failure into a ControlPlaneError: 404 → NotFoundError; 409 Conflict (a
 * stale resourceVersion) → StateConflictError, retryable; other 409s (AlreadyExists) and 4xx →
 * GCP_REJECTED; 429 and 5xx → GCP_UNAVAILABLE, retryable; no answer at all → GCP_UNAVAILABLE.
 */
const fromKubernetesError = (error: unknown, context: string): ControlPlaneError => {
  if (error instanceof ControlPlaneError) return error;
  const status = kubernetesStatus(error);
  if (!status) {
    // fetch reports the socket failure on `cause`; node-fetch on the error itself.
    const code = str(asLoose(asLoose(error)?.cause)?.code) || str(asLoose(error)?.code);
    if (NETWORK_CODES.has(code)) {
      return new GcpError('GCP_UNAVAILABLE', `${context}: ${code}`, { status: code }, { cause: error });
    }
    return toControlPlaneError(error);
  }
  const text = `${context}: ${status.message}`;
  const options = { cause: error };
  const fields = { httpStatus: status.code, ...(status.reason ? { status: status.reason } : {}) };
  if (status.code === 404) return new NotFoundError(text, options);
  if (status.code === 409 && status.reason === 'Conflict') return new StateConflictError(text, options);
  if (status.code === 429 || status.code >= 500)
    return new GcpError('GCP_UNAVAILABLE', text, fields, options);
  return new GcpError('GCP_REJECTED', text, fields, options);
};

const isAlreadyExists = (error: unknown): boolean => {
  const status = kubernetesStatus(error);
  return status?.code === 409 && status.reason === 'AlreadyExists';
};

const stringMap = (value: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [key, inner] of Object.entries(asLoose(value) ?? {})) out[key] = str(inner);
  return out;
};

const toProfileView = (raw: unknown): ProfileView => {
  const profile = asLoose(raw);
  const metadata = asLoose(profile?.metadata);
  const spec = asLoose(profile?.spec);
  const plugins = Array.isArray(spec?.plugins) ? spec.plugins.map(asLoose) : [];
  const workloadIdentity = plugins.find((plugin) => plugin?.kind === 'WorkloadIdentity');
  const gcpServiceAccount = str(asLoose(workloadIdentity?.spec)?.gcpServiceAccount);
  const quota = asLoose(asLoose(spec?.resourceQuotaSpec)?.hard);
  const conditions = asLoose(profile?.status)?.conditions;
  const last = Array.isArray(conditions) ? asLoose(conditions.at(-1)) : undefined;
  const succeeded =
    Array.isArray(conditions) &&
    conditions.some((condition) => {
      const loose = asLoose(condition);
      return loose?.type === 'Successful' && loose.status === 'True';
    });
  let state: ProfileState = 'pending';
  if (metadata?.deletionTimestamp) state = 'terminating';
  else if (last?.type === 'Failed') state = 'failed';
  else if (succeeded) state = 'ready';
  const message = str(last?.message);
  return {
    name: str(metadata?.name),
    ownerEmail: str(asLoose(spec?.owner)?.name),
    ...(gcpServiceAccount ? { gcpServiceAccount } : {}),
    ...(quota ? { resourceQuotaHard: stringMap(quota) } : {}),
    labels: stringMap(metadata?.labels),
    state,
    ...(message ? { message } : {}),
  };
};

const toBindingView = (binding: V1RoleBinding): ContributorBindingView => ({
  namespace: str(binding.metadata?.namespace),
  name: str(binding.metadata?.name),
  email: str(binding.metadata?.annotations?.user),
  role: str(binding.metadata?.annotations?.role) || str(binding.roleRef?.name).replace(/^kubeflow-/, ''),
  managedByProfile: (binding.metadata?.ownerReferences ?? []).some(
    (owner) => owner.kind === 'Profile' && owner.controller === true,
  ),
});

/** Every item of a paged list; `page` gets the continue token of the previous page. */
const listAll = async <T>(
  page: (token: string | undefined) => Promise<{ items?: T[]; metadata?: unknown }>,
): Promise<T[]> => {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const answer = await page(token);
    items.push(...(answer.items ?? []));
    // Typed lists name it `_continue`; custom-object lists are plain JSON with `continue`.
    const metadata = asLoose(answer.metadata);
    token = str(metadata?._continue ?? metadata?.continue) || undefined;
  } while (token);
  return items;
};

/** KubeflowApi over @kubernetes/client-node v2; `clients` is called on each use. */
const createKubeflowApi = (clients: () => KubeflowClients): KubeflowApi => {
  const getProfile = async (name: string): Promise<ProfileView> => {
    try {
      return toProfileView(await clients().customObjects.getClusterCustomObject({ ...PROFILES, name }));
    } catch (error) {
      const translated = fromKubernetesError(error, `read profile ${name}`);
      if (translated instanceof NotFoundError) {
        throw new NotFoundError(`profile ${name} does not exist`, { cause: error });
      }
      throw translated;
    }
  };

  const bindingsIn = async (namespace: string | undefined): Promise<V1RoleBinding[]> => {
    const { rbac } = clients();
    try {
      return await listAll((token) =>
        namespace === undefined
          ? rbac.listRoleBindingForAllNamespaces({ limit: PAGE_SIZE, ...(token ? { _continue: token } : {}) })
          : rbac.listNamespacedRoleBinding({
              namespace,
              limit: PAGE_SIZE,
              ...(token ? { _continue: token } : {}),
            }),
      );
    } catch (error) {
      throw fromKubernetesError(error, `list role bindings${namespace ? ` in ${namespace}` : ''}`);
    }
  };

  return {
    getProfile,

    async createProfile(input) {
      const body = {
        apiVersion: `${PROFILES.group}/${PROFILES.version}`,
        kind: 'Profile',
        metadata: { name: input.name, ...(input.labels ? { labels: input.labels } : {}) },
        spec: {
          owner: { kind: 'User', name: input.ownerEmail },
          ...(input.gcpServiceAccount
            ? {
                plugins: [{ kind: 'WorkloadIdentity', spec: { gcpServiceAccount: input.gcpServiceAccount } }],
              }
            : {}),
          ...(input.resourceQuotaSpec ? { resourceQuotaSpec: input.resourceQuotaSpec } : {}),
        },
      };
      try {
        const created = await clients().customObjects.createClusterCustomObject({ ...PROFILES, body });
        return { created: true, profile: toProfileView(created) };
      } catch (error) {
        if (!isAlreadyExists(error)) throw fromKubernetesError(error, `create profile ${input.name}`);
      }
      // Create first and read on conflict: one call on the usual path, and no window in which a
      // read said "absent" before someone else created it.
      const existing = await getProfile(input.name);
      if (existing.state === 'terminating') {
        throw new ResourceBusyError(
          `profile ${input.name} is still being deleted; create it again once it is gone`,
        );
      }
      if (!sameEmail(existing.ownerEmail, input.ownerEmail)) {
        throw new ProfileConflictError(input.name, existing.ownerEmail, input.ownerEmail);
      }
      return { created: false, profile: existing };
    },

    async deleteProfile(name) {
      try {
        await clients().customObjects.deleteClusterCustomObject({ ...PROFILES, name });
        return { existed: true };
      } catch (error) {
        const translated = fromKubernetesError(error, `delete profile ${name}`);
        if (translated instanceof NotFoundError) return { existed: false };
        throw translated;
      }
    },

    async listProfiles() {
      const { customObjects } = clients();
      try {
        const items = await listAll(
          (token) =>
            customObjects.listClusterCustomObject({
              ...PROFILES,
              limit: PAGE_SIZE,
              ...(token ? { _continue: token } : {}),
            }) as Promise<{ items?: unknown[]; metadata?: unknown }>,
        );
        return items.map(toProfileView);
      } catch (error) {
        throw fromKubernetesError(error, 'list profiles');
      }
    },

    async getNamespace(name) {
      try {
        const namespace = await clients().core.readNamespace({ name });
        const ownerEmail = namespace.metadata?.annotations?.owner;
        return {
          name: str(namespace.metadata?.name),
          ...(ownerEmail ? { ownerEmail } : {}),
          labels: { ...(namespace.metadata?.labels ?? {}) },
          phase: str(namespace.status?.phase) || 'Active',
        };
      } catch (error) {
        const translated = fromKubernetesError(error, `read namespace ${name}`);
        if (translated instanceof NotFoundError) {
          throw new NotFoundError(`namespace ${name} does not exist`, { cause: error });
        }
        throw translated;
      }
    },

    async getServiceAccount(namespace, name) {
      try {
        const account = await clients().core.readNamespacedServiceAccount({ namespace, name });
        const gcpServiceAccount = account.metadata?.annotations?.[WORKLOAD_IDENTITY_ANNOTATION];
        return { namespace, name, ...(gcpServiceAccount ? { gcpServiceAccount } : {}) };
      } catch (error) {
        const translated = fromKubernetesError(error, `read service account ${namespace}/${name}`);
        if (translated instanceof NotFoundError) {
          throw new NotFoundError(`service account ${namespace}/${name} does not exist`, { cause: error });
        }
        throw translated;
      }
    },

    async listContributorBindings(email) {
      // Annotations cannot be selected on the server, so every RoleBinding is read and filtered here.
      return (await bindingsIn(undefined))
        .map(toBindingView)
        .filter((binding) => sameEmail(binding.email, email));
    },

    async addContributor(namespace, email, role) {
      if (role !== 'edit' && role !== 'view') {
        throw new InvalidCommandError('role', `must be edit or view, got ${String(role)}`);
      }
      const name = contributorBindingName(email, role);
      const body: V1RoleBinding = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name, namespace, annotations: { user: email, role } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `kubeflow-${role}` },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: email }],
      };
      try {
        await clients().rbac.createNamespacedRoleBinding({ namespace, body });
        return { created: true };
      } catch (error) {
        if (!isAlreadyExists(error)) {
          const translated = fromKubernetesError(error, `add ${email} to ${namespace} as ${role}`);
          if (translated instanceof NotFoundError) {
            throw new NotFoundError(`namespace ${namespace} does not exist`, { cause: error });
          }
          throw translated;
        }
      }
      // The name carries the role, so a binding of that name grants it, unless someone edited it.
      try {
        const existing = await clients().rbac.readNamespacedRoleBinding({ namespace, name });
        if (
          existing.roleRef?.name === `kubeflow-${role}` &&
          sameEmail(str(existing.subjects?.[0]?.name), email)
        ) {
          return { created: false };
        }
      } catch (error) {
        throw fromKubernetesError(error, `read role binding ${namespace}/${name}`);
      }
      throw new GcpError(
        'GCP_REJECTED',
        `role binding ${namespace}/${name} exists but does not grant kubeflow-${role} to ${email}`,
        { httpStatus: 409, status: 'AlreadyExists' },
      );
    },

    async removeContributor(namespace, email) {
      const bindings = (await bindingsIn(namespace))
        .map(toBindingView)
        .filter((binding) => sameEmail(binding.email, email) && !binding.managedByProfile);
      const removed: string[] = [];
      for (const binding of bindings) {
        try {
          await clients().rbac.deleteNamespacedRoleBinding({ namespace, name: binding.name });
          removed.push(binding.name);
        } catch (error) {
          const translated = fromKubernetesError(error, `delete role binding ${namespace}/${binding.name}`);
          // Gone already (a concurrent removal): the goal is met.
          if (!(translated instanceof NotFoundError)) throw translated;
        }
      }
      return { removed };
    },
  };
};

export type {
  ContributorBindingView,
  ContributorRole,
  CreateProfileResult,
  KubeflowApi,
  KubeflowClients,
  KubernetesServiceAccountView,
  NamespaceView,
  ProfileInput,
  ProfileState,
  ProfileView,
};
export { contributorBindingName, createKubeflowApi, fromKubernetesError, ProfileConflictError };
