import { format, inspect } from 'node:util';
import { serviceAccountResource } from '../../../shared/gcp/iam-api';
import { SecretMaterial } from '../../../shared/gcp/secret-material';
import { createJsonLogger } from '../../../shared/logging';

/** The parts of the IAM adapter that need no client: key material handling and resource names. */

const KEY_FILE = '{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\\nMIIEv…"}';

describe('SecretMaterial', () => {
  it('never shows its bytes through JSON, strings, inspection or the logger', () => {
    // Prepare
    const material = new SecretMaterial(Buffer.from(KEY_FILE));
    const lines: string[] = [];
    const logger = createJsonLogger({ write: (line) => lines.push(line) });

    // Act
    logger.info('key created', { key: { id: 'k1', material } });
    const renderings = [
      JSON.stringify({ material }),
      String(material),
      `${material}`,
      inspect(material, { showHidden: true, depth: null }),
      format('%o %s %j', material, material, material),
      JSON.stringify(structuredClone({ ...material })),
      ...lines,
    ];

    // Assess
    for (const text of renderings) {
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain('service_account');
    }
    expect(String(material)).toBe('[redacted key material]');
    expect(inspect(material)).toBe('[redacted key material]');
  });

  it('reveals a copy of the bytes, and wipes them on request', () => {
    // Prepare
    const material = new SecretMaterial(Buffer.from(KEY_FILE));

    // Act
    const revealed = material.reveal();
    revealed.fill(0);
    const again = material.reveal().toString('utf8');
    material.wipe();
    const wiped = material.reveal();

    // Assess
    expect(again).toBe(KEY_FILE);
    expect(wiped.every((byte) => byte === 0)).toBe(true);
  });
});

describe('serviceAccountResource', () => {
  it('names a user-managed account under its own project and any other under projects/-', () => {
    // Act
    const own = serviceAccountResource('ci-terraform@acme-ml-prod.iam.gserviceaccount.com');
    const other = serviceAccountResource('734118209551-compute@developer.gserviceaccount.com');

    // Assess
    expect(own).toBe(
      'projects/acme-ml-prod/serviceAccounts/ci-terraform@acme-ml-prod.iam.gserviceaccount.com',
    );
    expect(other).toBe('projects/-/serviceAccounts/734118209551-compute@developer.gserviceaccount.com');
  });
});
