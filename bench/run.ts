import { simulatorEndpointEnv } from '../local/simulator/endpoint-env';
import { defaultFixturePath, loadFixture, startSimulator } from '../local/simulator/simulator';
import { loadConfig } from '../shared/config';
import {
  DesiredStateStore,
  desiredStateFromFixture,
  type PlatformState,
  type UserState,
  usersFromFixture,
} from '../shared/desired-state';
import { buildDriftReport, collectLiveState, kindsOfScope } from '../shared/drift';
import { silentLogger } from '../shared/logging';
import type { PlatformApis } from '../shared/operations';
import type { OperationDeps, OperationProgress } from '../shared/operations/operation';
import { OPERATIONS } from '../shared/operations/registry';
import { iapPolicyTarget, projectPolicyTarget } from '../shared/operations/users/user-access';
import { createPlatformApis } from '../shared/runtime';
import { MemoryDocumentStore } from '../shared/store';
import { ManualClock } from '../shared/time';
import { departedEmail, scaledFixture } from './scaled-fixture';

/**
 * `npm run bench`: the reconcile benchmark. For 100, 1,000 and 10,000 users (all bound in the
 * project policy and IAP, each with a profile), starts the platform simulator seeded with them,
 * runs drift collection and comparison, and prints the wall time and the API calls by route from
 * the simulator's request log. Drift detection must read each IAM policy once however many users
 * there are. Then enforce: as many people who left as a tenth of the users get a grant behind
 * opsplane's back in each of the project and IAP policies, and `iam.bindings.reconcile` removes them all, policy by policy, with
 * one write each. The run fails (exit 1) when the IAM call counts of either phase differ between
 * sizes.
 */

const SIZES = [100, 1_000, 10_000];
/** The fixture's own time, so backup and key ages are what the fixture means them to be. */
const NOW = '2025-06-02T09:00:00Z';

interface SizeResult {
  users: number;
  ms: number;
  findings: number;
  calls: Record<string, number>;
  iamCalls: number;
  policyReads: number;
  enforce: EnforceResult;
}

/** The enforce phase: stray grants removed by iam.bindings.reconcile on both policies. */
type EnforceResult =
  | { strays: number; ms: number; reads: number; writes: number }
  | { strays: number; skipped: string };

/** IAM's limit on the principals one allow policy may name. */
const MAX_POLICY_MEMBERS = 1_500;

/** A stray grant per this many users, in each policy. */
const STRAY_EVERY = 10;
const STRAY_PROJECT_ROLE = 'roles/container.developer';
const IAP_ROLE = 'roles/iap.httpsResourceAccessor';

/** Progress for a module run outside the ledger: its recorded steps, in memory. */
const memoryProgress = (): OperationProgress => {
  const steps = new Map<string, Record<string, unknown>>();
  return {
    googleOperation: () => undefined,
    recordGoogleOperation: async () => undefined,
    step: (step) => steps.get(step),
    recordStep: async (step, facts) => {
      steps.set(step, facts);
    },
  };
};

/**
 * Plants grants for `strays` people who left behind opsplane's back, in the project policy (a
 * managed role) and in IAP, then runs
 * iam.bindings.reconcile on each policy as the processor would (observe, plan, apply, verify; the
 * approval it would ask for is not the benchmark's subject) and counts the IAM calls it made.
 */
const enforce = async (
  platform: PlatformState,
  deps: OperationDeps,
  apis: PlatformApis,
  strays: number,
  requestLog: { clear(): void; counts(): Record<string, number> },
): Promise<EnforceResult> => {
  const members = Array.from({ length: strays }, (_, index) => index);
  const principals = new Set(
    (await apis.iam.getPolicy(projectPolicyTarget(platform))).bindings.flatMap((binding) => binding.members),
  );
  if (principals.size + strays > MAX_POLICY_MEMBERS) {
    return {
      strays,
      skipped: `the project policy names ${principals.size.toLocaleString('en')} principals; IAM refuses any write of a policy over ${MAX_POLICY_MEMBERS.toLocaleString('en')} (a platform this size grants through groups)`,
    };
  }
  await apis.iam.editPolicy(projectPolicyTarget(platform), (policy) => ({
    ...policy,
    bindings: [
      ...policy.bindings,
      { role: STRAY_PROJECT_ROLE, members: members.map((index) => `user:${departedEmail(index)}`) },
    ],
  }));
  await apis.iam.editPolicy(iapPolicyTarget(platform), (policy) => ({
    ...policy,
    bindings: policy.bindings.map((binding) =>
      binding.role === IAP_ROLE && !binding.condition
        ? {
            ...binding,
            members: [...binding.members, ...members.map((index) => `user:${departedEmail(index)}`)],
          }
        : binding,
    ),
  }));
  requestLog.clear();
  const reconcile = OPERATIONS['iam.bindings.reconcile'];
  const started = performance.now();
  for (const policy of ['project', 'iap'] as const) {
    const run = { ...deps, progress: memoryProgress() };
    const observed = await reconcile.observe({ policy }, platform, run);
    const plan = reconcile.plan(platform, observed, { policy });
    await reconcile.apply(plan, run, observed);
    await reconcile.verify(plan, run);
  }
  const ms = performance.now() - started;
  const calls = Object.entries(requestLog.counts());
  const count = (pattern: RegExp) =>
    calls.filter(([route]) => pattern.test(route)).reduce((sum, [, n]) => sum + n, 0);
  return { strays, ms, reads: count(/getIamPolicy/), writes: count(/setIamPolicy/) };
};

/** Routes of IAM policy and key calls (project, IAP, service accounts). */
const isIamRoute = (route: string): boolean => /getIamPolicy|setIamPolicy|serviceAccounts\.keys/i.test(route);

const runSize = async (users: number): Promise<SizeResult> => {
  const fixture = scaledFixture(loadFixture(defaultFixturePath()), users, users / STRAY_EVERY);
  const clock = new ManualClock(NOW);
  const simulator = await startSimulator({ fixture, timeScale: 0, clock });
  try {
    const apis = createPlatformApis(
      loadConfig({
        GOOGLE_CLOUD_PROJECT: 'opsplane-bench',
        ...simulatorEndpointEnv(simulator),
        OPSPLANE_KUBERNETES_TOKEN: 'simulator',
      }),
      clock,
    );
    const desiredState = new DesiredStateStore(
      new MemoryDocumentStore<PlatformState>(),
      new MemoryDocumentStore<UserState>(),
    );
    const platform = desiredStateFromFixture(fixture);
    await desiredState.putPlatform(platform);
    for (const user of usersFromFixture(fixture, clock.now())) await desiredState.putUser(user);
    const collect = async () => {
      const managed = await desiredState.listUsers();
      const live = await collectLiveState(platform, managed, { ...apis, clock }, kindsOfScope([]));
      return { managed, report: buildDriftReport(platform, managed, live) };
    };
    // One untimed run first: client construction and JIT warm-up are not reconcile's cost.
    await collect();
    simulator.requestLog.clear();

    const started = performance.now();
    const { managed, report } = await collect();
    const ms = performance.now() - started;

    const calls = simulator.requestLog.counts();
    const iam = Object.entries(calls).filter(([route]) => isIamRoute(route));
    const deps: OperationDeps = {
      ...apis,
      desiredState,
      clock,
      logger: silentLogger,
      polling: { intervalMs: 1000, deadlineMs: 5000 },
      progress: memoryProgress(),
      operationId: 'bench',
      actor: 'schedule:reconcile',
    };
    return {
      users: managed.length,
      ms,
      findings: report.counts.total,
      calls,
      iamCalls: iam.reduce((sum, [, count]) => sum + count, 0),
      policyReads: iam
        .filter(([route]) => /getIamPolicy/.test(route))
        .reduce((sum, [, count]) => sum + count, 0),
      enforce: await enforce(platform, deps, apis, users / STRAY_EVERY, simulator.requestLog),
    };
  } finally {
    await simulator.close();
  }
};

const main = async (): Promise<void> => {
  const results: SizeResult[] = [];
  for (const size of SIZES) {
    const result = await runSize(size);
    results.push(result);
    process.stdout.write(
      `\n${size.toLocaleString('en')} bench users (${result.users.toLocaleString('en')} managed): drift in ${result.ms.toFixed(0)} ms, ${result.findings} findings; ${result.policyReads} IAM policy reads, ${result.iamCalls} IAM calls\n`,
    );
    for (const [route, count] of Object.entries(result.calls).sort(([a], [b]) => a.localeCompare(b))) {
      process.stdout.write(`  ${String(count).padStart(4)}  ${route}\n`);
    }
  }
  const iamCounts = new Set(results.map((result) => JSON.stringify([result.iamCalls, result.policyReads])));
  const enforceCounts = new Set(
    results.flatMap(({ enforce: phase }) =>
      'skipped' in phase ? [] : [JSON.stringify([phase.reads, phase.writes])],
    ),
  );
  const findingCounts = new Set(results.map((result) => result.findings));
  process.stdout.write('\nusers      wall ms   IAM policy reads   IAM calls   all calls   findings\n');
  for (const result of results) {
    const all = Object.values(result.calls).reduce((sum, count) => sum + count, 0);
    process.stdout.write(
      `${String(result.users).padEnd(10)} ${result.ms.toFixed(0).padStart(7)}   ${String(result.policyReads).padStart(16)}   ${String(result.iamCalls).padStart(9)}   ${String(all).padStart(9)}   ${String(result.findings).padStart(8)}\n`,
    );
  }
  process.stdout.write(
    '\nenforce: stray grants removed by iam.bindings.reconcile (project and IAP policies)\nusers      strays/policy   wall ms   policy reads   policy writes\n',
  );
  for (const { users, enforce: phase } of results) {
    process.stdout.write(
      'skipped' in phase
        ? `${String(users).padEnd(10)} ${String(phase.strays).padStart(13)}   not run: ${phase.skipped}\n`
        : `${String(users).padEnd(10)} ${String(phase.strays).padStart(13)}   ${phase.ms.toFixed(0).padStart(7)}   ${String(phase.reads).padStart(12)}   ${String(phase.writes).padStart(13)}\n`,
    );
  }
  if (iamCounts.size !== 1 || enforceCounts.size > 1) {
    process.stdout.write('\nFAIL: the number of IAM calls changed with the number of users\n');
    process.exitCode = 1;
    return;
  }
  process.stdout.write(
    `\nOK: the same IAM calls at every size, in drift and in enforce${findingCounts.size === 1 ? ', and the same findings (the bench users are in sync)' : ''}\n`,
  );
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
