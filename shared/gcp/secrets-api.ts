import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { ControlPlaneError, fromGcpError, GcpError, NotFoundError, readGcpError } from '../errors';
import { crc32c } from './crc32c';
import { type SecretMaterial, secretMaterial } from './secret-material';

/**
 * The Secret Manager calls the credential operations need (ops catalog §3), in the control plane's
 * own terms. Nothing above this module sees a client library type, a protobuf enum or a gax error,
 * and key material only ever crosses it wrapped in a {@link SecretMaterial}, whose bytes come out
 * through `reveal()` alone: logging, serialising or interpolating the wrapper shows `[redacted]`.
 */

type SecretVersionState = 'ENABLED' | 'DISABLED' | 'DESTROYED' | 'STATE_UNSPECIFIED';

interface SecretView {
  /** `projects/{project}/secrets/{secretId}` (the server answers with the project number). */
  name: string;
  secretId: string;
  labels: Record<string, string>;
  /** RFC 3339; absent when the server sent none. */
  createTime?: string;
}

interface SecretVersionView {
  /** `projects/{project}/secrets/{secretId}/versions/{version}`. */
  name: string;
  /** The version number; versions count up from 1. */
  version: number;
  state: SecretVersionState;
  /** RFC 3339; absent when the server sent none. */
  createTime?: string;
  /** Whether the version was added with a client CRC32C the server checked. */
  clientChecksum: boolean;
}

interface EnsureSecretResult {
  /** False when the secret was already there; its labels are then left as they are. */
  created: boolean;
  secret: SecretView;
}

interface SecretsApi {
  /** @throws NotFoundError when the secret does not exist. */
  getSecret(secretName: string): Promise<SecretView>;
  /** Creates the secret (automatic replication) unless it exists; safe to repeat. */
  ensureSecret(
    project: string,
    secretId: string,
    labels: Record<string, string>,
  ): Promise<EnsureSecretResult>;
  /** Adds a version holding `material`, sent with its CRC32C so corruption on the way is refused. */
  addVersion(secretName: string, material: SecretMaterial): Promise<SecretVersionView>;
  /** Every version in every state, newest first. */
  listVersions(secretName: string): Promise<SecretVersionView[]>;
  disableVersion(versionName: string): Promise<SecretVersionView>;
  enableVersion(versionName: string): Promise<SecretVersionView>;
  /** Irreversible: the payload is gone (ops catalog §3.1 makes this an A3 step). */
  destroyVersion(versionName: string): Promise<SecretVersionView>;
  /**
   * The version's payload (`versionName` may end in `latest`), checked against the CRC32C the
   * server sends.
   *
   * @throws SecretVersionStateError when the version is DISABLED or DESTROYED.
   */
  accessVersion(versionName: string): Promise<SecretMaterial>;
}

/** The client methods the adapter uses; the official client satisfies it. */
type SecretsClient = Pick<
  SecretManagerServiceClient,
  | 'getSecret'
  | 'createSecret'
  | 'addSecretVersion'
  | 'listSecretVersions'
  | 'disableSecretVersion'
  | 'enableSecretVersion'
  | 'destroySecretVersion'
  | 'accessSecretVersion'
>;

/**
 * A version could not be used because of its state (Secret Manager's 400 FAILED_PRECONDITION
 * "Secret Version [...] is in DISABLED state."). Not retryable: the state will not change by
 * itself; an operator enables the version or the caller picks another one.
 */
class SecretVersionStateError extends ControlPlaneError {
  readonly versionName: string;
  readonly state: string;

  constructor(versionName: string, state: string, options?: ErrorOptions) {
    const remedy =
      state === 'DESTROYED' ? 'its payload is gone for good' : 'enable it first or use another version';
    super('GCP_REJECTED', `secret version ${versionName} is ${state}: ${remedy}`, false, {
      ...options,
      details: { versionName, state, status: 'FAILED_PRECONDITION' },
    });
    this.name = 'SecretVersionStateError';
    this.versionName = versionName;
    this.state = state;
  }
}

/** `projects/{project}/secrets/{secretId}`. */
const secretName = (project: string, secretId: string): string => `projects/${project}/secrets/${secretId}`;

type Loose = Record<string, unknown> | null | undefined;
const str = (value: unknown): string => (value === null || value === undefined ? '' : String(value));

/** The proto enum as a string: unary answers carry names, but paged ones may carry numbers. */
const VERSION_STATES: readonly SecretVersionState[] = [
  'STATE_UNSPECIFIED',
  'ENABLED',
  'DISABLED',
  'DESTROYED',
];
const toState = (value: unknown): SecretVersionState => {
  if (typeof value === 'number') return VERSION_STATES[value] ?? 'STATE_UNSPECIFIED';
  return VERSION_STATES.find((state) => state === value) ?? 'STATE_UNSPECIFIED';
};

/** A protobuf Timestamp (`{seconds, nanos}`, seconds possibly a string or Long) as RFC 3339. */
const toIsoTime = (value: unknown): string | undefined => {
  const stamp = value as Loose;
  if (!stamp || stamp.seconds === undefined || stamp.seconds === null) return undefined;
  const millis = Number(str(stamp.seconds)) * 1000 + Math.floor(Number(stamp.nanos ?? 0) / 1e6);
  return Number.isFinite(millis) ? new Date(millis).toISOString() : undefined;
};

const toSecretView = (raw: Loose): SecretView => {
  const name = str(raw?.name);
  const createTime = toIsoTime(raw?.createTime);
  return {
    name,
    secretId: name.split('/').at(-1) ?? '',
    labels: { ...((raw?.labels as Record<string, string> | undefined) ?? {}) },
    ...(createTime ? { createTime } : {}),
  };
};

const toVersionView = (raw: Loose): SecretVersionView => {
  const name = str(raw?.name);
  const createTime = toIsoTime(raw?.createTime);
  return {
    name,
    version: Number(name.split('/').at(-1)),
    state: toState(raw?.state),
    ...(createTime ? { createTime } : {}),
    clientChecksum: Boolean(raw?.clientSpecifiedPayloadChecksum),
  };
};

/** Secret Manager's wording for a version in the wrong state (api-contracts §5). */
const STATE_MESSAGE = /Secret Version \[([^\]]+)\] is in ([A-Z_]+) state/;

/**
 * Translates a failed version call. A FAILED_PRECONDITION about the version's state becomes a
 * {@link SecretVersionStateError} naming the version the server resolved (`latest` → its number);
 * everything else goes through the shared mapping.
 */
const versionError = (error: unknown, versionName: string, context: string): ControlPlaneError => {
  const read = readGcpError(error);
  const match = read.status === 'FAILED_PRECONDITION' ? STATE_MESSAGE.exec(read.message) : null;
  if (match)
    return new SecretVersionStateError(match[1] ?? versionName, match[2] ?? 'unknown', { cause: error });
  const translated = fromGcpError(error, `${context} ${versionName}`);
  if (translated instanceof NotFoundError) {
    return new NotFoundError(`secret version ${versionName} does not exist`, { cause: error });
  }
  return translated;
};

/** SecretsApi over `@google-cloud/secret-manager` (gax 6, REST); `client` is called on each use. */
const createSecretsApi = (client: () => SecretsClient): SecretsApi => {
  const getSecret = async (name: string): Promise<SecretView> => {
    try {
      const [secret] = (await client().getSecret({ name })) as unknown as [Loose];
      return toSecretView(secret);
    } catch (error) {
      const translated = fromGcpError(error, `read secret ${name}`);
      if (translated instanceof NotFoundError) {
        throw new NotFoundError(`secret ${name} does not exist`, { cause: error });
      }
      throw translated;
    }
  };

  const changeVersion = async (
    method: 'disableSecretVersion' | 'enableSecretVersion' | 'destroySecretVersion',
    verb: string,
    name: string,
  ): Promise<SecretVersionView> => {
    try {
      const [version] = (await client()[method]({ name })) as unknown as [Loose];
      return toVersionView(version);
    } catch (error) {
      throw versionError(error, name, verb);
    }
  };

  return {
    getSecret,

    async ensureSecret(project, secretId, labels) {
      const name = secretName(project, secretId);
      try {
        return { created: false, secret: await getSecret(name) };
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
      try {
        const [secret] = (await client().createSecret({
          parent: `projects/${project}`,
          secretId,
          secret: { replication: { automatic: {} }, labels },
        })) as unknown as [Loose];
        return { created: true, secret: toSecretView(secret) };
      } catch (error) {
        // Another writer created it between the read and the create: it exists, which is the goal.
        if (readGcpError(error).status === 'ALREADY_EXISTS') {
          return { created: false, secret: await getSecret(name) };
        }
        throw fromGcpError(error, `create secret ${name}`);
      }
    },

    async addVersion(name, material) {
      const data = material.reveal();
      try {
        // The client does not compute the checksum itself (gax 6 sends whatever the request holds).
        const [version] = (await client().addSecretVersion({
          parent: name,
          payload: { data, dataCrc32c: crc32c(data) },
        })) as unknown as [Loose];
        return toVersionView(version);
      } catch (error) {
        // The server's message never echoes the payload, so the shared mapping is safe here.
        const translated = fromGcpError(error, `add a version to secret ${name}`);
        if (translated instanceof NotFoundError) {
          throw new NotFoundError(`secret ${name} does not exist`, { cause: error });
        }
        throw translated;
      }
      // `data` is not wiped: reveal() may hand out the caller's own buffer, needed for a retry.
    },

    async listVersions(name) {
      try {
        const [versions] = (await client().listSecretVersions({ parent: name })) as unknown as [Loose[]];
        // Google lists newest first; sorting keeps that promise whatever the page order.
        return (versions ?? []).map(toVersionView).sort((left, right) => right.version - left.version);
      } catch (error) {
        const translated = fromGcpError(error, `list versions of secret ${name}`);
        if (translated instanceof NotFoundError) {
          throw new NotFoundError(`secret ${name} does not exist`, { cause: error });
        }
        throw translated;
      }
    },

    disableVersion: (name) => changeVersion('disableSecretVersion', 'disable', name),
    enableVersion: (name) => changeVersion('enableSecretVersion', 'enable', name),
    destroyVersion: (name) => changeVersion('destroySecretVersion', 'destroy', name),

    async accessVersion(name) {
      let response: Loose;
      try {
        [response] = (await client().accessSecretVersion({ name })) as unknown as [Loose];
      } catch (error) {
        throw versionError(error, name, 'access');
      }
      const payload = response?.payload as Loose;
      const raw = payload?.data;
      const data =
        typeof raw === 'string' ? Buffer.from(raw, 'base64') : Buffer.from((raw as Uint8Array) ?? []);
      const sent = payload?.dataCrc32c;
      if (sent !== undefined && sent !== null && str(sent) !== '' && Number(str(sent)) !== crc32c(data)) {
        data.fill(0);
        // Corruption on the way; a fresh read is worth trying, so this is retryable.
        throw new GcpError('GCP_UNAVAILABLE', `access ${name}: the payload does not match its CRC32C`, {
          status: 'DATA_LOSS',
        });
      }
      const material = secretMaterial(data);
      data.fill(0);
      return material;
    },
  };
};

export type {
  EnsureSecretResult,
  SecretsApi,
  SecretsClient,
  SecretVersionState,
  SecretVersionView,
  SecretView,
};
export { createSecretsApi, SecretVersionStateError, secretName };
