import type { RunningSimulator } from '../../../local/simulator/simulator';
import { ManualClock } from '../../../shared/time';
import { crashingApis } from '../../helpers/crash';
import { makeDelivery } from '../../helpers/factories';
import { platformApisFor } from '../../helpers/platform-apis';
import { makeProcessorHarness } from '../../helpers/processor-harness';
import { startFixtureSimulator } from '../../helpers/simulator';

/**
 * Exactly once through the whole command path: the function "dies" right after each Google API
 * call in turn (the delivery fails, nothing after the call ran), Pub/Sub redelivers the same
 * message, and the end state must equal a clean run's, with every effect made once. Progress
 * lives in the ledger, as in production; the operations' own crash tests cover each step in depth.
 */

const NOW = '2026-03-01T10:00:00Z';

interface Case {
  name: string;
  command: Record<string, unknown>;
  /** What the end state is judged by: counts of effects that must not be doubled. */
  fingerprint: (simulator: RunningSimulator, apis: ReturnType<typeof platformApisFor>) => Promise<unknown>;
}

const GPU_POOL = {
  projectId: 'acme-ml-prod',
  location: 'us-central1',
  cluster: 'acme-ml-gke',
  pool: 'gpu-a100-pool',
};

const CASES: Case[] = [
  {
    name: 'gpu.scale',
    command: { type: 'gpu.scale', args: { nodes: 2 } },
    fingerprint: async (_simulator, apis) => (await apis.gke.getNodePool(GPU_POOL)).sizeByZone,
  },
  {
    name: 'gpu.autoscaling.set',
    command: { type: 'gpu.autoscaling.set', args: { min: 1, max: 2 } },
    fingerprint: async (_simulator, apis) => (await apis.gke.getNodePool(GPU_POOL)).autoscaling,
  },
  {
    name: 'sql.backup',
    command: { type: 'sql.backup', args: { instance: 'acme-kfp-mysql-7f3a9c1e' } },
    fingerprint: async (_simulator, apis) => {
      const runs = await apis.sql.listBackupRuns({
        projectId: 'acme-ml-prod',
        instance: 'acme-kfp-mysql-7f3a9c1e',
      });
      return { onDemand: runs.filter((run) => run.type === 'ON_DEMAND').length };
    },
  },
  {
    name: 'filestore.backup',
    command: { type: 'filestore.backup', args: { instance: 'acme-kf-home' } },
    fingerprint: async (_simulator, apis) => ({
      backups: (await apis.filestore.listBackups('acme-ml-prod', 'us-central1')).length,
    }),
  },
  {
    name: 'keys.rotate',
    command: {
      type: 'keys.rotate',
      args: { serviceAccount: 'gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com', graceHours: 0 },
    },
    fingerprint: async (_simulator, apis) => {
      const keys = await apis.iam.listKeys('gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com');
      const versions = await apis.secrets.listVersions('projects/acme-ml-prod/secrets/gsa-metaflow-prod-key');
      return {
        keys: keys.length,
        enabledKeys: keys.filter((key) => !key.disabled).length,
        enabledVersions: versions.filter((version) => version.state === 'ENABLED').length,
      };
    },
  },
  {
    name: 'user.role.set',
    command: { type: 'user.role.set', args: { email: 'grace.kim@acme.ai', role: 'ml-engineer' } },
    fingerprint: async (_simulator, apis) => {
      const policy = await apis.iam.getPolicy({ kind: 'project', projectId: 'acme-ml-prod' });
      return policy.bindings
        .filter((binding) => binding.members.includes('user:grace.kim@acme.ai'))
        .map((binding) => binding.role)
        .sort();
    },
  },
];

describe('crash after every Google API call, then redelivery', () => {
  let simulator: RunningSimulator;

  beforeAll(async () => {
    simulator = await startFixtureSimulator({ timeScale: 0 });
  });

  afterAll(async () => {
    await simulator.close();
  });

  /** Runs the command with a crash after call `crashAfter` (Infinity: none), redelivering until it settles. */
  const runWithCrash = async (testCase: Case, crashAfter: number) => {
    simulator.reset();
    const clock = new ManualClock(NOW);
    const real = platformApisFor(simulator, clock);
    const crashing = crashingApis(real, crashAfter);
    const h = await makeProcessorHarness({}, { apis: crashing.apis, clock });
    const delivery = makeDelivery({
      ...testCase.command,
      actor: 'user:dev.patel@acme.ai',
      reason: 'crash test',
      idempotencyKey: `crash-${testCase.name}`,
    });
    const outcomes = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const outcome = await h.processor.process(delivery);
      outcomes.push(outcome);
      if (outcome.ack) break;
    }
    const record = await h.ledger.get(`crash-${testCase.name}`);
    return {
      outcomes,
      record,
      calls: crashing.calls.length,
      fingerprint: await testCase.fingerprint(simulator, real),
    };
  };

  it.each(CASES.map((testCase) => [testCase.name, testCase] as const))(
    '%s ends as a clean run does, wherever it crashes',
    async (_name, testCase) => {
      // Prepare: the clean run, and how many adapter calls it makes.
      const clean = await runWithCrash(testCase, Number.POSITIVE_INFINITY);
      expect(clean.record?.status).toBe('succeeded');
      // Act + Assert: a crash after each call in turn.
      for (let crashAfter = 1; crashAfter <= clean.calls; crashAfter += 1) {
        const crashed = await runWithCrash(testCase, crashAfter);
        expect({ crashAfter, status: crashed.record?.status, error: crashed.record?.error?.message }).toEqual(
          {
            crashAfter,
            status: 'succeeded',
            error: undefined,
          },
        );
        expect(crashed.outcomes[0]).toMatchObject({ ack: false, error: { code: 'INTERNAL' } });
        expect({ crashAfter, state: crashed.fingerprint }).toEqual({ crashAfter, state: clean.fingerprint });
      }
    },
  );
});
