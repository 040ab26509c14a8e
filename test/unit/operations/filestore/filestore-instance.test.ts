import type { RunningSimulator } from '../../../../local/simulator/simulator';
import { desiredStateFromFixture } from '../../../../shared/desired-state';
import { PolicyViolationError, ResourceBusyError } from '../../../../shared/errors';
import {
  assertOutsideRateLimit,
  deterministicFilestoreId,
  filestoreIdPrefix,
  filestoreLeaseResource,
  filestoreTarget,
  operationLabels,
} from '../../../../shared/operations/filestore/filestore-instance';
import { ManualClock } from '../../../../shared/time';
import { loadFixture } from '../../../helpers/factories';
import { platformApisFor } from '../../../helpers/platform-apis';
import { startFixtureSimulator } from '../../../helpers/simulator';

/** The helpers every Filestore operation shares, and the adapter's operation listing they rely on. */

const FILESTORE_ID = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

describe('Filestore operation helpers', () => {
  const platform = desiredStateFromFixture(loadFixture());

  it('resolves an instance from desired state, with its backup region and share', () => {
    // Act
    const target = filestoreTarget(platform, 'acme-kf-home');

    // Assert
    expect(target).toEqual({
      ref: { projectId: 'acme-ml-prod', location: 'us-central1-a', instance: 'acme-kf-home' },
      region: 'us-central1',
      share: 'kfhome',
    });
    expect(filestoreLeaseResource(target.ref)).toBe('filestore/acme-ml-prod/us-central1-a/acme-kf-home');
  });

  it('refuses an instance desired state does not list, naming the known ones', () => {
    // Act
    const act = () => filestoreTarget(platform, 'scratch-nfs');

    // Assert
    expect(act).toThrow(PolicyViolationError);
    expect(act).toThrow(
      'Filestore instance "scratch-nfs" is not operated by opsplane (platform.filestore.instances: acme-kf-home, acme-datasets)',
    );
  });

  it('derives the same valid id on every attempt of an operation, and another for another operation', () => {
    // Prepare
    const prefix = filestoreIdPrefix('acme-kf-home', '20250602');

    // Act
    const first = deterministicFilestoreId(prefix, 'op-1');
    const again = deterministicFilestoreId(prefix, 'op-1');
    const other = deterministicFilestoreId(prefix, 'op-2');

    // Assert
    expect(first).toMatch(/^acme-kf-home-20250602-[0-9a-f]{8}$/);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it('shortens a long instance name so that the id stays valid', () => {
    // Prepare
    const longName = `a${'-b'.repeat(31)}`;

    // Act
    const id = deterministicFilestoreId(filestoreIdPrefix(longName, 'pre-restore-20250602'), 'CLI:Op@1');

    // Assert
    expect(id.length).toBeLessThanOrEqual(63);
    expect(id).toMatch(FILESTORE_ID);
    expect(id).toMatch(/-pre-restore-20250602-[0-9a-f]{8}$/);
  });

  it('labels with the operation id only when it is a valid label value', () => {
    // Act
    const valid = operationLabels({ 'managed-by': 'acme-ops' }, 'op-123_abc');
    const invalid = operationLabels({ 'managed-by': 'acme-ops' }, 'Op:123@cli');

    // Assert
    expect(valid).toEqual({ 'managed-by': 'acme-ops', 'opsplane-operation': 'op-123_abc' });
    expect(invalid).toEqual({ 'managed-by': 'acme-ops' });
  });

  it('answers the rate limit with a retryable error that says when to retry', () => {
    // Prepare
    const recent = [
      { what: 'backup b1', at: '2025-06-02T07:45:00Z' },
      { what: 'restore r1', at: '2025-06-02T07:55:00Z' },
      { what: 'backup without time', at: '' },
    ];

    // Act
    const act = () => assertOutsideRateLimit(recent, '2025-06-02T08:00:00Z', 'acme-kf-home', 'back up');

    // Assert
    expect(act).toThrow(ResourceBusyError);
    expect(act).toThrow(
      'cannot back up: restore r1 on acme-kf-home started at 2025-06-02T07:55:00Z, less than 10 minutes ago; ' +
        'Filestore allows one backup or restore per instance every 10 minutes, retry after 2025-06-02T08:05:00.000Z',
    );
    expect(() =>
      assertOutsideRateLimit(recent, '2025-06-02T08:05:00Z', 'acme-kf-home', 'back up'),
    ).not.toThrow();
  });
});

describe('FilestoreApi.listOperations against the simulator', () => {
  const clock = new ManualClock('2025-06-02T08:00:00Z');
  let simulator: RunningSimulator;

  beforeAll(async () => {
    simulator = await startFixtureSimulator({ timeScale: 0, clock });
  });

  afterAll(async () => {
    await simulator.close();
  });

  it("lists a location's operations, decoded, including one just started", async () => {
    // Prepare
    const { filestore } = platformApisFor(simulator, clock);
    const started = await filestore.startRestore(
      { projectId: 'acme-ml-prod', location: 'us-central1-a', instance: 'acme-kf-home' },
      {
        share: 'kfhome',
        sourceBackup: 'projects/acme-ml-prod/locations/us-central1/backups/acme-kf-home-daily-20250529',
      },
    );

    // Act
    const inRegion = await filestore.listOperations('acme-ml-prod', 'us-central1');
    const inZone = await filestore.listOperations('acme-ml-prod', 'us-central1-a');

    // Assert
    expect(inRegion).toEqual([
      expect.objectContaining({
        done: true,
        verb: 'create',
        target: 'projects/acme-ml-prod/locations/us-central1/backups/acme-kf-home-daily-20250530',
        createTime: '2025-05-30T04:00:31.220Z',
        responseType: 'Backup',
      }),
    ]);
    expect(inZone).toEqual([
      expect.objectContaining({
        name: started.name,
        verb: 'restore',
        target: 'projects/acme-ml-prod/locations/us-central1-a/instances/acme-kf-home',
        createTime: '2025-06-02T08:00:00.000Z',
      }),
    ]);
  });
});
