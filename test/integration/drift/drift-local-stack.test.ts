import type { DriftFinding } from '../../../shared/drift';
import { createStores } from '../../../shared/runtime/command-dependencies';
import { firestoreForTest } from '../../helpers/emulators';
import { resourceManagerV3ClientFor } from '../../helpers/iam-clients';
import { type LocalStackDriver, startLocalStackDriver } from '../../helpers/local-stack-driver';

/**
 * drift.report through the real command path, as `opsplane drift` sends it on a fresh local stack:
 * published on ops-commands, run by the command function, recorded in the ledger (Firestore
 * emulator) with the report as its result, against the simulator seeded from the fixture. And
 * `reconcile --apply` the same way: its fix published on ops-commands by the command function itself.
 */

let driver: LocalStackDriver;

beforeAll(async () => {
  driver = await startLocalStackDriver();
});

afterAll(async () => {
  await driver?.stop();
});

describe('drift.report on the local stack', () => {
  it('succeeds read-only and stores the report, each seeded problem with its fix command', async () => {
    // Prepare
    driver.stack.simulator.requestLog.clear();
    // Act
    const id = await driver.send({
      type: 'drift.report',
      args: {},
      actor: 'user:sofia.rossi@acme.ai',
      reason: 'opsplane drift --json',
    });
    const record = await driver.until(id);
    // Assert
    expect({ status: record.status, error: record.error?.message }).toEqual({ status: 'succeeded' });
    const findings = (record.result?.findings ?? []) as DriftFinding[];
    const fixes = findings.flatMap((finding) => (finding.fix ? [finding.fix.cli] : []));
    // The GPU fix sets night bounds when the stack's clock is inside the off-hours window.
    expect(fixes).toContainEqual(
      expect.stringMatching(/^opsplane gpu autoscaling --min 0 --max 2 --pool gpu-a100-pool( --off-hours)?$/),
    );
    expect(fixes).toEqual(
      expect.arrayContaining([
        'opsplane user remove liam.obrien@acme.ai',
        'opsplane keys rotate gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com',
        'opsplane keys rotate ci-terraform@acme-ml-prod.iam.gserviceaccount.com',
        'opsplane filestore backup acme-kf-home',
        'opsplane filestore prune acme-kf-home',
        'opsplane sql prune acme-kfp-mysql-7f3a9c1e',
        'opsplane sql protect acme-metaflow-pg-2',
      ]),
    );
    expect(findings.map((finding) => `${finding.resource}:${finding.kind}`)).toEqual(
      expect.arrayContaining([
        'iap/734118209551:authoritative-binding',
        'user/james.okafor@acme.ai:human-owner-or-editor',
        'sql/acme-metaflow-pg-2:deletion-protection',
        'sql/acme-metaflow-pg-2:backup-failed',
      ]),
    );
    // Read-only: nothing but reads reached the platform.
    const writes = driver.stack.simulator.requestLog.entries().filter((entry) => entry.method !== 'GET');
    expect(writes.every((entry) => /getIamPolicy/.test(entry.route ?? ''))).toBe(true);
  });
});

describe('reconcile.run --apply on the local stack', () => {
  it('publishes the fix of an enforced policy on ops-commands; approved, it removes the binding added behind opsplane', async () => {
    // Prepare: the project policy in enforce mode, and a grant made straight through the client library.
    const { projectId } = driver.stack.info;
    const firestore = firestoreForTest(projectId);
    await createStores(firestore).desiredState.updatePlatform((platform) => ({
      ...platform,
      reconcile: { defaultMode: 'observe', resources: { 'project-iam/acme-ml-prod': 'enforce' } },
    }));
    await firestore.terminate();
    const crm = resourceManagerV3ClientFor(String(driver.stack.simulator.endpoints.cloudresourcemanager));
    const resource = 'projects/acme-ml-prod';
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
            { role: 'roles/container.developer', members: ['user:tomas.silva@acme.ai'] },
          ],
        },
      },
    });
    // Act
    const id = await driver.send({
      type: 'reconcile.run',
      args: { apply: true },
      actor: 'user:sofia.rossi@acme.ai',
      reason: 'opsplane reconcile --apply',
    });
    const reconcile = await driver.until(id);
    const waiting = await driver.until(`${id}-1`, ['pending_approval']);
    await driver.send({
      type: 'approval.grant',
      args: { operationId: waiting.id },
      actor: 'user:maria.chen@acme.ai',
      reason: 'drift on the project policy',
    });
    const fix = await driver.until(`${id}-1`);
    // Assert
    expect({ status: reconcile.status, error: reconcile.error?.message }).toEqual({ status: 'succeeded' });
    expect(reconcile.result?.submitted).toEqual([
      expect.objectContaining({ operationId: `${id}-1`, type: 'iam.bindings.reconcile' }),
    ]);
    expect(waiting).toMatchObject({ type: 'iam.bindings.reconcile', actor: 'user:sofia.rossi@acme.ai' });
    expect({ status: fix.status, error: fix.error?.message }).toEqual({ status: 'succeeded' });
    const { data: after } = await crm.projects.getIamPolicy({
      resource,
      requestBody: { options: { requestedPolicyVersion: 3 } },
    });
    const developers = (after.bindings ?? [])
      .filter((binding) => binding.role === 'roles/container.developer')
      .flatMap((binding) => binding.members ?? []);
    expect(developers).not.toContain('user:tomas.silva@acme.ai');
    expect(developers).toContain('user:james.okafor@acme.ai');
  });
});
