import type { DriftFinding } from '../../../shared/drift';
import { type LocalStackDriver, startLocalStackDriver } from '../../helpers/local-stack-driver';

/**
 * drift.report through the real command path, as `opsplane drift` sends it on a fresh local stack:
 * published on ops-commands, run by the command function, recorded in the ledger (Firestore
 * emulator) with the report as its result, against the simulator seeded from the fixture.
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
    expect(fixes).toEqual(
      expect.arrayContaining([
        'opsplane gpu autoscaling --min 0 --max 2 --pool gpu-a100-pool',
        'opsplane user remove liam.obrien@acme.ai',
        'opsplane keys rotate gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com',
        'opsplane keys rotate ci-terraform@acme-ml-prod.iam.gserviceaccount.com',
        'opsplane filestore backup acme-kf-home',
        'opsplane filestore prune acme-kf-home',
        'opsplane sql prune acme-kfp-mysql-7f3a9c1e',
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
