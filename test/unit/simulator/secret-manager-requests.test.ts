import { SimulatorApiError } from '../../../local/simulator/api-error';
import {
  MAX_PAYLOAD_BYTES,
  matchesFilter,
  paginate,
  parseFilter,
  readAddVersion,
  readCreateSecret,
  readListParams,
  readVersionChange,
  redactSecretPayloads,
} from '../../../local/simulator/services/secret-manager-requests';
import { crc32c } from '../../../shared/gcp/crc32c';

/** Runs `read` and returns the SimulatorApiError it throws. */
const apiErrorOf = (read: () => unknown): SimulatorApiError => {
  try {
    read();
  } catch (error) {
    if (error instanceof SimulatorApiError) return error;
    throw error;
  }
  throw new Error('expected a SimulatorApiError');
};

const SECRET_TEXT = 'hunter2-but-longer';
const DATA = Buffer.from(SECRET_TEXT);

describe('secret-manager-requests', () => {
  it('reads a payload with its checksum, in standard or URL-safe base64', () => {
    // Prepare
    const bytes = Buffer.from([0xfb, 0xff, 0xfe, 0x01]);

    // Act
    const standard = readAddVersion({
      payload: { data: bytes.toString('base64'), dataCrc32c: String(crc32c(bytes)) },
    });
    const urlSafe = readAddVersion({ payload: { data: bytes.toString('base64url') } });

    // Assess
    expect(standard).toEqual({ data: bytes, clientSpecifiedPayloadChecksum: true });
    expect(urlSafe).toEqual({ data: bytes, clientSpecifiedPayloadChecksum: false });
  });

  it('refuses a checksum mismatch, 0 included, without quoting the data or its checksum', () => {
    // Prepare
    const actual = crc32c(DATA);

    // Act
    const errors = [String(actual + 1), '0', 0].map((sent) =>
      apiErrorOf(() => readAddVersion({ payload: { data: DATA.toString('base64'), dataCrc32c: sent } })),
    );

    // Assess
    for (const error of errors) {
      expect(error.status).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(/^Checksum mismatch/);
      expect(error.message).not.toContain(String(actual));
      expect(error.message).not.toContain(DATA.toString('base64'));
    }
  });

  it('refuses malformed base64 without quoting it, an empty payload, and more than 64 KiB', () => {
    // Act
    const malformed = apiErrorOf(() => readAddVersion({ payload: { data: `${SECRET_TEXT}!` } }));
    const empty = apiErrorOf(() => readAddVersion({ payload: {} }));
    const oversized = apiErrorOf(() =>
      readAddVersion({ payload: { data: Buffer.alloc(MAX_PAYLOAD_BYTES + 1).toString('base64') } }),
    );
    const largest = readAddVersion({ payload: { data: Buffer.alloc(MAX_PAYLOAD_BYTES).toString('base64') } });

    // Assess
    expect(malformed.message).toBe(`Invalid value at 'payload.data' (TYPE_BYTES), Base64 decoding failed.`);
    expect(empty.message).toBe('Secret Payload cannot be empty.');
    expect(oversized.message).toBe('Secret Payload cannot be larger than 65536 bytes.');
    expect(largest.data).toHaveLength(MAX_PAYLOAD_BYTES);
  });

  it('refuses an unknown payload field naming it, as Google does', () => {
    // Act
    const error = apiErrorOf(() => readAddVersion({ payload: { data: 'YQ==', value: 'x' } }));

    // Assess
    expect(error.message).toBe(
      `Invalid JSON payload received. Unknown name "value" at 'payload': Cannot find field.`,
    );
  });

  it('reads a new secret: id, replication, labels and annotations; tags are accepted and dropped', () => {
    // Act
    const input = readCreateSecret(new URLSearchParams({ secretId: 'sa-key_1' }), {
      replication: { userManaged: { replicas: [{ location: 'us-central1' }] } },
      labels: { consumer: 'ci' },
      annotations: { owner: 'platform' },
      tags: { '123/env': 'prod' },
      versionAliases: {},
    });

    // Assess
    expect(input).toEqual({
      secretId: 'sa-key_1',
      replication: { userManaged: { replicas: [{ location: 'us-central1' }] } },
      labels: { consumer: 'ci' },
      annotations: { owner: 'platform' },
    });
  });

  it('refuses a secret without a valid id, without one replication policy, or with a bad label', () => {
    // Prepare
    const automatic = { replication: { automatic: {} } };

    // Act
    const errors = [
      apiErrorOf(() => readCreateSecret(new URLSearchParams(), automatic)),
      apiErrorOf(() => readCreateSecret(new URLSearchParams({ secretId: 'a/b' }), automatic)),
      apiErrorOf(() => readCreateSecret(new URLSearchParams({ secretId: 'a' }), {})),
      apiErrorOf(() =>
        readCreateSecret(new URLSearchParams({ secretId: 'a' }), {
          replication: { automatic: {}, userManaged: { replicas: [{ location: 'x' }] } },
        }),
      ),
      apiErrorOf(() =>
        readCreateSecret(new URLSearchParams({ secretId: 'a' }), {
          ...automatic,
          labels: { Consumer: 'ci' },
        }),
      ),
    ];

    // Assess
    expect(errors.map((error) => [error.status, error.message])).toEqual([
      ['INVALID_ARGUMENT', 'secret_id is required.'],
      ['INVALID_ARGUMENT', expect.stringContaining('secret_id must be 1 to 255 characters')],
      ['INVALID_ARGUMENT', 'Secret.replication is required.'],
      ['INVALID_ARGUMENT', 'Secret.replication must set exactly one of automatic and user_managed.'],
      ['INVALID_ARGUMENT', `Invalid label key 'Consumer'.`],
    ]);
  });

  it('refuses secret features it does not simulate with UNIMPLEMENTED rather than ignoring them', () => {
    // Act
    const error = apiErrorOf(() =>
      readCreateSecret(new URLSearchParams({ secretId: 'a' }), {
        replication: { automatic: {} },
        rotation: { rotationPeriod: '86400s' },
      }),
    );

    // Assess
    expect([error.status, error.message]).toEqual([
      'UNIMPLEMENTED',
      'The simulator does not model Secret.rotation.',
    ]);
  });

  it('reads an optional etag from a version state change', () => {
    // Act
    const etags = [readVersionChange(undefined), readVersionChange({}), readVersionChange({ etag: '"1a"' })];

    // Assess
    expect(etags).toEqual([undefined, undefined, '"1a"']);
  });

  it('pages with tokens tied to the filter they were issued for', () => {
    // Prepare
    const items = [1, 2, 3, 4, 5];
    const params = readListParams(new URLSearchParams({ pageSize: '2', filter: 'state:ENABLED' }));

    // Act
    const first = paginate(items, params);
    const second = paginate(items, { ...params, pageToken: first.nextPageToken ?? '' });
    const other = apiErrorOf(() =>
      paginate(items, { ...params, filter: '', pageToken: first.nextPageToken ?? '' }),
    );
    const garbage = apiErrorOf(() => paginate(items, { ...params, pageToken: 'garbage' }));

    // Assess
    expect(first.items).toEqual([1, 2]);
    expect(second.items).toEqual([3, 4]);
    expect(second.nextPageToken).toEqual(expect.any(String));
    expect(paginate(items, { ...params, pageToken: second.nextPageToken ?? '' })).toEqual({ items: [5] });
    expect(other.status).toBe('INVALID_ARGUMENT');
    expect(garbage.status).toBe('INVALID_ARGUMENT');
  });

  it('returns everything for page size 0 and refuses a negative one', () => {
    // Act
    const all = paginate([1, 2, 3], readListParams(new URLSearchParams()));
    const negative = apiErrorOf(() => readListParams(new URLSearchParams({ pageSize: '-1' })));

    // Assess
    expect(all).toEqual({ items: [1, 2, 3] });
    expect(negative.status).toBe('INVALID_ARGUMENT');
  });

  it('matches state, name and label terms joined by AND', () => {
    // Prepare
    const target = {
      name: 'projects/1/secrets/argocd-sso-client',
      labels: { consumer: 'argocd' },
      state: 'ENABLED' as const,
    };

    // Act
    const results = [
      'state:ENABLED',
      'state:disabled',
      'labels.consumer:argocd AND name:argocd',
      'labels.consumer=ci',
      'labels.consumer:*',
      'labels.team:*',
      'name:"argocd-sso"',
    ].map((filter) => matchesFilter(target, parseFilter(filter, ['state', 'name', 'labels'])));

    // Assess
    expect(results).toEqual([true, false, true, false, true, false, true]);
  });

  it('refuses filter syntax and fields it does not evaluate with UNIMPLEMENTED', () => {
    // Act
    const errors = ['state:ENABLED OR state:DISABLED', 'create_time>2024', 'state:ENABLED'].map(
      (filter, index) => apiErrorOf(() => parseFilter(filter, index === 2 ? ['name', 'labels'] : ['state'])),
    );

    // Assess
    expect(errors.map((error) => error.status)).toEqual(['UNIMPLEMENTED', 'UNIMPLEMENTED', 'UNIMPLEMENTED']);
  });

  it('redacts payload data and checksum from a copy of an addVersion body, leaving others alone', () => {
    // Prepare
    const body = { payload: { data: DATA.toString('base64'), dataCrc32c: String(crc32c(DATA)) } };
    const other = { etag: '"1"' };

    // Act
    const redacted = redactSecretPayloads(body);

    // Assess
    expect(redacted).toEqual({
      payload: { data: `[REDACTED] ${DATA.length} bytes`, dataCrc32c: '[REDACTED]' },
    });
    expect(JSON.stringify(redacted)).not.toContain(DATA.toString('base64'));
    expect(body.payload.data).toBe(DATA.toString('base64'));
    expect(redactSecretPayloads(other)).toBe(other);
    expect(redactSecretPayloads({ payload: SECRET_TEXT })).toEqual({ payload: '[REDACTED]' });
    expect(redactSecretPayloads(undefined)).toBeUndefined();
  });
});
