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
import { createPlatformApis } from '../shared/runtime';
import { MemoryDocumentStore } from '../shared/store';
import { ManualClock } from '../shared/time';
import { scaledFixture } from './scaled-fixture';

/**
 * `npm run bench`: the reconcile benchmark. For 100, 1,000 and 10,000 users (all bound in the
 * project policy and IAP, each with a profile), starts the platform simulator seeded with them,
 * runs drift collection and comparison, and prints the wall time and the API calls by route from
 * the simulator's request log. Drift detection must read each IAM policy once however many users
 * there are: the run fails (exit 1) when the IAM call counts differ between sizes.
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
}

/** Routes of IAM policy and key calls (project, IAP, service accounts). */
const isIamRoute = (route: string): boolean => /getIamPolicy|setIamPolicy|serviceAccounts\.keys/i.test(route);

const runSize = async (users: number): Promise<SizeResult> => {
  const fixture = scaledFixture(loadFixture(defaultFixturePath()), users);
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
    return {
      users: managed.length,
      ms,
      findings: report.counts.total,
      calls,
      iamCalls: iam.reduce((sum, [, count]) => sum + count, 0),
      policyReads: iam
        .filter(([route]) => /getIamPolicy/.test(route))
        .reduce((sum, [, count]) => sum + count, 0),
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
  const findingCounts = new Set(results.map((result) => result.findings));
  process.stdout.write('\nusers      wall ms   IAM policy reads   IAM calls   all calls   findings\n');
  for (const result of results) {
    const all = Object.values(result.calls).reduce((sum, count) => sum + count, 0);
    process.stdout.write(
      `${String(result.users).padEnd(10)} ${result.ms.toFixed(0).padStart(7)}   ${String(result.policyReads).padStart(16)}   ${String(result.iamCalls).padStart(9)}   ${String(all).padStart(9)}   ${String(result.findings).padStart(8)}\n`,
    );
  }
  if (iamCounts.size !== 1) {
    process.stdout.write('\nFAIL: the number of IAM calls changed with the number of users\n');
    process.exitCode = 1;
    return;
  }
  process.stdout.write(
    `\nOK: the same IAM calls at every size${findingCounts.size === 1 ? ', and the same findings (the bench users are in sync)' : ''}\n`,
  );
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
