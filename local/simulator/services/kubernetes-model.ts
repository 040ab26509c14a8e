import { createHash, randomUUID } from 'node:crypto';

/**
 * The simulated Kubernetes API server's storage: the resource types it serves, the objects it holds
 * and the bookkeeping the API server does on every write (`resourceVersion` from one cluster-wide
 * counter, as etcd's revision is; `uid`; garbage collection of dependents).
 */

/** Any JSON object. */
type JsonObject = Record<string, unknown>;

/** `metadata.ownerReferences[]`: the garbage collector deletes a dependent once its owner is gone. */
interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The `metadata` fields the simulator reads or writes; any other field is kept as sent. */
interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [field: string]: unknown;
}

/** A stored object. Fields other than `metadata` are kept as the client sent them. */
interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** The resources the simulator serves, by their REST plural. */
const RESOURCE_NAMES = [
  'profiles',
  'namespaces',
  'serviceaccounts',
  'resourcequotas',
  'rolebindings',
  'nodes',
  'pods',
  'poddisruptionbudgets',
] as const;
/** A served resource's REST plural, e.g. `serviceaccounts`. */
type ResourceName = (typeof RESOURCE_NAMES)[number];

/** The REST verbs a resource can serve on its collection and item paths. */
type ResourceVerb = 'list' | 'get' | 'create' | 'update' | 'patch' | 'delete';

/** Every verb: what a resource clients may fully manage serves. */
const ALL_VERBS: readonly ResourceVerb[] = ['list', 'get', 'create', 'update', 'patch', 'delete'];

/** How the API server treats one resource. */
interface ResourceType {
  readonly resource: ResourceName;
  readonly kind: string;
  /** `''` for the core group. */
  readonly group: string;
  /** Served versions; the first is the storage version. */
  readonly versions: readonly string[];
  readonly namespaced: boolean;
  /**
   * A custom resource: a PUT must carry `metadata.resourceVersion` (custom resources do not allow
   * unconditional updates), list items carry `apiVersion`/`kind`, and `metadata.generation` counts
   * spec changes.
   */
  readonly custom: boolean;
  /** Writes to the main resource ignore `status` (it has a status subresource). */
  readonly statusSubresource: boolean;
  /** DELETE answers with the deleted object rather than a `Status` (the registry's ReturnDeletedObject). */
  readonly returnsDeletedObject: boolean;
  /** The middle part of route names: `k8s.<routeName>.get`. */
  readonly routeName: string;
  /** Short names, as discovery lists them. */
  readonly shortNames: readonly string[];
  /**
   * The verbs served. Kinds the simulator only mirrors (nodes, pods, disruption budgets) serve
   * fewer: their objects come from the fixture and from the node pools, not from clients.
   */
  readonly verbs: readonly ResourceVerb[];
  /**
   * Fields a `fieldSelector` may name besides `metadata.name` and `metadata.namespace`, as the
   * kind's registry allows them (e.g. `spec.nodeName` on pods).
   */
  readonly selectableFields: readonly string[];
}

/** Every served resource, keyed by plural. */
const RESOURCE_TYPES: Readonly<Record<ResourceName, ResourceType>> = {
  profiles: {
    resource: 'profiles',
    kind: 'Profile',
    group: 'kubeflow.org',
    // The Profile CRD serves v1 (storage) and v1beta1 with the same schema.
    versions: ['v1', 'v1beta1'],
    namespaced: false,
    custom: true,
    statusSubresource: true,
    returnsDeletedObject: true,
    routeName: 'profiles',
    shortNames: [],
    verbs: ALL_VERBS,
    selectableFields: [],
  },
  namespaces: {
    resource: 'namespaces',
    kind: 'Namespace',
    group: '',
    versions: ['v1'],
    namespaced: false,
    custom: false,
    statusSubresource: true,
    // A namespace is not removed by DELETE but set Terminating; the answer is that object.
    returnsDeletedObject: true,
    routeName: 'namespaces',
    shortNames: ['ns'],
    verbs: ALL_VERBS,
    selectableFields: ['status.phase'],
  },
  serviceaccounts: {
    resource: 'serviceaccounts',
    kind: 'ServiceAccount',
    group: '',
    versions: ['v1'],
    namespaced: true,
    custom: false,
    statusSubresource: false,
    returnsDeletedObject: true,
    routeName: 'serviceAccounts',
    shortNames: ['sa'],
    verbs: ALL_VERBS,
    selectableFields: [],
  },
  resourcequotas: {
    resource: 'resourcequotas',
    kind: 'ResourceQuota',
    group: '',
    versions: ['v1'],
    namespaced: true,
    custom: false,
    statusSubresource: true,
    returnsDeletedObject: true,
    routeName: 'resourceQuotas',
    shortNames: ['quota'],
    verbs: ALL_VERBS,
    selectableFields: [],
  },
  rolebindings: {
    resource: 'rolebindings',
    kind: 'RoleBinding',
    group: 'rbac.authorization.k8s.io',
    versions: ['v1'],
    namespaced: true,
    custom: false,
    statusSubresource: false,
    returnsDeletedObject: false,
    routeName: 'roleBindings',
    shortNames: [],
    verbs: ALL_VERBS,
    selectableFields: [],
  },
  nodes: {
    resource: 'nodes',
    kind: 'Node',
    group: '',
    versions: ['v1'],
    namespaced: false,
    custom: false,
    statusSubresource: true,
    returnsDeletedObject: true,
    routeName: 'nodes',
    shortNames: ['no'],
    // Nodes come and go with their node pool; clients read them and cordon them (spec.unschedulable).
    verbs: ['list', 'get', 'update', 'patch'],
    selectableFields: ['spec.unschedulable'],
  },
  pods: {
    resource: 'pods',
    kind: 'Pod',
    group: '',
    versions: ['v1'],
    namespaced: true,
    custom: false,
    statusSubresource: true,
    returnsDeletedObject: true,
    routeName: 'pods',
    shortNames: ['po'],
    // Pods are the fixture's workloads: read, deleted, or evicted (the eviction subresource).
    verbs: ['list', 'get', 'delete'],
    selectableFields: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
  },
  poddisruptionbudgets: {
    resource: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    group: 'policy',
    versions: ['v1'],
    namespaced: true,
    custom: false,
    statusSubresource: true,
    returnsDeletedObject: true,
    routeName: 'podDisruptionBudgets',
    shortNames: ['pdb'],
    // Read for what an eviction checks; the simulator keeps their status up to date itself.
    verbs: ['list', 'get'],
    selectableFields: [],
  },
};

/** The resource whose objects have `kind`, if the simulator serves it. */
const resourceOfKind = (kind: string): ResourceType | undefined =>
  Object.values(RESOURCE_TYPES).find((type) => type.kind === kind);

/** `v1` or `kubeflow.org/v1`. */
const apiVersionOf = (type: ResourceType, version: string = type.versions[0] ?? 'v1'): string =>
  type.group === '' ? version : `${type.group}/${version}`;

/** `serviceaccounts`, `profiles.kubeflow.org`: how Kubernetes names a resource in error messages. */
const qualifiedResource = (type: ResourceType): string =>
  type.group === '' ? type.resource : `${type.resource}.${type.group}`;

/** `ServiceAccount`, `Profile.kubeflow.org`: how Kubernetes names a kind in validation messages. */
const qualifiedKind = (type: ResourceType): string =>
  type.group === '' ? type.kind : `${type.kind}.${type.group}`;

/**
 * Everything the simulated API server stores. Objects are keyed `<namespace>/<name>` (namespaced)
 * or `<name>`, which also gives list order, as etcd's key order does.
 */
interface KubernetesState {
  /** The last resourceVersion handed out: one counter for every kind, like etcd's revision. */
  revision: number;
  objects: Record<ResourceName, Record<string, KubeObject>>;
}

const emptyObjects = (): Record<ResourceName, Record<string, KubeObject>> => ({
  profiles: {},
  namespaces: {},
  serviceaccounts: {},
  resourcequotas: {},
  rolebindings: {},
  nodes: {},
  pods: {},
  poddisruptionbudgets: {},
});

/** A state with nothing stored. */
const createEmptyKubernetesState = (): KubernetesState => ({ revision: 0, objects: emptyObjects() });

/** The storage key of an object: `<namespace>/<name>` or `<name>`. */
const objectKey = (namespace: string | undefined, name: string): string =>
  namespace ? `${namespace}/${name}` : name;

/** The stored object itself (callers clone before handing it out). */
const getStored = (
  state: KubernetesState,
  resource: ResourceName,
  namespace: string | undefined,
  name: string,
): KubeObject | undefined => state.objects[resource][objectKey(namespace, name)];

/** Stored objects of one resource in key order, all namespaces unless `namespace` is given. */
const listStored = (state: KubernetesState, resource: ResourceName, namespace?: string): KubeObject[] => {
  const all = state.objects[resource];
  return Object.keys(all)
    .sort()
    .map((key) => all[key] as KubeObject)
    .filter((object) => namespace === undefined || object.metadata.namespace === namespace);
};

/**
 * Writes an object: a new resourceVersion from the shared counter, the object deep-copied so the
 * caller's copy can be handed out without aliasing. Returns the stored copy.
 */
const writeStored = (state: KubernetesState, resource: ResourceName, object: KubeObject): KubeObject => {
  state.revision += 1;
  const stored = structuredClone(object);
  stored.metadata.resourceVersion = String(state.revision);
  state.objects[resource][objectKey(stored.metadata.namespace, stored.metadata.name)] = stored;
  return stored;
};

/**
 * Removes one object, then everything the API server would remove with it: every object in a
 * deleted namespace (the namespace controller) and every dependent whose `ownerReferences` name a
 * removed object (the garbage collector, background propagation). Real Kubernetes does both
 * asynchronously; the simulator does them at once. With `orphan`, direct dependents keep living
 * with the reference to the deleted owner dropped, as `propagationPolicy: Orphan` does.
 *
 * @returns every removed object, the requested one first.
 */
const removeCascading = (
  state: KubernetesState,
  resource: ResourceName,
  object: KubeObject,
  orphan = false,
): KubeObject[] => {
  const removed: KubeObject[] = [];
  const pending: Array<{ resource: ResourceName; object: KubeObject; orphanDependents: boolean }> = [
    { resource, object, orphanDependents: orphan },
  ];
  while (pending.length > 0) {
    const next = pending.shift() as (typeof pending)[number];
    const key = objectKey(next.object.metadata.namespace, next.object.metadata.name);
    if (!state.objects[next.resource][key]) continue;
    delete state.objects[next.resource][key];
    removed.push(next.object);
    const uid = next.object.metadata.uid;
    if (next.resource === 'namespaces') {
      for (const type of Object.values(RESOURCE_TYPES).filter((candidate) => candidate.namespaced)) {
        for (const contained of listStored(state, type.resource, next.object.metadata.name)) {
          pending.push({ resource: type.resource, object: contained, orphanDependents: false });
        }
      }
    }
    for (const name of RESOURCE_NAMES) {
      for (const dependent of listStored(state, name)) {
        const references = dependent.metadata.ownerReferences ?? [];
        if (uid === undefined || !references.some((reference) => reference.uid === uid)) continue;
        if (next.orphanDependents) {
          const kept = structuredClone(dependent);
          kept.metadata.ownerReferences = references.filter((reference) => reference.uid !== uid);
          if (kept.metadata.ownerReferences.length === 0) delete kept.metadata.ownerReferences;
          writeStored(state, name, kept);
        } else {
          pending.push({ resource: name, object: dependent, orphanDependents: false });
        }
      }
    }
  }
  return removed;
};

/**
 * Deep equality of JSON values. Not util.isDeepStrictEqual: that also compares prototypes, and
 * under jest objects from `structuredClone` and from object literals come from different realms.
 */
const jsonEqual = (left: unknown, right: unknown): boolean => {
  if (left === right) return true;
  if (Array.isArray(left) || Array.isArray(right)) {
    return (
      Array.isArray(left) &&
      Array.isArray(right) &&
      left.length === right.length &&
      left.every((item, index) => jsonEqual(item, right[index]))
    );
  }
  if (!isJsonObject(left) || !isJsonObject(right)) return false;
  const keys = Object.keys(left).filter((key) => left[key] !== undefined);
  const otherKeys = Object.keys(right).filter((key) => right[key] !== undefined);
  return keys.length === otherKeys.length && keys.every((key) => jsonEqual(left[key], right[key]));
};

/** The namespace label the API server sets on every namespace (since Kubernetes 1.21). */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** `spec.hard` with every quantity as a string, as the API server serialises resource.Quantity. */
const quotaHard = (object: KubeObject): Record<string, string> => {
  const spec = isJsonObject(object.spec) ? object.spec : {};
  const hard = isJsonObject(spec.hard) ? spec.hard : {};
  return Object.fromEntries(Object.entries(hard).map(([name, value]) => [name, String(value)]));
};

/**
 * Fields the server owns, set on every create and update: a namespace's name label, `spec.finalizers`
 * and `status.phase`; a quota's `status` (what the resource-quota controller writes: `hard` from
 * the spec, `used` kept or 0); and, for kinds with a status subresource, the status the object had
 * before, since a write to the main resource cannot change it.
 */
const applyServerFields = (
  type: ResourceType,
  object: KubeObject,
  previous: KubeObject | undefined,
): void => {
  if (type.resource === 'namespaces') {
    object.metadata.labels = { ...object.metadata.labels, [NAMESPACE_NAME_LABEL]: object.metadata.name };
    object.spec = previous?.spec ?? { finalizers: ['kubernetes'] };
    object.status = previous?.status ?? { phase: 'Active' };
  } else if (type.resource === 'resourcequotas') {
    const hard = quotaHard(object);
    const previousStatus = isJsonObject(previous?.status) ? previous.status : {};
    const used = isJsonObject(previousStatus.used) ? previousStatus.used : {};
    object.spec = { ...(isJsonObject(object.spec) ? object.spec : {}), hard };
    object.status = {
      hard,
      used: Object.fromEntries(Object.keys(hard).map((name) => [name, String(used[name] ?? '0')])),
    };
  } else if (type.statusSubresource) {
    if (previous?.status === undefined) delete object.status;
    else object.status = structuredClone(previous.status);
  }
};

/**
 * Creates an object as the API server does: a uid, `creationTimestamp`, generation 1 for custom
 * resources, the server-owned fields, and a resourceVersion. A new namespace also gets its
 * `default` ServiceAccount, which the service-account controller creates in every namespace.
 * Seeded objects get a uid derived from their identity, so that every reset gives the same uids.
 *
 * @returns the stored copy.
 */
const createStored = (
  state: KubernetesState,
  type: ResourceType,
  object: KubeObject,
  now: string,
  seeded = false,
): KubeObject => {
  const created = structuredClone(object);
  created.apiVersion = apiVersionOf(type);
  created.kind = type.kind;
  created.metadata.uid = seeded
    ? seededUid(type.kind, created.metadata.namespace, created.metadata.name)
    : newUid();
  created.metadata.creationTimestamp = now;
  delete created.metadata.deletionTimestamp;
  delete created.metadata.deletionGracePeriodSeconds;
  if (type.custom) created.metadata.generation = 1;
  applyServerFields(type, created, undefined);
  const stored = writeStored(state, type.resource, created);
  if (
    type.resource === 'namespaces' &&
    !getStored(state, 'serviceaccounts', created.metadata.name, 'default')
  ) {
    const defaultAccount: KubeObject = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace: created.metadata.name },
    };
    createStored(state, RESOURCE_TYPES.serviceaccounts, defaultAccount, now, seeded);
  }
  return stored;
};

/** RFC 3339 in whole seconds, as Kubernetes writes `metadata.creationTimestamp`. */
const kubernetesTimestamp = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * A stable uid for a seeded object, so that a reset gives every fixture object the uid it had
 * before: a UUID-shaped digest of the object's identity.
 */
const seededUid = (kind: string, namespace: string | undefined, name: string): string => {
  const hex = createHash('sha1')
    .update(`${kind}/${namespace ?? ''}/${name}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/** A fresh uid for an object created through the API. */
const newUid = (): string => randomUUID();

/** The controller owner reference to `owner`, as controllerutil.SetControllerReference writes it. */
const controllerReference = (owner: KubeObject): OwnerReference => ({
  apiVersion: owner.apiVersion,
  kind: owner.kind,
  name: owner.metadata.name,
  uid: owner.metadata.uid ?? '',
  controller: true,
  blockOwnerDeletion: true,
});

/** The owner reference marked `controller`, if any. */
const controllerOf = (object: KubeObject): OwnerReference | undefined =>
  object.metadata.ownerReferences?.find((reference) => reference.controller === true);

/** Whether a JSON value is an object (not null, not an array). */
const isJsonObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export type {
  JsonObject,
  KubeObject,
  KubernetesState,
  ObjectMeta,
  OwnerReference,
  ResourceName,
  ResourceType,
  ResourceVerb,
};
export {
  ALL_VERBS,
  apiVersionOf,
  applyServerFields,
  controllerOf,
  controllerReference,
  createEmptyKubernetesState,
  createStored,
  getStored,
  isJsonObject,
  jsonEqual,
  kubernetesTimestamp,
  listStored,
  NAMESPACE_NAME_LABEL,
  objectKey,
  qualifiedKind,
  qualifiedResource,
  RESOURCE_NAMES,
  RESOURCE_TYPES,
  removeCascading,
  resourceOfKind,
  seededUid,
  writeStored,
};
