import type { RunningSimulator } from '../../../local/simulator/simulator';
import type { DesiredStateStore, PlatformState } from '../../../shared/desired-state';
import {
  buildDriftReport,
  collectLiveState,
  type DriftFinding,
  type DriftReport,
  kindsOfScope,
} from '../../../shared/drift';
import type { PlatformApis } from '../../../shared/operations';
import { driftReport } from '../../../shared/operations/drift/drift-report';
import { requirePermission } from '../../../shared/runtime/authorization';
import { ManualClock } from '../../../shared/time';
import { resourceManagerV3ClientFor } from '../../helpers/iam-clients';
import { desiredStateForTest, runOperation } from '../../helpers/operation-runner';
import { platformApisFor } from '../../helpers/platform-apis';
import { startFixtureSimulator } from '../../helpers/simulator';

/**
 * The drift report against the simulator seeded from the acme-ml-prod fixture: every planted
 * problem (`x-sim.seededIssues`) that concerns state opsplane manages is reported, each with the
 * command that fixes it where a catalog command does. Out of scope, and why:
 * - "acme-metaflow-pg-1 was deleted: name cannot be reused" — not a managed instance; nothing to fix.
 * - "acme-kf-home is BASIC_HDD: snapshots unsupported" — a tier capability; desired state asks no snapshots.
 * - "team-nlp Profile asks for 2 GPUs but the ResourceQuota says 1" — team profile quotas are not
 *   in opsplane's desired state, and no adapter reads ResourceQuotas.
 * - "GPU pool is busy at 19:00" and "us-central1-c A100 stockout" — runtime conditions, not drift.
 * - The K8s secret `kubeflow/user-gcp-sa` holding acme-kf-user's legacy key is not visible through
 *   the adapters; the key itself is reported as too old (fix: keys.rotate).
 * Reported, but without a command (a human acts): grace.kim's console IAP grant outside Terraform's
 * authoritative binding (two sources of truth disagree; Terraform's is settled in Terraform).
 * james.okafor's legacy roles/editor is fixed by iam.bindings.reconcile (with approval), and
 * acme-metaflow-pg-2's deletion protection by sql.protect.
 */

const NOW = '2025-06-02T09:00:00Z';
const PROJECT = 'acme-ml-prod';
const GPU_POOL = 'gpu-a100-pool';
const KFP_SQL = 'acme-kfp-mysql-7f3a9c1e';
const METAFLOW_SQL = 'acme-metaflow-pg-2';
const METAFLOW_SA = 'gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com';
const CI_SA = 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com';
const KF_USER_SA = 'acme-kf-user@acme-ml-prod.iam.gserviceaccount.com';

/** The finding of that resource and kind; fails the test when there is none. */
const findingOf = (report: DriftReport, resource: string, kind: string): DriftFinding => {
  const found = report.findings.find((finding) => finding.resource === resource && finding.kind === kind);
  if (!found) {
    throw new Error(
      `no ${kind} finding for ${resource}; got ${report.findings.map((f) => `${f.resource}:${f.kind}`).join(', ')}`,
    );
  }
  return found;
};

describe('drift report against the fixture simulator', () => {
  let simulator: RunningSimulator;
  let clock: ManualClock;
  let apis: PlatformApis;
  let desiredState: DesiredStateStore;
  let platform: PlatformState;

  const report = async (scope: string[] = []): Promise<DriftReport> => {
    const users = await desiredState.listUsers();
    const live = await collectLiveState(platform, users, { ...apis, clock }, kindsOfScope(scope));
    return buildDriftReport(platform, users, live, scope);
  };

  beforeAll(async () => {
    clock = new ManualClock(NOW);
    simulator = await startFixtureSimulator({ timeScale: 0, clock });
    apis = platformApisFor(simulator, clock);
  });

  beforeEach(async () => {
    simulator.reset();
    simulator.requestLog.clear();
    ({ desiredState, platform } = await desiredStateForTest(clock.now()));
  });

  afterAll(async () => {
    await simulator?.close();
  });

  it('reports every seeded issue about managed state, with the command that fixes it', async () => {
    // Act
    const result = await report();
    // Assert: GPU pool bumped by hand to 3.
    expect(findingOf(result, `gpu-pool/${GPU_POOL}`, 'autoscaling-bounds')).toMatchObject({
      actual: { maxNodeCount: 3 },
      desired: { maxNodeCount: 2 },
      fix: { command: { type: 'gpu.autoscaling.set', args: { pool: GPU_POOL, min: 0, max: 2 } } },
      mode: 'observe',
    });
    // liam.obrien departed: every access he still has, one finding, fixed by user.remove.
    const liam = findingOf(result, 'user/liam.obrien@acme.ai', 'unmanaged-access');
    expect(liam.fix).toEqual({
      command: { type: 'user.remove', args: { email: 'liam.obrien@acme.ai' } },
      cli: 'opsplane user remove liam.obrien@acme.ai',
    });
    expect(liam.actual).toMatchObject({
      project: expect.arrayContaining(['roles/editor']),
      iap: ['roles/iap.httpsResourceAccessor'],
      profiles: ['liam-obrien'],
      contributorIn: expect.arrayContaining(['team-vision (edit)']),
    });
    // ...and a copy of the Metaflow key: rotate it.
    expect(findingOf(result, `keys/${METAFLOW_SA}`, 'key-held-by-unmanaged')).toMatchObject({
      actual: { holders: ['liam.obrien@acme.ai'] },
      fix: { command: { type: 'keys.rotate', args: { serviceAccount: METAFLOW_SA } } },
    });
    // grace.kim's console IAP grant, which Terraform's authoritative binding will remove.
    const grace = findingOf(result, 'iap/734118209551', 'authoritative-binding');
    expect(grace.actual).toEqual({
      member: 'user:grace.kim@acme.ai',
      role: 'roles/iap.httpsResourceAccessor',
    });
    expect(grace.fix).toBeUndefined();
    expect(grace.message).toMatch(/terraform/);
    // james.okafor's legacy roles/editor.
    expect(findingOf(result, 'user/james.okafor@acme.ai', 'human-owner-or-editor')).toMatchObject({
      severity: 'high',
      actual: expect.arrayContaining(['roles/editor']),
      fix: {
        command: {
          type: 'iam.bindings.reconcile',
          args: { policy: 'project', members: ['user:james.okafor@acme.ai'] },
        },
      },
    });
    // The project policy as a whole: every human holding a managed role desired state does not give.
    const humans = findingOf(result, `project-iam/${PROJECT}`, 'unmanaged-bindings');
    expect(humans.severity).toBe('high');
    expect(humans.fix?.command).toEqual({
      type: 'iam.bindings.reconcile',
      args: {
        policy: 'project',
        members: expect.arrayContaining(['user:james.okafor@acme.ai', 'user:liam.obrien@acme.ai']),
      },
    });
    expect(humans.actual).toMatchObject({
      'user:james.okafor@acme.ai': expect.arrayContaining(['roles/editor']),
    });
    // Keys: the Metaflow key (~242 days), ci-terraform's half-done rotation, the legacy kf-user key.
    for (const account of [METAFLOW_SA, CI_SA, KF_USER_SA]) {
      expect(findingOf(result, `keys/${account}`, 'key-age').fix?.command).toEqual({
        type: 'keys.rotate',
        args: { serviceAccount: account },
      });
    }
    expect(findingOf(result, `keys/${CI_SA}`, 'multiple-active-keys').actual).toMatchObject({
      activeKeys: [expect.anything(), expect.anything()],
    });
    // Cloud SQL: deletion protection off, the FAILED on-demand run, backups past retention.
    expect(findingOf(result, `sql/${METAFLOW_SQL}`, 'deletion-protection')).toMatchObject({
      actual: { deletionProtectionEnabled: false },
      fix: {
        command: { type: 'sql.protect', args: { instance: METAFLOW_SQL, deletionProtection: true } },
        cli: `opsplane sql protect ${METAFLOW_SQL}`,
      },
    });
    expect(findingOf(result, `sql/${METAFLOW_SQL}`, 'backup-failed')).toMatchObject({
      actual: { status: 'FAILED', type: 'ON_DEMAND' },
      fix: { command: { type: 'sql.backup', args: { instance: METAFLOW_SQL } } },
    });
    const retention = findingOf(result, `sql/${KFP_SQL}`, 'retention');
    expect(retention.fix?.command).toEqual({ type: 'sql.backups.prune', args: { instance: KFP_SQL } });
    expect(JSON.stringify(retention.actual)).toContain('2024-12-03');
    expect(JSON.stringify(retention.actual)).toContain('before schema migration');
    // Filestore: acme-kf-home's newest backup breaches the 24 h SLO; old dailies are prunable, the pinned one is not.
    expect(findingOf(result, 'filestore/acme-kf-home', 'backup-stale')).toMatchObject({
      actual: { newestReadyBackup: 'acme-kf-home-daily-20250530' },
      fix: {
        command: { type: 'filestore.backup', args: { instance: 'acme-kf-home' } },
        cli: 'opsplane filestore backup acme-kf-home',
      },
    });
    const prunable = findingOf(result, 'filestore/acme-kf-home', 'retention');
    expect(prunable.fix?.command).toEqual({
      type: 'filestore.backups.prune',
      args: { instance: 'acme-kf-home' },
    });
    expect(JSON.stringify(prunable.actual)).not.toMatch(/preupgrade/);
    // Counts agree with the findings.
    expect(result.counts.total).toBe(result.findings.length);
    expect(result.counts.fixable).toBe(result.findings.filter((finding) => finding.fix).length);
    // Every fix can be typed as a CLI line, and the scheduled reconcile may submit it (enforce mode).
    for (const { fix } of result.findings) {
      if (!fix) continue;
      expect(fix.cli).toMatch(/^opsplane /);
      expect(() => requirePermission(platform.access, 'schedule:reconcile', fix.command.type)).not.toThrow();
    }
  });

  it('reads each policy once, whatever the number of users', async () => {
    // Act
    await report();
    // Assert
    const counts = simulator.requestLog.counts();
    expect(counts['POST v3:cloudresourcemanager.projects.getIamPolicy']).toBe(1);
    expect(counts['POST iap.getIamPolicy']).toBe(1);
    // The Kubeflow user GSA and the three key accounts (kf-user is both): three policies.
    expect(counts['POST iam.projects.serviceAccounts.getIamPolicy']).toBe(3);
    expect(Object.keys(counts).some((key) => /setIamPolicy|create|delete|insert/i.test(key))).toBe(false);
  });

  it('shows a binding added behind opsplane’s back through the client library', async () => {
    // Prepare: someone grants admin roles in the console (here: the Resource Manager client).
    const endpoint = simulator.endpoints.cloudresourcemanager;
    if (!endpoint) throw new Error('the simulator serves no Resource Manager');
    const crm = resourceManagerV3ClientFor(endpoint);
    const resource = `projects/${PROJECT}`;
    const { data: policy } = await crm.projects.getIamPolicy({
      resource,
      requestBody: { options: { requestedPolicyVersion: 3 } },
    });
    await crm.projects.setIamPolicy({
      resource,
      requestBody: {
        policy: {
          ...policy,
          bindings: [
            ...(policy.bindings ?? []),
            { role: 'roles/storage.admin', members: ['user:lena.muller@acme.ai'] },
            { role: 'roles/bigquery.admin', members: ['user:liam.obrien@acme.ai'] },
          ],
        },
      },
    });
    // Act
    const result = await report(['user']);
    // Assert: a managed user holds a grant outside her template; the departed user one more to remove.
    expect(findingOf(result, 'user/liam.obrien@acme.ai', 'unmanaged-access')).toMatchObject({
      actual: { project: expect.arrayContaining(['roles/bigquery.admin']) },
      fix: { command: { type: 'user.remove', args: { email: 'liam.obrien@acme.ai' } } },
      mode: 'observe',
    });
    expect(findingOf(result, 'user/lena.muller@acme.ai', 'unexpected-grant').actual).toContain(
      'roles/storage.admin',
    );
    expect(result.findings.every((finding) => finding.resource.startsWith('user/'))).toBe(true);
  });

  it('leaves out paused resources and marks enforced ones', async () => {
    // Prepare
    platform = {
      ...platform,
      reconcile: {
        defaultMode: 'observe',
        resources: { 'keys/*': 'paused', [`gpu-pool/${GPU_POOL}`]: 'enforce' },
      },
    };
    await desiredState.putPlatform(platform);
    // Act
    const result = await report();
    // Assert
    expect(result.findings.some((finding) => finding.resource.startsWith('keys/'))).toBe(false);
    expect(findingOf(result, `gpu-pool/${GPU_POOL}`, 'autoscaling-bounds').mode).toBe('enforce');
    expect(findingOf(result, 'user/liam.obrien@acme.ai', 'unmanaged-access').mode).toBe('observe');
    expect(result.counts.byMode.enforce).toBe(1);
  });

  it('runs as the drift.report operation: the plan is the report, apply changes nothing', async () => {
    // Act
    const { plan, result } = await runOperation(
      driftReport,
      { resources: ['gpu-pool', 'sql'] },
      {
        platform,
        apis,
        desiredState,
        clock,
      },
    );
    // Assert
    expect(plan.noop).toBe(true);
    expect(plan.summary).toMatch(/drift findings? in acme-ml-prod/);
    expect(result).toEqual(plan.report);
    const resources = plan.report.findings.map((finding) => finding.resource);
    expect(resources).toContain(`gpu-pool/${GPU_POOL}`);
    expect(resources.every((name) => name.startsWith('gpu-pool/') || name.startsWith('sql/'))).toBe(true);
    // Only gpu and sql were read: no IAM, no Filestore.
    const counts = simulator.requestLog.counts();
    expect(Object.keys(counts).some((key) => /getIamPolicy|file\.|keys\.list/.test(key))).toBe(false);
  });
});
