import { defaultFixturePath, loadFixture } from '../../../local/simulator/fixture';
import { parseSqlAdminFixture } from '../../../local/simulator/services/sqladmin-fixture';
import type { SqlInstance } from '../../../local/simulator/services/sqladmin-model';
import {
  applySettingsPatch,
  checkInstancePatch,
  mergeSettings,
  readInstancePatch,
} from '../../../local/simulator/services/sqladmin-patch';

const SEED = parseSqlAdminFixture(loadFixture(defaultFixturePath()));

const instance = (name: string): SqlInstance => {
  const found = SEED.state.instances.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no instance ${name}`);
  return structuredClone(found);
};

const KFP = 'acme-kfp-mysql-7f3a9c1e';
const METAFLOW = 'acme-metaflow-pg-2';

/** The ops-catalog §4.4 body. */
const ENABLE_BACKUPS = {
  settings: {
    backupConfiguration: {
      enabled: true,
      startTime: '03:00',
      binaryLogEnabled: true,
      transactionLogRetentionDays: 7,
      backupRetentionSettings: { retentionUnit: 'COUNT', retainedBackups: 14 },
    },
    deletionProtectionEnabled: true,
  },
};

describe('sqladmin-patch', () => {
  it('merges nested objects, replaces lists and clears fields set to null', () => {
    // Prepare
    const current = { a: { b: 1, c: 2 }, list: [1, 2], gone: 'x', kept: true };

    // Act
    const merged = mergeSettings(current, { a: { c: 3 }, list: [3], gone: null });

    // Assess
    expect(merged).toEqual({ a: { b: 1, c: 3 }, list: [3], kept: true });
    expect(current.a.c).toBe(2);
  });

  it('applies the ops-catalog backup body to MySQL and bumps the settings version', () => {
    // Prepare
    const target = instance(KFP);
    const etag = target.etag;

    // Act
    const settings = checkInstancePatch(target, readInstancePatch(ENABLE_BACKUPS));
    applySettingsPatch(target, settings);

    // Assess
    expect(target.settings).toMatchObject({
      settingsVersion: '15',
      deletionProtectionEnabled: true,
      tier: 'db-n1-standard-2',
      backupConfiguration: { enabled: true, binaryLogEnabled: true, location: 'us' },
    });
    expect(target.etag).not.toBe(etag);
  });

  it('accepts a round-tripped instance whose read-only fields are unchanged', () => {
    // Prepare
    const target = instance(METAFLOW);
    const body = {
      ...structuredClone(target),
      settings: { ...target.settings, deletionProtectionEnabled: true },
    };

    // Act
    const settings = checkInstancePatch(target, readInstancePatch(body));

    // Assess
    expect(settings).toMatchObject({ deletionProtectionEnabled: true, tier: 'db-custom-2-7680' });
    expect(settings).not.toHaveProperty('settingsVersion');
  });

  it.each([
    [
      'binary logging on Postgres',
      METAFLOW,
      { settings: { backupConfiguration: { binaryLogEnabled: true } } },
    ],
    ['PITR without backups', METAFLOW, { settings: { backupConfiguration: { enabled: false } } }],
    [
      'more than 7 days of logs on Enterprise',
      KFP,
      { settings: { backupConfiguration: { transactionLogRetentionDays: 8 } } },
    ],
    ['a malformed backup start time', KFP, { settings: { backupConfiguration: { startTime: '3am' } } }],
    ['a smaller disk', KFP, { settings: { dataDiskSizeGb: '50' } }],
    ['a new database version', KFP, { databaseVersion: 'MYSQL_8_4' }],
    ['an unknown settings field', KFP, { settings: { deletionProtection: true } }],
  ])('refuses %s with 400 invalid', (_case, name, body) => {
    // Act
    const check = () => checkInstancePatch(instance(name), readInstancePatch(body));

    // Assess
    expect(check).toThrow(expect.objectContaining({ httpStatus: 400, reason: 'invalid' }));
  });

  it('refuses a stale settingsVersion with 412 staleData and accepts the current one', () => {
    // Prepare
    const target = instance(KFP);

    // Act
    const stale = () =>
      checkInstancePatch(target, readInstancePatch({ settings: { settingsVersion: '13' } }));
    const current = () =>
      checkInstancePatch(target, readInstancePatch({ settings: { settingsVersion: 14 } }));

    // Assess
    expect(stale).toThrow(
      expect.objectContaining({ httpStatus: 412, reason: 'staleData', status: 'FAILED_PRECONDITION' }),
    );
    expect(current).not.toThrow();
  });
});
