import { z } from 'zod';
import {
  apiVersionOf,
  controllerReference,
  createEmptyKubernetesState,
  createStored,
  getStored,
  type KubeObject,
  type KubernetesState,
  kubernetesTimestamp,
  RESOURCE_TYPES,
  type ResourceType,
  seededUid,
  writeStored,
} from './kubernetes-model';
import { KF_QUOTA, seedProfileObjects, withDefaultPlugin } from './kubernetes-profile-controller';
import { defaultAndValidate } from './kubernetes-validation';

/**
 * Seeding the Kubernetes service from the fixture's `kubernetes` block. The fixture lists the
 * Kubeflow Profiles, their live ResourceQuotas and the contributors' RoleBindings, and the nodes,
 * pods and PodDisruptionBudgets (stored as they are); what the profile
 * controller made for each Profile (namespace, ServiceAccounts, its RoleBindings) is derived, as a
 * running cluster would have it. Only the parts used are validated, at creation, so a broken
 * fixture fails with the offending path instead of as a 500 in the middle of a test.
 */

const stringMap = z.record(z.string(), z.string());
const quantityMap = z.record(z.string(), z.union([z.string(), z.number()]));

const metadataSchema = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().min(1).optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  creationTimestamp: z.iso.datetime({ offset: true }).optional(),
  finalizers: z.array(z.string()).optional(),
});
const namespacedMetadataSchema = metadataSchema.extend({ namespace: z.string().min(1) });

const profileSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z.looseObject({
    owner: z.looseObject({ kind: z.string().min(1), name: z.string().min(1) }),
    plugins: z
      .array(z.looseObject({ kind: z.string().min(1), spec: z.record(z.string(), z.unknown()).optional() }))
      .optional(),
    resourceQuotaSpec: z.looseObject({ hard: quantityMap.optional() }).optional(),
  }),
  status: z.looseObject({ conditions: z.array(z.looseObject({ type: z.string() })).optional() }).optional(),
});

const resourceQuotaSchema = z.looseObject({
  metadata: namespacedMetadataSchema,
  spec: z.looseObject({ hard: quantityMap }),
});

const roleBindingSchema = z.looseObject({
  kind: z.literal('RoleBinding'),
  metadata: namespacedMetadataSchema,
  roleRef: z.looseObject({
    apiGroup: z.string().optional(),
    kind: z.enum(['Role', 'ClusterRole']),
    name: z.string().min(1),
  }),
  subjects: z
    .array(
      z.looseObject({
        kind: z.enum(['User', 'Group', 'ServiceAccount']),
        name: z.string().min(1),
        apiGroup: z.string().optional(),
        namespace: z.string().optional(),
      }),
    )
    .default([]),
});

/** Served by Istio, not by this service: read only for the namespace it sits in. */
const authorizationPolicySchema = z.looseObject({
  kind: z.literal('AuthorizationPolicy'),
  metadata: namespacedMetadataSchema,
});

/** Objects of kinds the service does not serve; they only tell which namespaces exist. */
const anyObjectSchema = z.looseObject({
  metadata: z.looseObject({ namespace: z.string().min(1).optional() }),
});

/** A Node as the cluster lists it; `metadata.name` is `<instance group base name>-<4 characters>`. */
const nodeSchema = z.looseObject({
  metadata: metadataSchema.omit({ namespace: true }),
  spec: z.looseObject({ unschedulable: z.boolean().optional() }).optional(),
  status: z.looseObject({ allocatable: quantityMap.optional() }).optional(),
});

/** A Pod; `spec.nodeName` is the node it is bound to, empty while it is Pending. */
const podSchema = z.looseObject({
  metadata: namespacedMetadataSchema,
  spec: z.looseObject({ nodeName: z.string().optional() }).optional(),
  status: z.looseObject({ phase: z.string().optional() }).optional(),
});

/** A PodDisruptionBudget: a selector and one of `minAvailable` / `maxUnavailable` (count or percentage). */
const podDisruptionBudgetSchema = z.looseObject({
  metadata: namespacedMetadataSchema,
  spec: z.looseObject({
    selector: z.looseObject({}).nullable().optional(),
    minAvailable: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+%?$/)]).optional(),
    maxUnavailable: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+%?$/)]).optional(),
  }),
});

const configMapSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().min(1).optional() }),
  data: stringMap.optional(),
});

const fixtureSchema = z.looseObject({
  meta: z.looseObject({ asOf: z.iso.datetime({ offset: true }).optional() }).optional(),
  project: z.looseObject({ projectId: z.string().min(1) }),
  kubernetes: z.looseObject({
    /** The GKE cluster (in the fixture's `gke.clusters`) whose API server this is. */
    cluster: z.string().min(1).optional(),
    nodes: z.array(nodeSchema).default([]),
    pods: z.array(podSchema).default([]),
    podDisruptionBudgets: z.array(podDisruptionBudgetSchema).default([]),
    configMaps: z.array(configMapSchema).default([]),
    secrets: z.array(anyObjectSchema).default([]),
    kubeflow: z.looseObject({
      profiles: z.array(profileSchema),
      resourceQuotas: z.array(resourceQuotaSchema).default([]),
      contributorBindings: z
        .array(z.discriminatedUnion('kind', [roleBindingSchema, authorizationPolicySchema]))
        .default([]),
      notebooks: z.array(anyObjectSchema).default([]),
    }),
  }),
});

/** Namespaces every cluster has. */
const SYSTEM_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'] as const;

/** When the fixture does not say when something was created. */
const FALLBACK_TIMESTAMP = '1970-01-01T00:00:00Z';

/** What the Kubernetes service starts from. Treat as read-only; reset clones `state`. */
interface KubernetesSeed {
  projectId: string;
  /**
   * `gcp-sa` of the `kubeflow/profiles-config` ConfigMap: on Kubeflow-on-GCP the profile controller
   * runs with `-workload-identity=<gcp-sa>` and patches that plugin into Profiles lacking one.
   */
  defaultGcpServiceAccount: string | undefined;
  /**
   * The GKE cluster this API server belongs to (`kubernetes.cluster`): its node pools' sizes decide
   * which nodes exist (see kubernetes-node-pools.ts). Unset when the fixture does not say.
   */
  clusterName: string | undefined;
  state: KubernetesState;
}

/** Stores a fixture object as it is (status, finalizers and all), adding what the server would have. */
const seedStored = (
  state: KubernetesState,
  type: ResourceType,
  object: KubeObject,
  timestamp: string,
): void => {
  const seeded = structuredClone(object);
  seeded.apiVersion = apiVersionOf(type);
  seeded.kind = type.kind;
  seeded.metadata.uid = seededUid(type.kind, seeded.metadata.namespace, seeded.metadata.name);
  seeded.metadata.creationTimestamp = kubernetesTimestamp(
    new Date(seeded.metadata.creationTimestamp ?? timestamp),
  );
  if (type.custom) seeded.metadata.generation ??= 1;
  writeStored(state, type.resource, seeded);
};

/**
 * Validates the fixture's `kubernetes` block (and `project.projectId`) and builds the seed.
 *
 * @throws Error naming every invalid path, e.g. `kubernetes.kubeflow.profiles[0].spec.owner.name`.
 */
const parseKubernetesFixture = (fixture: unknown): KubernetesSeed => {
  const parsed = fixtureSchema.safeParse(fixture);
  if (!parsed.success) throw new Error(`Invalid kubernetes fixture:\n${z.prettifyError(parsed.error)}`);
  const { meta, project, kubernetes } = parsed.data;
  const asOf = kubernetesTimestamp(new Date(meta?.asOf ?? FALLBACK_TIMESTAMP));
  const profilesConfig = kubernetes.configMaps.find(
    (configMap) =>
      configMap.metadata.namespace === 'kubeflow' && configMap.metadata.name === 'profiles-config',
  );
  const defaultGcpServiceAccount = profilesConfig?.data?.['gcp-sa'] || undefined;
  const state = createEmptyKubernetesState();

  for (const fixtureProfile of kubernetes.kubeflow.profiles) {
    const profile = structuredClone(fixtureProfile) as unknown as KubeObject;
    // A running controller has already patched its default plugin into every Profile.
    const stored = withDefaultPlugin(profile, defaultGcpServiceAccount) ?? profile;
    seedStored(state, RESOURCE_TYPES.profiles, stored, asOf);
    const seeded = getStored(state, 'profiles', undefined, stored.metadata.name) as KubeObject;
    seedProfileObjects(state, seeded, seeded.metadata.creationTimestamp ?? asOf);
  }

  const referenced = [
    ...kubernetes.pods,
    ...kubernetes.podDisruptionBudgets,
    ...kubernetes.configMaps,
    ...kubernetes.secrets,
    ...kubernetes.kubeflow.resourceQuotas,
    ...kubernetes.kubeflow.contributorBindings,
    ...kubernetes.kubeflow.notebooks,
  ].map((object) => object.metadata.namespace);
  const namespaces = new Set([...SYSTEM_NAMESPACES, ...referenced.filter((name) => name !== undefined)]);
  for (const name of [...namespaces].sort()) {
    if (getStored(state, 'namespaces', undefined, name)) continue;
    createStored(
      state,
      RESOURCE_TYPES.namespaces,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      asOf,
      true,
    );
  }

  for (const fixtureQuota of kubernetes.kubeflow.resourceQuotas) {
    const quota = structuredClone(fixtureQuota) as unknown as KubeObject;
    const owner = getStored(state, 'profiles', undefined, quota.metadata.namespace ?? '');
    // The controller made kf-resource-quota, so it is controlled by (and deleted with) its Profile.
    if (owner && quota.metadata.name === KF_QUOTA) {
      quota.metadata.ownerReferences = [controllerReference(owner)];
    }
    seedStored(state, RESOURCE_TYPES.resourcequotas, quota, owner?.metadata.creationTimestamp ?? asOf);
  }

  for (const entry of kubernetes.kubeflow.contributorBindings) {
    if (entry.kind !== 'RoleBinding') continue;
    const binding = structuredClone(entry) as unknown as KubeObject;
    defaultAndValidate('rolebindings', binding);
    seedStored(state, RESOURCE_TYPES.rolebindings, binding, asOf);
  }

  // Nodes, their pods and the budgets guarding them are stored as the cluster lists them.
  for (const node of kubernetes.nodes) {
    seedStored(state, RESOURCE_TYPES.nodes, structuredClone(node) as unknown as KubeObject, asOf);
  }
  for (const pod of kubernetes.pods) {
    seedStored(state, RESOURCE_TYPES.pods, structuredClone(pod) as unknown as KubeObject, asOf);
  }
  for (const budget of kubernetes.podDisruptionBudgets) {
    seedStored(
      state,
      RESOURCE_TYPES.poddisruptionbudgets,
      structuredClone(budget) as unknown as KubeObject,
      asOf,
    );
  }

  return { projectId: project.projectId, defaultGcpServiceAccount, clusterName: kubernetes.cluster, state };
};

export type { KubernetesSeed };
export { parseKubernetesFixture, SYSTEM_NAMESPACES };
