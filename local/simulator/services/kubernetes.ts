import { z } from 'zod';
import type { Route, RouteRequest, RouteResponse, ServiceModule, SimulatorContext } from '../service';
import { decideEviction, disruptionBudgetError, refreshDisruptionBudgets } from './kubernetes-disruption';
import {
  alreadyExistsError,
  badRequestError,
  conflictError,
  forbiddenError,
  invalidError,
  KubernetesApiError,
  notFoundError,
} from './kubernetes-errors';
import { parseKubernetesFixture } from './kubernetes-fixture';
import {
  apiVersionOf,
  applyServerFields,
  controllerOf,
  createStored,
  getStored,
  isJsonObject,
  jsonEqual,
  type KubeObject,
  type KubernetesState,
  kubernetesTimestamp,
  listStored,
  objectKey,
  RESOURCE_NAMES,
  RESOURCE_TYPES,
  type ResourceName,
  type ResourceType,
  type ResourceVerb,
  removeCascading,
  writeStored,
} from './kubernetes-model';
import { reconcileNodePools } from './kubernetes-node-pools';
import { applyJsonPatch, applyMergePatch } from './kubernetes-patch';
import { createProfileController, type ReconcileContext } from './kubernetes-profile-controller';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './kubernetes-selectors';
import { defaultAndValidate, validateUpdate } from './kubernetes-validation';
import type { ServiceAccountPolicyEditor } from './service-account-policies';

/**
 * The Kubernetes API subset opsplane's identity and quota operations use (ops catalog §1, §7), as
 * the GKE cluster's API server answers it: `kubeflow.org/v1` (and v1beta1) Profiles; core v1
 * Namespaces, ServiceAccounts and ResourceQuotas; `rbac.authorization.k8s.io/v1` RoleBindings; and,
 * for the GPU busy check, core v1 Nodes (list, get, update/patch to cordon) and Pods (list, also
 * across namespaces, get, delete, and the `eviction` subresource, which honours `policy/v1`
 * PodDisruptionBudgets, served read-only). Nodes follow the GKE node pools' sizes (see
 * kubernetes-node-pools.ts); pods are the fixture's and are not rescheduled by any controller. It
 * speaks the wire format @kubernetes/client-node expects: JSON objects with `uid`,
 * `creationTimestamp` and a `resourceVersion` bumped on every write; `<Kind>List` answers with
 * `labelSelector`/`fieldSelector` and `limit`/`continue`; optimistic concurrency (a PUT with a stale
 * `resourceVersion` is 409 Conflict); `Status` objects for errors; `dryRun=All`. The Kubeflow profile
 * controller runs inside the service (see kubernetes-profile-controller.ts), synchronously.
 *
 * Not served: watch, deletecollection, subresources other than pod eviction (`/status`,
 * `/finalize`, `/log`, `/binding`), server-side apply, verbs a kind does not list in its `verbs`
 * (creating pods or nodes), and every other kind. Requests the router does not know are answered by the shared listener in
 * Google's error shape (501), not as a Kubernetes 404.
 */

/** How the service is created. */
interface KubernetesServiceOptions {
  /** The parsed fixture JSON; its `kubernetes` block and `project.projectId` are validated here. */
  fixture: unknown;
  /** Where the WorkloadIdentity plugin grants and revokes `roles/iam.workloadIdentityUser`. */
  serviceAccountPolicies: ServiceAccountPolicyEditor;
  /** @default `<projectId>.svc.id.goog`, the GKE workload pool of the fixture's project */
  workloadPool?: string;
}

/** A resource at the API version a request named. */
interface Scope {
  type: ResourceType;
  version: string;
}

/** The parts of `metadata` a request body may not change on an existing object. */
const PRESERVED_METADATA = [
  'uid',
  'creationTimestamp',
  'generation',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
] as const;

/** Namespaces the API server refuses to delete. */
const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/** One stored object in a snapshot: loose, the kinds' own fields are not re-validated. */
const storedObjectsSchema = z.record(
  z.string(),
  z.looseObject({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: z.looseObject({ name: z.string().min(1) }),
  }),
);

/**
 * A snapshot as `restore` accepts it: the shape `snapshot` returns. Nodes, pods and budgets may be
 * missing (snapshots from before they were served): the fixture's are kept then.
 */
const snapshotSchema = z.object({
  revision: z.number().int().nonnegative(),
  objects: z.object({
    profiles: storedObjectsSchema,
    namespaces: storedObjectsSchema,
    serviceaccounts: storedObjectsSchema,
    resourcequotas: storedObjectsSchema,
    rolebindings: storedObjectsSchema,
    nodes: storedObjectsSchema.optional(),
    pods: storedObjectsSchema.optional(),
    poddisruptionbudgets: storedObjectsSchema.optional(),
  }),
});

const queryFlag = (query: URLSearchParams, name: string): boolean => {
  const value = query.get(name);
  return value === 'true' || value === '1';
};

/** `dryRun=All` validates and answers without storing; any other value is refused. */
const isDryRun = (query: URLSearchParams): boolean => {
  const values = query.getAll('dryRun');
  if (values.length === 0) return false;
  if (values.every((value) => value === 'All')) return true;
  throw badRequestError(`Invalid dryRun value: ${values.join(',')}; only "All" is supported`);
};

/** The object as the client sees it at the version it asked for; list items of built-in kinds are bare. */
const present = (scope: Scope, object: KubeObject, asListItem = false): KubeObject => {
  const { apiVersion: _storedVersion, kind, metadata, ...fields } = structuredClone(object);
  // Typed clients' list items carry no apiVersion/kind; custom resources' items do.
  if (asListItem && !scope.type.custom) return { metadata, ...fields } as KubeObject;
  return { apiVersion: apiVersionOf(scope.type, scope.version), kind, metadata, ...fields };
};

/** Reads a request body as an object with `metadata`; a missing or non-object body is 400. */
const readBody = (scope: Scope, body: unknown): KubeObject => {
  if (!isJsonObject(body)) {
    throw badRequestError(
      `the body of the request was in an unknown format - accepted media types include: application/json`,
    );
  }
  const object = structuredClone(body) as KubeObject;
  if (object.metadata === undefined) object.metadata = { name: '' };
  if (!isJsonObject(object.metadata)) throw badRequestError('metadata must be an object');
  if (object.metadata.name !== undefined && typeof object.metadata.name !== 'string') {
    throw badRequestError('metadata.name must be a string');
  }
  object.metadata.name ??= '';
  object.apiVersion = apiVersionOf(scope.type);
  object.kind = scope.type.kind;
  return object;
};

/** The request's namespace into the body, or 400 when the body names another one. */
const placeInNamespace = (scope: Scope, object: KubeObject, namespace: string | undefined): void => {
  if (!scope.type.namespaced) {
    // Cluster-scoped objects have no namespace; the API server clears one sent by mistake.
    delete object.metadata.namespace;
    return;
  }
  const sent = object.metadata.namespace;
  if (sent !== undefined && sent !== '' && sent !== namespace) {
    throw badRequestError(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  object.metadata.namespace = namespace;
};

/** Whether two stored versions differ in anything but their resourceVersion. */
const sameContent = (left: KubeObject, right: KubeObject): boolean => {
  const strip = (object: KubeObject): KubeObject => {
    const copy = structuredClone(object);
    delete copy.metadata.resourceVersion;
    return copy;
  };
  return jsonEqual(strip(left), strip(right));
};

const successStatus = (type: ResourceType, object: KubeObject): unknown => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Success',
  details: {
    name: object.metadata.name,
    ...(type.group === '' ? {} : { group: type.group }),
    kind: type.resource,
    uid: object.metadata.uid,
  },
});

/** Opaque `continue` token: where the next page starts. */
const encodeContinue = (key: string): string =>
  Buffer.from(JSON.stringify({ start: key })).toString('base64url');
const decodeContinue = (token: string): string => {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (isJsonObject(decoded) && typeof decoded.start === 'string') return decoded.start;
  } catch {
    // Falls through to the error below.
  }
  throw badRequestError(`continue key is not valid: ${token}`);
};

/** Discovery's APIResourceList entries for one resource (and the pods' eviction subresource). */
const discoveryResources = (type: ResourceType): unknown[] => [
  {
    name: type.resource,
    singularName: type.kind.toLowerCase(),
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: [...type.verbs].sort(),
    ...(type.shortNames.length === 0 ? {} : { shortNames: [...type.shortNames] }),
  },
  ...(type.resource === 'pods'
    ? [
        {
          name: 'pods/eviction',
          singularName: '',
          namespaced: true,
          group: 'policy',
          version: 'v1',
          kind: 'Eviction',
          verbs: ['create'],
        },
      ]
    : []),
];

/** A verb the kind does not serve: 405, as the API server answers for a storage without it. */
const methodNotAllowed = (): RouteResponse => {
  throw new KubernetesApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );
};

/** The answer to an eviction that went ahead: 201 with a success `Status`, as the API server sends. */
const evictedStatus = (): unknown => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Success',
  code: 201,
});

/**
 * Creates the Kubernetes service. It owns its state, seeded from the fixture; `reset`, `snapshot`
 * and `restore` act on it alone (the IAM grants the profile controller made live in the IAM
 * service, which resets itself).
 *
 * @example
 * const kubernetes = createKubernetesService({ fixture, serviceAccountPolicies: iam.policies });
 * const sim = await startSimulator({ fixture, extraServices: [kubernetes] });
 * // sim.endpoints.kubernetes is the cluster's `server` for a KubeConfig.
 *
 * @throws Error naming the invalid paths when the fixture's `kubernetes` block does not validate.
 */
const createKubernetesService = (options: KubernetesServiceOptions): ServiceModule => {
  const seed = parseKubernetesFixture(options.fixture);
  const controller = createProfileController({
    serviceAccountPolicies: options.serviceAccountPolicies,
    workloadPool: options.workloadPool ?? `${seed.projectId}.svc.id.goog`,
    defaultGcpServiceAccount: seed.defaultGcpServiceAccount,
  });
  let state: KubernetesState = structuredClone(seed.state);

  const reconcileContext = (sim: SimulatorContext): ReconcileContext => ({
    state,
    now: kubernetesTimestamp(sim.clock.now()),
    logger: sim.logger,
  });

  const findOrThrow = (scope: Scope, namespace: string | undefined, name: string): KubeObject => {
    const found = getStored(state, scope.type.resource, namespace, name);
    if (!found) throw notFoundError(scope.type, name);
    return found;
  };

  /**
   * What the profile controller's watches do after a client's write: a Profile is reconciled when it
   * changes, and when a Namespace, ServiceAccount or RoleBinding it controls changes or goes.
   */
  const reconcileAfter = (sim: SimulatorContext, objects: readonly KubeObject[]): void => {
    const profiles = new Set<string>();
    for (const object of objects) {
      if (object.kind === 'Profile') profiles.add(object.metadata.name);
      const owner = controllerOf(object);
      if (owner?.kind === 'Profile' && ['Namespace', 'ServiceAccount', 'RoleBinding'].includes(object.kind)) {
        profiles.add(owner.name);
      }
    }
    for (const profile of profiles) controller.reconcile(reconcileContext(sim), profile);
  };

  const list = (scope: Scope, request: RouteRequest): RouteResponse => {
    const { query } = request;
    if (queryFlag(query, 'watch')) throw badRequestError('watch is not supported by the simulator');
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(query.get('fieldSelector'), scope.type.selectableFields);
    const limit = Number(query.get('limit') ?? '0');
    if (!Number.isInteger(limit) || limit < 0) throw badRequestError(`invalid limit: ${query.get('limit')}`);
    const token = query.get('continue');
    const start = token ? decodeContinue(token) : undefined;
    const matching = listStored(state, scope.type.resource, request.params.namespace)
      .filter((object) => matchesLabels(labels, object.metadata.labels) && matchesFields(fields, object))
      .filter(
        (object) =>
          start === undefined || objectKey(object.metadata.namespace, object.metadata.name) >= start,
      );
    const page = limit > 0 ? matching.slice(0, limit) : matching;
    const next = limit > 0 ? matching[limit] : undefined;
    return {
      body: {
        kind: `${scope.type.kind}List`,
        apiVersion: apiVersionOf(scope.type, scope.version),
        metadata: {
          resourceVersion: String(state.revision),
          ...(next === undefined
            ? {}
            : {
                continue: encodeContinue(objectKey(next.metadata.namespace, next.metadata.name)),
                remainingItemCount: matching.length - page.length,
              }),
        },
        items: page.map((object) => present(scope, object, true)),
      },
    };
  };

  const get = (scope: Scope, request: RouteRequest): RouteResponse => ({
    body: present(scope, findOrThrow(scope, request.params.namespace, request.params.name ?? '')),
  });

  const create = (scope: Scope, request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const dryRun = isDryRun(request.query);
    const object = readBody(scope, request.body);
    placeInNamespace(scope, object, request.params.namespace);
    if (object.metadata.name === '' && typeof object.metadata.generateName === 'string') {
      object.metadata.name = `${object.metadata.generateName}${Math.random().toString(36).slice(2, 7)}`;
    }
    const { name, namespace } = object.metadata;
    const errors = defaultAndValidate(scope.type.resource, object);
    if (errors.length > 0) throw invalidError(scope.type, name, errors);
    if (namespace !== undefined && !getStored(state, 'namespaces', undefined, namespace)) {
      throw notFoundError(RESOURCE_TYPES.namespaces, namespace);
    }
    if (getStored(state, scope.type.resource, namespace, name)) throw alreadyExistsError(scope.type, name);
    for (const field of PRESERVED_METADATA) delete object.metadata[field];
    delete object.metadata.resourceVersion;
    if (dryRun) {
      const preview = structuredClone(object);
      applyServerFields(scope.type, preview, undefined);
      return { status: 201, body: present(scope, preview) };
    }
    // The answer is the object as created; the controller's follow-up writes come after it, as the
    // real controller's would, so a client sees them (and a newer resourceVersion) on its next read.
    const created = structuredClone(
      createStored(state, scope.type, object, kubernetesTimestamp(sim.clock.now())),
    );
    reconcileAfter(sim, [created]);
    return { status: 201, body: present(scope, created) };
  };

  /** The shared end of PUT and PATCH: checks, then the write and the controller's reaction. */
  const replace = (
    scope: Scope,
    existing: KubeObject,
    next: KubeObject,
    query: URLSearchParams,
    sim: SimulatorContext,
    requireResourceVersion: boolean,
  ): RouteResponse => {
    const dryRun = isDryRun(query);
    const { name } = existing.metadata;
    const sentVersion = next.metadata.resourceVersion;
    if (sentVersion === undefined || sentVersion === '') {
      if (requireResourceVersion) {
        throw invalidError(scope.type, name, [
          {
            field: 'metadata.resourceVersion',
            reason: 'FieldValueInvalid',
            detail: 'Invalid value: 0x0: must be specified for an update',
          },
        ]);
      }
    } else if (sentVersion !== existing.metadata.resourceVersion) {
      throw conflictError(scope.type, name);
    }
    for (const field of PRESERVED_METADATA) {
      const metadata: Record<string, unknown> = next.metadata;
      if (existing.metadata[field] === undefined) delete metadata[field];
      else metadata[field] = structuredClone(existing.metadata[field]);
    }
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    applyServerFields(scope.type, next, existing);
    const errors = [
      ...defaultAndValidate(scope.type.resource, next),
      ...validateUpdate(scope.type.resource, existing, next),
    ];
    if (errors.length > 0) throw invalidError(scope.type, name, errors);
    // An update that changes nothing is not written, so the resourceVersion stays (as in Kubernetes).
    if (sameContent(existing, next)) return { body: present(scope, existing) };
    if (scope.type.custom && !jsonEqual(existing.spec, next.spec)) {
      next.metadata.generation = (existing.metadata.generation ?? 1) + 1;
    }
    if (dryRun) return { body: present(scope, next) };
    const stored = structuredClone(writeStored(state, scope.type.resource, next));
    if (stored.metadata.deletionTimestamp !== undefined && (stored.metadata.finalizers ?? []).length === 0) {
      // The last finalizer of an object being deleted is gone: the deletion completes now.
      reconcileAfter(sim, removeCascading(state, scope.type.resource, stored));
    } else {
      reconcileAfter(sim, [stored]);
    }
    return { body: present(scope, stored) };
  };

  const update = (scope: Scope, request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const name = request.params.name ?? '';
    const next = readBody(scope, request.body);
    if (next.metadata.name !== name) {
      throw badRequestError(
        `the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    placeInNamespace(scope, next, request.params.namespace);
    const existing = findOrThrow(scope, request.params.namespace, name);
    return replace(scope, existing, next, request.query, sim, scope.type.custom);
  };

  const patch = (scope: Scope, request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const name = request.params.name ?? '';
    const existing = findOrThrow(scope, request.params.namespace, name);
    let patched: unknown;
    if (Array.isArray(request.body)) patched = applyJsonPatch(existing, request.body);
    else if (isJsonObject(request.body)) patched = applyMergePatch(existing, request.body);
    else throw badRequestError('the body of a patch must be a JSON merge patch object or a JSON patch array');
    const next = readBody(scope, patched);
    if (next.metadata.name !== name || (next.metadata.namespace ?? undefined) !== request.params.namespace) {
      throw invalidError(scope.type, name, [
        {
          field: 'metadata.name',
          reason: 'FieldValueInvalid',
          detail: `Invalid value: "${next.metadata.name}": field is immutable`,
        },
      ]);
    }
    // A patch is unconditional unless it sets metadata.resourceVersion itself.
    return replace(scope, existing, next, request.query, sim, false);
  };

  const remove = (scope: Scope, request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const name = request.params.name ?? '';
    const existing = findOrThrow(scope, request.params.namespace, name);
    const body = isJsonObject(request.body) ? request.body : {};
    const preconditions = isJsonObject(body.preconditions) ? body.preconditions : {};
    for (const field of ['uid', 'resourceVersion'] as const) {
      const expected = preconditions[field];
      if (expected !== undefined && expected !== existing.metadata[field]) {
        throw new KubernetesApiError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${scope.type.resource} "${name}": Precondition failed: ` +
            `${field === 'uid' ? 'UID' : 'ResourceVersion'} in precondition: ${String(expected)}, ` +
            `${field === 'uid' ? 'UID' : 'ResourceVersion'} in object meta: ${existing.metadata[field]}`,
          { name, kind: scope.type.resource },
        );
      }
    }
    if (scope.type.resource === 'namespaces' && UNDELETABLE_NAMESPACES.has(name)) {
      throw forbiddenError(scope.type, name, 'this namespace may not be deleted');
    }
    const orphan =
      request.query.get('propagationPolicy') === 'Orphan' ||
      queryFlag(request.query, 'orphanDependents') ||
      body.propagationPolicy === 'Orphan' ||
      body.orphanDependents === true;
    const now = kubernetesTimestamp(sim.clock.now());
    const terminating = structuredClone(existing);
    terminating.metadata.deletionTimestamp ??= now;
    terminating.metadata.deletionGracePeriodSeconds ??= 0;
    if (isDryRun(request.query)) return { body: present(scope, terminating) };

    if (scope.type.resource === 'profiles') {
      // A Profile carries profile-finalizer: DELETE only marks it; the controller's finalizer
      // revokes the WorkloadIdentity grant, then the Profile and (by garbage collection) its
      // namespace go. The answer is the marked Profile, as the API server sends it.
      if ((existing.metadata.finalizers ?? []).length === 0) {
        removeCascading(state, 'profiles', existing, orphan);
        return { body: present(scope, existing) };
      }
      const marked =
        existing.metadata.deletionTimestamp === undefined
          ? writeStored(state, 'profiles', terminating)
          : existing;
      const answer = present(scope, marked);
      controller.finalize(reconcileContext(sim), name);
      return { body: answer };
    }

    const removed = removeCascading(state, scope.type.resource, existing, orphan);
    // Deleting a Profile's namespace (or one of its ServiceAccounts or RoleBindings) does not stick:
    // the controller sees it go and makes it again (kubeflow/kubeflow#5269).
    reconcileAfter(sim, removed);
    refreshDisruptionBudgets(
      state,
      removed.filter((object) => object.kind === 'Pod').map((object) => object.metadata.namespace),
    );
    if (scope.type.resource === 'namespaces') {
      terminating.status = { phase: 'Terminating' };
      return { body: present(scope, terminating) };
    }
    return {
      body: scope.type.returnsDeletedObject ? present(scope, existing) : successStatus(scope.type, existing),
    };
  };

  /**
   * `POST …/pods/{name}/eviction`: the pod goes unless a PodDisruptionBudget holds it back (429).
   * The body is a `policy/v1` Eviction naming the pod; `deleteOptions` are accepted and ignored.
   */
  const evict = (request: RouteRequest): RouteResponse => {
    const scope: Scope = { type: RESOURCE_TYPES.pods, version: 'v1' };
    const name = request.params.name ?? '';
    const namespace = request.params.namespace;
    const body = request.body;
    if (!isJsonObject(body)) {
      throw badRequestError(
        'the body of the request was in an unknown format - accepted media types include: application/json',
      );
    }
    const metadata = isJsonObject(body.metadata) ? body.metadata : {};
    if (metadata.name !== undefined && metadata.name !== name) {
      throw badRequestError(`name in URL does not match name in Eviction object`);
    }
    if (metadata.namespace !== undefined && metadata.namespace !== '' && metadata.namespace !== namespace) {
      throw badRequestError(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const dryRun = isDryRun(request.query);
    const pod = findOrThrow(scope, namespace, name);
    const decision = decideEviction(state, pod);
    if (!decision.allowed) throw disruptionBudgetError(decision.budget, decision.status);
    if (!dryRun) {
      removeCascading(state, 'pods', pod);
      refreshDisruptionBudgets(state, [namespace]);
    }
    return { status: 201, body: evictedStatus() };
  };

  /** Wraps a handler so a KubernetesApiError becomes a `Status` answer instead of Google's error body. */
  const route = (
    method: string,
    template: string,
    name: string,
    handler: (request: RouteRequest, sim: SimulatorContext) => RouteResponse,
  ): Route => ({
    method,
    template,
    name,
    handle: (request, sim) => {
      try {
        return handler(request, sim);
      } catch (error) {
        if (error instanceof KubernetesApiError) return { status: error.code, body: error.toStatus() };
        throw error;
      }
    },
  });

  const routes: Route[] = [];
  const groupVersions: Array<{ groupVersion: string; types: ResourceType[] }> = [];
  for (const type of Object.values(RESOURCE_TYPES)) {
    for (const version of type.versions) {
      const scope: Scope = { type, version };
      const base = type.group === '' ? `/api/${version}` : `/apis/${type.group}/${version}`;
      const groupVersion = apiVersionOf(type, version);
      const entry = groupVersions.find((candidate) => candidate.groupVersion === groupVersion);
      if (entry) entry.types.push(type);
      else groupVersions.push({ groupVersion, types: [type] });
      const collection = type.namespaced
        ? `${base}/namespaces/{namespace}/${type.resource}`
        : `${base}/${type.resource}`;
      const item = `${collection}/{name}`;
      const prefix = `k8s.${type.routeName}`;
      const served = new Set(type.verbs);
      const handlers: Array<[ResourceVerb, string, string, Route['handle']]> = [
        ['list', 'GET', collection, (request) => list(scope, request)],
        ['create', 'POST', collection, (request, sim) => create(scope, request, sim)],
        ['get', 'GET', item, (request) => get(scope, request)],
        ['update', 'PUT', item, (request, sim) => update(scope, request, sim)],
        ['patch', 'PATCH', item, (request, sim) => patch(scope, request, sim)],
        ['delete', 'DELETE', item, (request, sim) => remove(scope, request, sim)],
      ];
      for (const [verb, method, template, handler] of handlers) {
        // A verb the kind does not serve is the API server's 405, not an unknown path.
        routes.push(
          route(method, template, `${prefix}.${verb}`, served.has(verb) ? handler : methodNotAllowed),
        );
      }
      if (type.resource === 'pods') {
        routes.push(route('POST', `${item}/eviction`, `${prefix}.eviction`, (request) => evict(request)));
      }
      if (type.namespaced && served.has('list')) {
        routes.push(
          route('GET', `${base}/${type.resource}`, `${prefix}.listForAllNamespaces`, (request) =>
            list(scope, request),
          ),
        );
      }
    }
  }

  // Discovery, which generic clients (KubernetesObjectApi, kubectl) read to map kinds to paths.
  for (const { groupVersion, types } of groupVersions) {
    const path = groupVersion.includes('/') ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
    routes.push(
      route('GET', path, 'k8s.discovery.apiResources', () => ({
        body: {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion,
          resources: types.flatMap(discoveryResources),
        },
      })),
    );
  }
  routes.push(
    route('GET', '/api', 'k8s.discovery.apiVersions', () => ({
      body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
    })),
    route('GET', '/apis', 'k8s.discovery.apiGroups', () => {
      const groups = new Map<string, string[]>();
      for (const { groupVersion } of groupVersions.filter((entry) => entry.groupVersion.includes('/'))) {
        const [group, version] = groupVersion.split('/') as [string, string];
        groups.set(group, [...(groups.get(group) ?? []), version]);
      }
      return {
        body: {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: [...groups].map(([name, versions]) => ({
            name,
            versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
            preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
          })),
        },
      };
    }),
  );

  /** Nodes follow their GKE node pools; the pods on removed nodes go, and their budgets are recounted. */
  const followNodePools = (sim: SimulatorContext): void => {
    const { removed } = reconcileNodePools({
      state,
      platform: sim.state,
      clusterName: seed.clusterName,
      templates: listStored(seed.state, 'nodes'),
      now: sim.clock.now(),
    });
    refreshDisruptionBudgets(
      state,
      removed.filter((object) => object.kind === 'Pod').map((object) => object.metadata.namespace),
    );
  };

  return {
    name: 'kubernetes',
    routes,
    settle: followNodePools,
    reset: () => {
      state = structuredClone(seed.state);
    },
    snapshot: () => structuredClone(state),
    restore: (snapshot: unknown) => {
      const parsed = snapshotSchema.safeParse(snapshot);
      if (!parsed.success) throw new Error(`Invalid kubernetes snapshot:\n${z.prettifyError(parsed.error)}`);
      const restored = structuredClone(parsed.data) as {
        revision: number;
        objects: Partial<KubernetesState['objects']>;
      };
      const objects = Object.fromEntries(
        RESOURCE_NAMES.map((resource): [ResourceName, Record<string, KubeObject>] => [
          resource,
          restored.objects[resource] ?? structuredClone(seed.state.objects[resource]),
        ]),
      ) as KubernetesState['objects'];
      state = { revision: Math.max(restored.revision, seed.state.revision), objects };
    },
  };
};

export type { KubernetesServiceOptions };
export { createKubernetesService };
