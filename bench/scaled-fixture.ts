/**
 * The acme-ml-prod fixture grown to N extra users, each bound the way `user.add` binds a
 * data-scientist: project role, IAP access, a personal profile and its workload-identity binding.
 * The reconcile benchmark runs drift detection against it to show what grows with users (the size
 * of each policy and of the profile list) and what must not (the number of policy reads).
 */

/** The role template the benchmark's users get (project role, IAP, personal profile). */
const BENCH_ROLE = 'data-scientist';
const BENCH_PROJECT_ROLE = 'roles/container.clusterViewer';
const IAP_ROLE = 'roles/iap.httpsResourceAccessor';
const WORKLOAD_IDENTITY_ROLE = 'roles/iam.workloadIdentityUser';

interface Binding {
  role: string;
  members: string[];
  condition?: unknown;
}

interface MutableFixture {
  project: { projectId: string };
  users: Array<Record<string, unknown>>;
  iam: {
    projectPolicy: { bindings: Binding[] };
    iapPolicy: { policy: { bindings: Binding[] } };
    serviceAccountPolicies: Record<string, { bindings: Binding[] }>;
  };
  desiredState?: { iam?: { iapMembers?: string[] } };
  kubernetes: { kubeflow: { profiles: Array<Record<string, unknown>> } };
}

/** `bench-00042@acme.ai`: sortable, and a valid email and profile name. */
const benchEmail = (index: number): string => `bench-${String(index).padStart(5, '0')}@acme.ai`;
/** `gone-00042@acme.ai`: someone who left, known to the directory but not a managed user. */
const departedEmail = (index: number): string => `gone-${String(index).padStart(5, '0')}@acme.ai`;
const benchProfile = (index: number): string => `bench-${String(index).padStart(5, '0')}`;

/** The unconditional binding of `role` in `bindings`, created when missing. */
const bindingOf = (bindings: Binding[], role: string): Binding => {
  let binding = bindings.find((candidate) => candidate.role === role && !candidate.condition);
  if (!binding) {
    binding = { role, members: [] };
    bindings.push(binding);
  }
  return binding;
};

/**
 * A copy of `base` (the parsed fixture) with `count` more active users, all bound in the project
 * policy and IAP (and listed in Terraform's authoritative IAP binding), each with a personal
 * profile whose `default-editor` may act as the Kubeflow user GSA; and `departed` people who left
 * (in the directory, so that IAM accepts grants to them, but bound to nothing).
 */
const scaledFixture = (base: unknown, count: number, departed = 0): unknown => {
  const fixture = structuredClone(base) as MutableFixture;
  const projectId = fixture.project.projectId;
  const gsa = `acme-kf-user@${projectId}.iam.gserviceaccount.com`;
  const viewers = bindingOf(fixture.iam.projectPolicy.bindings, BENCH_PROJECT_ROLE);
  const iap = bindingOf(fixture.iam.iapPolicy.policy.bindings, IAP_ROLE);
  const gsaPolicy = fixture.iam.serviceAccountPolicies[gsa];
  if (!gsaPolicy) throw new Error(`the fixture has no policy for ${gsa}`);
  const workloadIdentity = bindingOf(gsaPolicy.bindings, WORKLOAD_IDENTITY_ROLE);
  const iapMembers = fixture.desiredState?.iam?.iapMembers;
  for (let index = 0; index < count; index += 1) {
    const email = benchEmail(index);
    const profile = benchProfile(index);
    fixture.users.push({
      email,
      displayName: `Bench User ${index}`,
      team: 'bench',
      platformRole: BENCH_ROLE,
      status: 'active',
      ownsProfiles: [profile],
    });
    viewers.members.push(`user:${email}`);
    iap.members.push(`user:${email}`);
    iapMembers?.push(`user:${email}`);
    workloadIdentity.members.push(`serviceAccount:${projectId}.svc.id.goog[${profile}/default-editor]`);
    fixture.kubernetes.kubeflow.profiles.push({
      apiVersion: 'kubeflow.org/v1',
      kind: 'Profile',
      metadata: { name: profile, labels: { team: 'bench', 'profile-type': 'personal' } },
      spec: {
        owner: { kind: 'User', name: email },
        plugins: [{ kind: 'WorkloadIdentity', spec: { gcpServiceAccount: gsa } }],
      },
      status: { conditions: [{ type: 'Successful', status: 'True', message: '' }] },
    });
  }
  for (let index = 0; index < departed; index += 1) {
    fixture.users.push({
      email: departedEmail(index),
      displayName: `Departed User ${index}`,
      team: 'bench',
      platformRole: BENCH_ROLE,
      status: 'departed',
      ownsProfiles: [],
    });
  }
  return fixture;
};

export { BENCH_ROLE, benchEmail, benchProfile, departedEmail, scaledFixture };
