import { defaultFixturePath, loadFixture } from '../../../local/simulator/fixture';
import { parseSqlAdminFixture } from '../../../local/simulator/services/sqladmin-fixture';
import type { SqlInstance } from '../../../local/simulator/services/sqladmin-model';
import {
  DAY_MS,
  freshPitrLog,
  isPitrEnabled,
  recoveryWindow,
  reservingDeletion,
} from '../../../local/simulator/services/sqladmin-pitr';

const SEED = parseSqlAdminFixture(loadFixture(defaultFixturePath()));
const AS_OF = new Date('2025-06-02T08:00:00Z');
const HOUR_MS = 3_600_000;

const instance = (name: string): SqlInstance => {
  const found = SEED.state.instances.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no instance ${name}`);
  return found;
};

const iso = (window: { earliest: Date; latest: Date } | undefined) =>
  window && { earliest: window.earliest.toISOString(), latest: window.latest.toISOString() };

describe('sqladmin-pitr', () => {
  it("gives the fixture's x-sim window at the fixture's asOf, and at any earlier clock", () => {
    // Act
    const atAsOf = recoveryWindow(SEED.state, instance('acme-metaflow-pg-2'), AS_OF);
    const before = recoveryWindow(
      SEED.state,
      instance('acme-metaflow-pg-2'),
      new Date('2025-01-01T00:00:00Z'),
    );

    // Assess
    const fixtureWindow = { earliest: '2025-05-26T03:01:00.000Z', latest: '2025-06-02T07:59:40.000Z' };
    expect(iso(atAsOf)).toEqual(fixtureWindow);
    expect(iso(before)).toEqual(fixtureWindow);
  });

  it('slides the window forward with the clock', () => {
    // Act
    const window = recoveryWindow(
      SEED.state,
      instance('acme-kfp-mysql-7f3a9c1e'),
      new Date(AS_OF.getTime() + HOUR_MS),
    );

    // Assess
    expect(iso(window)).toEqual({ earliest: '2025-05-26T04:00:00.000Z', latest: '2025-06-02T08:59:50.000Z' });
  });

  it('grows a fresh log up to its retention, never reaching before its start', () => {
    // Prepare
    const source = instance('acme-metaflow-pg-2');
    const state = { ...SEED.state, pitrLogs: { [source.name]: freshPitrLog(source, AS_OF.toISOString()) } };

    // Act
    const early = recoveryWindow(state, source, new Date(AS_OF.getTime() + HOUR_MS));
    const late = recoveryWindow(state, source, new Date(AS_OF.getTime() + 30 * DAY_MS));

    // Assess
    expect(early?.earliest).toEqual(AS_OF);
    expect(late?.earliest).toEqual(new Date(AS_OF.getTime() + 23 * DAY_MS));
  });

  it('reads PITR from binaryLogEnabled on MySQL and pointInTimeRecoveryEnabled elsewhere', () => {
    // Prepare
    const mysql = structuredClone(instance('acme-kfp-mysql-7f3a9c1e'));
    const postgres = structuredClone(instance('acme-metaflow-pg-2'));

    // Act
    const before = [isPitrEnabled(mysql), isPitrEnabled(postgres)];
    if (mysql.settings.backupConfiguration) mysql.settings.backupConfiguration.binaryLogEnabled = false;
    if (postgres.settings.backupConfiguration) postgres.settings.backupConfiguration.binaryLogEnabled = true;
    if (postgres.settings.backupConfiguration)
      postgres.settings.backupConfiguration.pointInTimeRecoveryEnabled = false;

    // Assess
    expect(before).toEqual([true, true]);
    expect([isPitrEnabled(mysql), isPitrEnabled(postgres)]).toEqual([false, false]);
    expect(recoveryWindow(SEED.state, mysql, AS_OF)).toBeUndefined();
  });

  it('keeps a deleted name reserved for a week after its deletion', () => {
    // Act
    const deletedAt = Date.parse('2025-05-29T10:00:00Z');
    const reserved = reservingDeletion(
      SEED.state,
      'acme-metaflow-pg-1',
      new Date(deletedAt + 7 * DAY_MS - 1),
    );
    const free = reservingDeletion(SEED.state, 'acme-metaflow-pg-1', new Date(deletedAt + 7 * DAY_MS));

    // Assess
    expect(reserved).toEqual({ name: 'acme-metaflow-pg-1', deletedAt: '2025-05-29T10:00:00Z' });
    expect(free).toBeUndefined();
  });
});
