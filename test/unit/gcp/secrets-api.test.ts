import { inspect } from 'node:util';
import { GcpError, NotFoundError } from '../../../shared/errors';
import { crc32c } from '../../../shared/gcp/crc32c';
import { secretMaterial } from '../../../shared/gcp/secret-material';
import {
  createSecretsApi,
  type SecretsClient,
  SecretVersionStateError,
} from '../../../shared/gcp/secrets-api';

/** A gax 6 GoogleError as the REST fallback raises it: gRPC `code`, Google's message. */
const googleError = (code: number, message: string): Error =>
  Object.assign(new Error(`${code} ${message}`), { code });

/** A client whose methods answer from the given stubs; the rest throw. */
const fakeClient = (methods: Partial<Record<keyof SecretsClient, jest.Mock>>): SecretsClient =>
  methods as unknown as SecretsClient;

describe('crc32c', () => {
  it('matches the Castagnoli check value', () => {
    // Act
    const value = crc32c(Buffer.from('123456789'));

    // Assess
    expect(value).toBe(0xe3069283);
  });
});

describe('secretMaterial', () => {
  it('hides its bytes from every string and property view', () => {
    // Prepare
    const material = secretMaterial(Buffer.from('hunter2-key'));

    // Act
    const views = [
      JSON.stringify(material),
      String(material),
      `${material}`,
      inspect(material, { showHidden: true, depth: 10 }),
      JSON.stringify(Object.getOwnPropertyNames(material).map((key) => (material as never)[key])),
    ];

    // Assess
    for (const view of views) expect(view).not.toContain('hunter2');
    expect(material.reveal().toString()).toBe('hunter2-key');
  });

  it('hands out a copy, so wiping it leaves the material intact', () => {
    // Prepare
    const material = secretMaterial(Buffer.from('abc'));

    // Act
    material.reveal().fill(0);

    // Assess
    expect(material.reveal().toString()).toBe('abc');
  });
});

describe('createSecretsApi', () => {
  it('sends the payload with its CRC32C', async () => {
    // Prepare
    const addSecretVersion = jest
      .fn()
      .mockResolvedValue([{ name: 'projects/1/secrets/s/versions/4', state: 'ENABLED' }]);
    const api = createSecretsApi(() => fakeClient({ addSecretVersion }));

    // Act
    const version = await api.addVersion('projects/p/secrets/s', secretMaterial(Buffer.from('123456789')));

    // Assess
    expect(addSecretVersion).toHaveBeenCalledWith({
      parent: 'projects/p/secrets/s',
      payload: { data: Buffer.from('123456789'), dataCrc32c: 0xe3069283 },
    });
    expect(version).toEqual({
      name: 'projects/1/secrets/s/versions/4',
      version: 4,
      state: 'ENABLED',
      clientChecksum: false,
    });
  });

  it('refuses a payload whose checksum does not match, as retryable', async () => {
    // Prepare
    const accessSecretVersion = jest
      .fn()
      .mockResolvedValue([{ name: 'n', payload: { data: Buffer.from('abc'), dataCrc32c: '1' } }]);
    const api = createSecretsApi(() => fakeClient({ accessSecretVersion }));

    // Act
    const failure = await api
      .accessVersion('projects/p/secrets/s/versions/1')
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(GcpError);
    expect(failure).toMatchObject({ retryable: true, status: 'DATA_LOSS' });
  });

  it('names the resolved version and its state when latest is disabled', async () => {
    // Prepare
    const accessSecretVersion = jest
      .fn()
      .mockRejectedValue(
        googleError(9, 'Secret Version [projects/734/secrets/s/versions/7] is in DISABLED state.'),
      );
    const api = createSecretsApi(() => fakeClient({ accessSecretVersion }));

    // Act
    const failure = await api
      .accessVersion('projects/p/secrets/s/versions/latest')
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(SecretVersionStateError);
    expect(failure).toMatchObject({
      versionName: 'projects/734/secrets/s/versions/7',
      state: 'DISABLED',
      retryable: false,
      message:
        'secret version projects/734/secrets/s/versions/7 is DISABLED: enable it first or use another version',
    });
  });

  it('treats a create that lost the race to another writer as already there', async () => {
    // Prepare
    const getSecret = jest
      .fn()
      .mockRejectedValueOnce(googleError(5, 'Secret [projects/p/secrets/s] not found.'))
      .mockResolvedValueOnce([{ name: 'projects/1/secrets/s', labels: { a: 'b' } }]);
    const createSecret = jest
      .fn()
      .mockRejectedValue(googleError(6, 'Secret [projects/1/secrets/s] already exists.'));
    const api = createSecretsApi(() => fakeClient({ getSecret, createSecret }));

    // Act
    const result = await api.ensureSecret('p', 's', { a: 'b' });

    // Assess
    expect(result).toEqual({
      created: false,
      secret: { name: 'projects/1/secrets/s', secretId: 's', labels: { a: 'b' } },
    });
    expect(createSecret).toHaveBeenCalledTimes(1);
  });

  it('reports a missing secret on listVersions as NotFoundError naming it', async () => {
    // Prepare
    const listSecretVersions = jest.fn().mockRejectedValue(googleError(5, 'not found'));
    const api = createSecretsApi(() => fakeClient({ listSecretVersions }));

    // Act
    const failure = api.listVersions('projects/p/secrets/gone');

    // Assess
    await expect(failure).rejects.toBeInstanceOf(NotFoundError);
    await expect(failure).rejects.toThrow('secret projects/p/secrets/gone does not exist');
  });

  it('sorts versions newest first and reads numeric states', async () => {
    // Prepare
    const listSecretVersions = jest.fn().mockResolvedValue([
      [
        {
          name: 'projects/1/secrets/s/versions/2',
          state: 2,
          createTime: { seconds: '1700000000', nanos: 0 },
        },
        { name: 'projects/1/secrets/s/versions/10', state: 'ENABLED' },
      ],
    ]);
    const api = createSecretsApi(() => fakeClient({ listSecretVersions }));

    // Act
    const versions = await api.listVersions('projects/p/secrets/s');

    // Assess
    expect(versions).toEqual([
      { name: 'projects/1/secrets/s/versions/10', version: 10, state: 'ENABLED', clientChecksum: false },
      {
        name: 'projects/1/secrets/s/versions/2',
        version: 2,
        state: 'DISABLED',
        createTime: '2023-11-14T22:13:20.000Z',
        clientChecksum: false,
      },
    ]);
  });
});
