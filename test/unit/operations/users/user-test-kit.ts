import { type RunningSimulator, startSimulator } from '../../../../local/simulator/simulator';
import type { DesiredStateStore, PlatformState } from '../../../../shared/desired-state';
import type { PlatformApis } from '../../../../shared/operations';
import { ManualClock } from '../../../../shared/time';
import { fixtureWithDirectoryUsers } from '../../../helpers/factories';
import { desiredStateForTest, type OperationContext } from '../../../helpers/operation-runner';
import { platformApisFor } from '../../../helpers/platform-apis';

/**
 * What the user-operation tests share: a simulator whose Cloud Identity directory also knows the
 * new hires the tests add (the simulator refuses grants to users its fixture does not list, as
 * Google refuses unknown users), a fresh operation context on it, and a normalised dump of the
 * simulated platform to compare end states.
 */

/** The fixture's time: the contractor's contract (ends 2025-07-31) still runs. */
const NOW = '2025-06-03T09:00:00Z';

const PROJECT = 'acme-ml-prod';
const PROJECT_NUMBER = '734118209551';
const IAP_RESOURCE = `projects/${PROJECT_NUMBER}/iap_web/compute`;
const KF_USER = 'acme-kf-user@acme-ml-prod.iam.gserviceaccount.com';
const METAFLOW_SA = 'gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com';

/** `new.hire01@acme.ai` … `new.hire20@acme.ai`: users who exist in Cloud Identity and hold nothing. */
const NEW_HIRES = Array.from(
  { length: 20 },
  (_, index) => `new.hire${String(index + 1).padStart(2, '0')}@acme.ai`,
);

/** Other directory users without access, for single adds. */
const DIRECTORY_USERS = [
  'nina.berg@acme.ai',
  'ext.oskar.lind@acme.ai',
  'hana.sato@acme.ai',
  'maria_chen@acme.ai',
];

/** A simulator seeded from the fixture plus {@link NEW_HIRES} and {@link DIRECTORY_USERS}. */
const startUsersSimulator = (): Promise<RunningSimulator> =>
  startSimulator({
    fixture: fixtureWithDirectoryUsers([...DIRECTORY_USERS, ...NEW_HIRES]),
    timeScale: 0,
    clock: new ManualClock(NOW),
  });

interface UsersContext extends OperationContext {
  platform: PlatformState;
  apis: PlatformApis;
  desiredState: DesiredStateStore;
  clock: ManualClock;
}

/** Back to the fixture, with a fresh desired state (seeded from the fixture) and a fresh log. */
const freshContext = async (simulator: RunningSimulator): Promise<UsersContext> => {
  simulator.reset();
  simulator.requestLog.clear();
  const clock = new ManualClock(NOW);
  const { desiredState, platform } = await desiredStateForTest(clock.now());
  return { platform, desiredState, clock, apis: platformApisFor(simulator, clock) };
};

interface Binding {
  role: string;
  members: string[];
  condition?: { title: string; expression: string };
}

interface Policy {
  version: number;
  bindings: Binding[];
}

interface KubeObject {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** The simulated platform as `GET /_sim/state` dumps it, the parts these tests read. */
interface PlatformDump {
  cloudresourcemanager: { policy: Policy };
  iap: { policies: Record<string, Policy> };
  iam: { policies: Record<string, Policy>; keys: Array<{ key: { name: string } }> };
  kubernetes: { objects: Record<string, Record<string, KubeObject>> };
}

/** The error a call fails with, awaited at once so that no rejection is left unhandled meanwhile. */
const rejectionOf = (call: Promise<unknown>): Promise<Error> =>
  call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as Error,
  );

const dumpPlatform = async (simulator: RunningSimulator): Promise<PlatformDump> => {
  const response = await fetch(`${simulator.endpoints.iam}/_sim/state`);
  return (await response.json()) as PlatformDump;
};

/** Every member string of a policy (members repeat across bindings). */
const membersOf = (policy: Policy | undefined): string[] =>
  (policy?.bindings ?? []).flatMap((binding) => binding.members);

/** The bindings of a policy that name `member`, as `role` or `role [condition title]`. */
const grantsIn = (policy: Policy | undefined, member: string): string[] =>
  (policy?.bindings ?? [])
    .filter((binding) => binding.members.includes(member))
    .map((binding) => (binding.condition ? `${binding.role} [${binding.condition.title}]` : binding.role))
    .sort();

/** A JSON value without server-made noise (etags, uids, resource versions), arrays of members sorted. */
const normalise = (value: unknown): unknown => {
  if (Array.isArray(value)) {
    const items = value.map(normalise);
    return items.every((item) => typeof item === 'string') ? [...(items as string[])].sort() : items;
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([key]) => !['etag', 'uid', 'resourceVersion'].includes(key))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, normalise(inner)]),
    );
  }
  return value;
};

/** A policy's bindings as a sorted list of canonical strings, so binding order does not count. */
const canonicalPolicy = (policy: Policy | undefined): string[] =>
  (policy?.bindings ?? []).map((binding) => JSON.stringify(normalise(binding))).sort();

/**
 * What the user operations can change, normalised: every IAM policy, the key count, the Kubernetes
 * objects by kind, and the user's desired-state record. Two runs ending in the same platform give
 * equal snapshots.
 */
const platformSnapshot = async (
  simulator: RunningSimulator,
  desiredState: DesiredStateStore,
  email: string,
): Promise<unknown> => {
  const dump = await dumpPlatform(simulator);
  const user = await desiredState.getUser(email);
  return {
    project: canonicalPolicy(dump.cloudresourcemanager.policy),
    iap: Object.fromEntries(Object.entries(dump.iap.policies).map(([name, p]) => [name, canonicalPolicy(p)])),
    serviceAccounts: Object.fromEntries(
      Object.entries(dump.iam.policies).map(([name, p]) => [name, canonicalPolicy(p)]),
    ),
    keys: dump.iam.keys.map((stored) => stored.key.name).sort(),
    kubernetes: normalise(dump.kubernetes.objects),
    user: user ?? null,
  };
};

export type { PlatformDump, Policy, UsersContext };
export {
  canonicalPolicy,
  DIRECTORY_USERS,
  dumpPlatform,
  freshContext,
  grantsIn,
  IAP_RESOURCE,
  KF_USER,
  METAFLOW_SA,
  membersOf,
  NEW_HIRES,
  NOW,
  PROJECT,
  PROJECT_NUMBER,
  platformSnapshot,
  rejectionOf,
  startUsersSimulator,
};
