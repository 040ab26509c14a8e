import type { Logger } from '../../../shared/logging';
import { SimulatorApiError } from '../api-error';
import {
  applyServerFields,
  controllerReference,
  createStored,
  getStored,
  isJsonObject,
  type JsonObject,
  jsonEqual,
  type KubeObject,
  type KubernetesState,
  RESOURCE_TYPES,
  removeCascading,
  resourceOfKind,
  writeStored,
} from './kubernetes-model';
import { defaultAndValidate } from './kubernetes-validation';
import type { ServiceAccountPolicyEditor } from './service-account-policies';

/**
 * The Kubeflow profile controller (kubeflow/kubeflow components/profile-controller, KF 1.7+), as
 * far as opsplane's identity operations see it. For each Profile it keeps: the namespace of the same
 * name (annotation `owner`, the Kubeflow labels, a controller reference to the Profile); the
 * `default-editor` / `default-viewer` ServiceAccounts with their RoleBindings to `kubeflow-edit` /
 * `kubeflow-view`; the owner's RoleBinding `namespaceAdmin` to `kubeflow-admin`; the ResourceQuota
 * `kf-resource-quota` from `spec.resourceQuotaSpec`; and the WorkloadIdentity plugin's effects (the
 * `iam.gke.io/gcp-service-account` annotation on `default-editor` and a
 * `roles/iam.workloadIdentityUser` binding on the Google service account). The Istio
 * AuthorizationPolicy `ns-owner-access-istio` is not modelled: the simulator does not serve Istio.
 *
 * The real controller reconciles asynchronously, seconds after the write that triggered it; here a
 * reconcile runs synchronously inside the triggering request, so a client sees its effects on the
 * very next read. What triggers a reconcile follows the real watches: a write to a Profile, and a
 * change to a Namespace, ServiceAccount or RoleBinding the Profile controls (not to the quota).
 */

/** The finalizer through which the controller revokes plugin grants before a Profile goes. */
const PROFILE_FINALIZER = 'profile-finalizer';
/** The ResourceQuota made from `spec.resourceQuotaSpec`. */
const KF_QUOTA = 'kf-resource-quota';
/** The ServiceAccount workloads run as (`kubeflow-edit`); the one WorkloadIdentity binds. */
const DEFAULT_EDITOR = 'default-editor';
/** The read-only ServiceAccount (`kubeflow-view`). */
const DEFAULT_VIEWER = 'default-viewer';
/** The owner's RoleBinding to `kubeflow-admin`. */
const NAMESPACE_ADMIN = 'namespaceAdmin';
const WORKLOAD_IDENTITY_KIND = 'WorkloadIdentity';
/** The role the WorkloadIdentity plugin grants on the Google service account. */
const WORKLOAD_IDENTITY_ROLE = 'roles/iam.workloadIdentityUser';
/** The annotation pairing a Kubernetes ServiceAccount with a Google service account. */
const GCP_SERVICE_ACCOUNT_ANNOTATION = 'iam.gke.io/gcp-service-account';
const GCP_SERVICE_ACCOUNT_SUFFIX = '.iam.gserviceaccount.com';

/**
 * Labels every profile namespace gets: `istio-injection` from the controller's code, the rest from
 * the default `namespace-labels.yaml`. The controller adds a label only when its key is missing.
 */
const PROFILE_NAMESPACE_LABELS: Readonly<Record<string, string>> = {
  'istio-injection': 'enabled',
  'katib.kubeflow.org/metrics-collector-injection': 'enabled',
  'serving.kubeflow.org/inferenceservice': 'enabled',
  'pipelines.kubeflow.org/enabled': 'true',
  'app.kubernetes.io/part-of': 'kubeflow-profile',
};

/** How the controller is deployed. */
interface ProfileControllerOptions {
  /** Where the WorkloadIdentity plugin grants and revokes (the IAM service). */
  serviceAccountPolicies: ServiceAccountPolicyEditor;
  /** The cluster's workload pool, e.g. `acme-ml-prod.svc.id.goog`. */
  workloadPool: string;
  /**
   * The controller's `-workload-identity` flag (`gcp-sa` of the `profiles-config` ConfigMap on
   * Kubeflow-on-GCP): a WorkloadIdentity plugin naming it is patched into every Profile that has
   * none. Undefined leaves Profiles without the plugin alone.
   */
  defaultGcpServiceAccount?: string | undefined;
}

/** What one reconcile works on. */
interface ReconcileContext {
  state: KubernetesState;
  /** The time writes are stamped with, in Kubernetes' RFC 3339 form. */
  now: string;
  logger: Logger;
}

/** The controller: reconcile a Profile, and finish a Profile's deletion. */
interface ProfileController {
  /**
   * Brings the Profile's namespace and its contents in line with the Profile, or records why it
   * cannot. A Profile that is being deleted is finalized instead.
   */
  reconcile(context: ReconcileContext, profileName: string): void;
  /**
   * Runs the finalizer of a Profile marked for deletion: revokes the plugins' grants, drops
   * `profile-finalizer`, and once no finalizer is left removes the Profile and, through the garbage
   * collector, everything it controls. A failed revoke leaves the Profile Terminating, as it does in
   * a real cluster (the controller retries it on its next reconcile).
   */
  finalize(context: ReconcileContext, profileName: string): void;
}

const profileOwner = (profile: KubeObject): JsonObject =>
  isJsonObject(profile.spec) && isJsonObject(profile.spec.owner) ? profile.spec.owner : {};

const profileOwnerName = (profile: KubeObject): string => {
  const name = profileOwner(profile).name;
  return typeof name === 'string' ? name : '';
};

const profilePlugins = (profile: KubeObject): JsonObject[] =>
  isJsonObject(profile.spec) && Array.isArray(profile.spec.plugins)
    ? profile.spec.plugins.filter(isJsonObject)
    : [];

/** The Google service accounts the Profile's WorkloadIdentity plugins name (empty ones do nothing). */
const workloadIdentityAccounts = (profile: KubeObject): string[] =>
  profilePlugins(profile)
    .filter((plugin) => plugin.kind === WORKLOAD_IDENTITY_KIND)
    .map((plugin) => (isJsonObject(plugin.spec) ? plugin.spec.gcpServiceAccount : undefined))
    .filter((account): account is string => typeof account === 'string' && account !== '');

/** The Profile with the default WorkloadIdentity plugin added, or undefined when nothing changes. */
const withDefaultPlugin = (
  profile: KubeObject,
  defaultAccount: string | undefined,
): KubeObject | undefined => {
  if (defaultAccount === undefined) return undefined;
  if (profilePlugins(profile).some((plugin) => plugin.kind === WORKLOAD_IDENTITY_KIND)) return undefined;
  const patched = structuredClone(profile);
  const spec = isJsonObject(patched.spec) ? patched.spec : {};
  const plugins = Array.isArray(spec.plugins) ? spec.plugins : [];
  patched.spec = {
    ...spec,
    plugins: [...plugins, { kind: WORKLOAD_IDENTITY_KIND, spec: { gcpServiceAccount: defaultAccount } }],
  };
  return patched;
};

const quotaHardOf = (profile: KubeObject): JsonObject => {
  const spec = isJsonObject(profile.spec) ? profile.spec : {};
  const quotaSpec = isJsonObject(spec.resourceQuotaSpec) ? spec.resourceQuotaSpec : {};
  return isJsonObject(quotaSpec.hard) ? quotaSpec.hard : {};
};

/** Adds the default labels whose keys are missing; returns whether any was added. */
const addMissingLabels = (namespace: KubeObject): boolean => {
  const labels = { ...namespace.metadata.labels };
  let changed = false;
  for (const [key, value] of Object.entries(PROFILE_NAMESPACE_LABELS)) {
    if (labels[key] !== undefined) continue;
    labels[key] = value;
    changed = true;
  }
  namespace.metadata.labels = labels;
  return changed;
};

/** The namespace the controller creates for a Profile. */
const desiredNamespace = (profile: KubeObject): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: {
    name: profile.metadata.name,
    annotations: { owner: profileOwnerName(profile) },
    labels: { ...PROFILE_NAMESPACE_LABELS },
    ownerReferences: [controllerReference(profile)],
  },
});

const desiredServiceAccount = (profile: KubeObject, name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace: profile.metadata.name, ownerReferences: [controllerReference(profile)] },
});

const desiredRoleBinding = (
  profile: KubeObject,
  name: string,
  clusterRole: string,
  subjects: JsonObject[],
  annotations?: Record<string, string>,
): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: {
    name,
    namespace: profile.metadata.name,
    ...(annotations === undefined ? {} : { annotations }),
    ownerReferences: [controllerReference(profile)],
  },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
  subjects,
});

/** The RoleBindings of a Profile: one per default ServiceAccount, and the owner's `namespaceAdmin`. */
const desiredRoleBindings = (profile: KubeObject): KubeObject[] => {
  const namespace = profile.metadata.name;
  const owner = profileOwner(profile);
  return [
    desiredRoleBinding(profile, DEFAULT_EDITOR, 'kubeflow-edit', [
      { kind: 'ServiceAccount', name: DEFAULT_EDITOR, namespace },
    ]),
    desiredRoleBinding(profile, DEFAULT_VIEWER, 'kubeflow-view', [
      { kind: 'ServiceAccount', name: DEFAULT_VIEWER, namespace },
    ]),
    desiredRoleBinding(profile, NAMESPACE_ADMIN, 'kubeflow-admin', [structuredClone(owner)], {
      user: profileOwnerName(profile),
      role: 'admin',
    }),
  ];
};

const annotateEditor = (account: KubeObject, gcpServiceAccount: string): boolean => {
  if (account.metadata.annotations?.[GCP_SERVICE_ACCOUNT_ANNOTATION] === gcpServiceAccount) return false;
  account.metadata.annotations = {
    ...account.metadata.annotations,
    [GCP_SERVICE_ACCOUNT_ANNOTATION]: gcpServiceAccount,
  };
  return true;
};

/**
 * The objects a fixture Profile's controller has already made, created without any IAM call (the
 * fixture's IAM policies already hold the grants) and without the quota (the fixture lists the live
 * quotas, which may differ from the Profile: kubeflow/kubeflow#7258). Uids derive from the objects'
 * identity, so a reset reproduces them.
 */
const seedProfileObjects = (state: KubernetesState, profile: KubeObject, timestamp: string): void => {
  const namespaceName = profile.metadata.name;
  if (!getStored(state, 'namespaces', undefined, namespaceName)) {
    createStored(state, RESOURCE_TYPES.namespaces, desiredNamespace(profile), timestamp, true);
  }
  const accounts = workloadIdentityAccounts(profile);
  for (const name of [DEFAULT_EDITOR, DEFAULT_VIEWER]) {
    const account = desiredServiceAccount(profile, name);
    if (name === DEFAULT_EDITOR) for (const gsa of accounts) annotateEditor(account, gsa);
    createStored(state, RESOURCE_TYPES.serviceaccounts, account, timestamp, true);
  }
  for (const binding of desiredRoleBindings(profile)) {
    defaultAndValidate('rolebindings', binding);
    createStored(state, RESOURCE_TYPES.rolebindings, binding, timestamp, true);
  }
};

/**
 * Builds the controller.
 *
 * @example
 * const controller = createProfileController({ serviceAccountPolicies, workloadPool: 'p.svc.id.goog' });
 * controller.reconcile({ state, now: '2026-03-02T19:00:00Z', logger }, 'maria-chen');
 */
const createProfileController = (options: ProfileControllerOptions): ProfileController => {
  const memberFor = (namespace: string): string =>
    `serviceAccount:${options.workloadPool}[${namespace}/${DEFAULT_EDITOR}]`;

  /** A controller write through the API: the same validation a client's write gets. */
  const createChecked = (context: ReconcileContext, object: KubeObject, profileName: string): boolean => {
    const type = resourceOfKind(object.kind);
    if (!type) return false;
    const errors = defaultAndValidate(type.resource, object);
    if (errors.length > 0) {
      context.logger.warn('profile controller: create failed, will not finish the reconcile', {
        profile: profileName,
        kind: object.kind,
        name: object.metadata.name,
        errors: errors.map((error) => `${error.field}: ${error.detail}`),
      });
      return false;
    }
    createStored(context.state, type, object, context.now);
    return true;
  };

  const writeProfile = (context: ReconcileContext, profile: KubeObject, specChanged: boolean): KubeObject => {
    if (specChanged) profile.metadata.generation = (profile.metadata.generation ?? 1) + 1;
    return writeStored(context.state, 'profiles', profile);
  };

  /** Appends the Failed condition, as the controller's appendErrorConditionAndReturn does. */
  const recordFailure = (context: ReconcileContext, profile: KubeObject, message: string): void => {
    context.logger.info(`profile controller: ${message}`, { profile: profile.metadata.name });
    const updated = structuredClone(profile);
    const status = isJsonObject(updated.status) ? updated.status : {};
    const conditions = Array.isArray(status.conditions) ? status.conditions : [];
    const condition = { type: 'Failed', message };
    // The real controller appends on every reconcile; one copy of a repeated failure is kept here.
    if (jsonEqual(conditions[conditions.length - 1], condition)) return;
    updated.status = { ...status, conditions: [...conditions, condition] };
    writeProfile(context, updated, false);
  };

  /** Namespace: create it, or adopt it when annotated with the same owner; else the Profile fails. */
  const reconcileNamespace = (context: ReconcileContext, profile: KubeObject): boolean => {
    const owner = profileOwnerName(profile);
    const found = getStored(context.state, 'namespaces', undefined, profile.metadata.name);
    if (!found) return createChecked(context, desiredNamespace(profile), profile.metadata.name);
    if (found.metadata.annotations?.owner !== owner) {
      recordFailure(context, profile, `namespace already exist, but not owned by profile creator ${owner}`);
      return false;
    }
    const updated = structuredClone(found);
    if (addMissingLabels(updated)) writeStored(context.state, 'namespaces', updated);
    return true;
  };

  /** RoleBindings: create; else update subjects. A roleRef cannot change, so a different one fails. */
  const reconcileRoleBinding = (
    context: ReconcileContext,
    profile: KubeObject,
    desired: KubeObject,
  ): boolean => {
    defaultAndValidate('rolebindings', desired);
    const found = getStored(context.state, 'rolebindings', desired.metadata.namespace, desired.metadata.name);
    if (!found) return createChecked(context, desired, profile.metadata.name);
    if (jsonEqual(found.roleRef, desired.roleRef) && jsonEqual(found.subjects, desired.subjects)) {
      return true;
    }
    if (!jsonEqual(found.roleRef, desired.roleRef)) {
      context.logger.warn('profile controller: cannot change the roleRef of a RoleBinding', {
        profile: profile.metadata.name,
        roleBinding: desired.metadata.name,
      });
      return false;
    }
    const updated = structuredClone(found);
    updated.subjects = desired.subjects;
    writeStored(context.state, 'rolebindings', updated);
    return true;
  };

  /** The quota follows the Profile: created or updated when `hard` is set, deleted when it is not. */
  const reconcileQuota = (context: ReconcileContext, profile: KubeObject): boolean => {
    const namespace = profile.metadata.name;
    const hard = quotaHardOf(profile);
    const found = getStored(context.state, 'resourcequotas', namespace, KF_QUOTA);
    if (Object.keys(hard).length === 0) {
      // KF 1.7+ removes a quota whose spec was dropped (kubeflow/kubeflow#6188).
      if (found) removeCascading(context.state, 'resourcequotas', found);
      return true;
    }
    const spec = isJsonObject(profile.spec) ? profile.spec : {};
    const desiredSpec = structuredClone(spec.resourceQuotaSpec) as JsonObject;
    if (!found) {
      return createChecked(
        context,
        {
          apiVersion: 'v1',
          kind: 'ResourceQuota',
          metadata: { name: KF_QUOTA, namespace, ownerReferences: [controllerReference(profile)] },
          spec: desiredSpec,
        },
        namespace,
      );
    }
    const updated = structuredClone(found);
    updated.spec = desiredSpec;
    applyServerFields(RESOURCE_TYPES.resourcequotas, updated, found);
    if (jsonEqual(updated.spec, found.spec)) return true;
    const errors = defaultAndValidate('resourcequotas', updated);
    if (errors.length > 0) {
      context.logger.warn('profile controller: quota update failed', { profile: namespace, errors });
      return false;
    }
    writeStored(context.state, 'resourcequotas', updated);
    return true;
  };

  /** WorkloadIdentity: annotate `default-editor`, then grant on each named Google service account. */
  const applyWorkloadIdentity = (context: ReconcileContext, profile: KubeObject): boolean => {
    const namespace = profile.metadata.name;
    for (const gsa of workloadIdentityAccounts(profile)) {
      if (!gsa.endsWith(GCP_SERVICE_ACCOUNT_SUFFIX)) {
        context.logger.warn(`profile controller: ${gsa} is not a valid GCP service account.`, {
          profile: namespace,
        });
        return false;
      }
      const editor = getStored(context.state, 'serviceaccounts', namespace, DEFAULT_EDITOR);
      if (!editor) return false;
      const updated = structuredClone(editor);
      if (annotateEditor(updated, gsa)) writeStored(context.state, 'serviceaccounts', updated);
      try {
        options.serviceAccountPolicies.addBinding(gsa, WORKLOAD_IDENTITY_ROLE, memberFor(namespace));
      } catch (error) {
        if (!(error instanceof SimulatorApiError)) throw error;
        // The real controller logs, returns the error and retries with backoff: the Profile shows
        // no condition at all, only the controller's log does.
        context.logger.warn('profile controller: applying the WorkloadIdentity plugin failed', {
          profile: namespace,
          serviceAccount: gsa,
          error: error.message,
        });
        return false;
      }
    }
    return true;
  };

  const finalize = (context: ReconcileContext, profileName: string): void => {
    const profile = getStored(context.state, 'profiles', undefined, profileName);
    if (!profile) return;
    const finalizers = profile.metadata.finalizers ?? [];
    let current = profile;
    if (finalizers.includes(PROFILE_FINALIZER)) {
      for (const gsa of workloadIdentityAccounts(profile)) {
        try {
          options.serviceAccountPolicies.removeBinding(gsa, WORKLOAD_IDENTITY_ROLE, memberFor(profileName));
        } catch (error) {
          if (!(error instanceof SimulatorApiError)) throw error;
          context.logger.warn('profile controller: revoking the WorkloadIdentity plugin failed', {
            profile: profileName,
            serviceAccount: gsa,
            error: error.message,
          });
          return;
        }
      }
      const updated = structuredClone(profile);
      updated.metadata.finalizers = finalizers.filter((finalizer) => finalizer !== PROFILE_FINALIZER);
      current = writeProfile(context, updated, false);
    }
    if ((current.metadata.finalizers ?? []).length === 0) removeCascading(context.state, 'profiles', current);
  };

  const reconcile = (context: ReconcileContext, profileName: string): void => {
    let profile = getStored(context.state, 'profiles', undefined, profileName);
    if (!profile) return;
    if (profile.metadata.deletionTimestamp !== undefined) {
      finalize(context, profileName);
      return;
    }
    if (!reconcileNamespace(context, profile)) return;
    // The order of the real reconcile: each ServiceAccount with its RoleBinding, then the owner's.
    for (const name of [DEFAULT_EDITOR, DEFAULT_VIEWER]) {
      if (!getStored(context.state, 'serviceaccounts', profileName, name)) {
        if (!createChecked(context, desiredServiceAccount(profile, name), profileName)) return;
      }
    }
    for (const binding of desiredRoleBindings(profile)) {
      if (!reconcileRoleBinding(context, profile, binding)) return;
    }
    if (!reconcileQuota(context, profile)) return;
    const patched = withDefaultPlugin(profile, options.defaultGcpServiceAccount);
    if (patched) profile = writeProfile(context, patched, true);
    if (!applyWorkloadIdentity(context, profile)) return;

    const updated = structuredClone(profile);
    const finalizers = updated.metadata.finalizers ?? [];
    if (!finalizers.includes(PROFILE_FINALIZER))
      updated.metadata.finalizers = [...finalizers, PROFILE_FINALIZER];
    // Upstream defines a `Successful` condition type but never sets it; the fixture's Profiles and
    // the runbooks' checks expect it on a healthy Profile, so a reconcile that got this far says so.
    updated.status = { conditions: [{ type: 'Successful', status: 'True', message: '' }] };
    if (!jsonEqual(updated, profile)) writeProfile(context, updated, false);
  };

  return { reconcile, finalize };
};

export type { ProfileController, ProfileControllerOptions, ReconcileContext };
export {
  createProfileController,
  DEFAULT_EDITOR,
  DEFAULT_VIEWER,
  GCP_SERVICE_ACCOUNT_ANNOTATION,
  KF_QUOTA,
  NAMESPACE_ADMIN,
  PROFILE_FINALIZER,
  PROFILE_NAMESPACE_LABELS,
  seedProfileObjects,
  WORKLOAD_IDENTITY_ROLE,
  withDefaultPlugin,
  workloadIdentityAccounts,
};
