import { z } from 'zod';
import type { PayloadSealer } from './secret-manager-sealing';

/**
 * The Secret Manager simulator's state: what is seeded from the fixture (`project`, and
 * `secretManager.secrets[]` with their versions in `x-sim.versions`), and the snapshot form it is
 * persisted in. Resource names always carry the project NUMBER, as Google returns them
 * (api-contracts §5), whichever form the fixture or a request used.
 */

/** SecretVersion.State names, indexed by their proto number. */
const VERSION_STATES = ['STATE_UNSPECIFIED', 'ENABLED', 'DISABLED', 'DESTROYED'] as const;
/** The states a stored version can be in; STATE_UNSPECIFIED is never one. */
type SecretVersionState = Exclude<(typeof VERSION_STATES)[number], 'STATE_UNSPECIFIED'>;

/** `Replication`: exactly one of `automatic` and `userManaged`. Loose, so seeded extras survive. */
interface Replication {
  automatic?: Record<string, unknown>;
  userManaged?: { replicas: Array<{ location: string } & Record<string, unknown>> };
  [field: string]: unknown;
}

/**
 * A Secret as served. Fields the simulator does not model are served back exactly as seeded, as
 * `fixture.ts` does for the other services.
 */
interface SecretResource {
  /** `projects/{number}/secrets/{id}`. */
  name: string;
  replication: Replication;
  createTime: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Alias → version number (an int64, hence a string on the wire). */
  versionAliases?: Record<string, string>;
  etag: string;
  [field: string]: unknown;
}

/** A SecretVersion as served. */
interface SecretVersionResource {
  /** `projects/{number}/secrets/{id}/versions/{n}`, n from 1. */
  name: string;
  createTime: string;
  /** Only when DESTROYED. */
  destroyTime?: string;
  state: SecretVersionState;
  replicationStatus: Record<string, unknown>;
  etag: string;
  /** Sent only when true, as proto3 JSON leaves a false bool out. */
  clientSpecifiedPayloadChecksum?: boolean;
  [field: string]: unknown;
}

/** One version and its secret bytes. */
interface VersionRecord {
  number: number;
  resource: SecretVersionResource;
  /** The secret bytes; absent once DESTROYED. Never logged; sealed in snapshots. */
  payload?: Buffer;
}

/** One secret and its versions, oldest first. */
interface SecretRecord {
  /** The secret id, the last segment of the name. */
  id: string;
  resource: SecretResource;
  versions: VersionRecord[];
}

/** The project the simulated secrets live in. Paths may name it by id or by number. */
interface SecretManagerProject {
  projectId: string;
  projectNumber: string;
}

/** The mutable part: secrets in creation order. */
interface SecretManagerState {
  secrets: SecretRecord[];
}

/** What the fixture gives the service: its project and the initial state. Treat as read-only. */
interface SecretManagerSeed {
  project: SecretManagerProject;
  state: SecretManagerState;
}

/** One version in a snapshot: its resource, and its payload sealed unless DESTROYED. */
interface SnapshotVersion {
  resource: SecretVersionResource;
  /** AES-256-GCM, see `secret-manager-sealing.ts`; never the payload itself. */
  sealedPayload?: string;
}

/**
 * The JSON form of the state (`snapshot()`), safe to write to disk: payloads are sealed, never
 * plain or base64.
 */
interface SecretManagerSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  payloadProtection: 'aes-256-gcm';
  secrets: Array<{ resource: SecretResource; versions: SnapshotVersion[] }>;
}

/** Identifies the snapshot layout; a snapshot with another one is refused rather than half-read. */
const SNAPSHOT_FORMAT = 'opsplane.simulator.secretmanager/v1';

const SECRET_NAME = /^projects\/([^/]+)\/secrets\/([A-Za-z0-9_-]{1,255})$/;
const VERSION_NAME = /^projects\/([^/]+)\/secrets\/([A-Za-z0-9_-]{1,255})\/versions\/([1-9]\d*)$/;

/** `projects/{number}/secrets/{id}`, the name Google serves. */
const secretName = (projectNumber: string, secretId: string): string =>
  `projects/${projectNumber}/secrets/${secretId}`;

/** `{secret name}/versions/{n}`; `version` may also be an unresolved id such as `latest`, for messages. */
const versionName = (secret: string, version: number | string): string => `${secret}/versions/${version}`;

/**
 * The payload a seeded version is given. The fixture records version metadata only (no payloads:
 * it is committed, and real key material has no place in it), yet `access` must answer for every
 * ENABLED version; a deterministic placeholder lets tests predict the bytes and their CRC32C.
 */
const placeholderPayload = (name: string): Buffer => Buffer.from(`simulated payload of ${name}`, 'utf8');

/**
 * An etag in Google's style, a quoted hex number. The value is the time in microseconds: seeded
 * resources get one from their create time, so the same fixture always gives the same etags.
 */
const etagAt = (time: Date): string => `"${(BigInt(time.getTime()) * 1000n).toString(16)}"`;

/**
 * The etag after a change at `now`: `now`'s, or one more than the previous when the clock has not
 * moved (a ManualClock), so that an etag taken before the change never matches afterwards.
 */
const nextEtag = (previous: string, now: Date): string => {
  const current = BigInt(now.getTime()) * 1000n;
  const hex = /^"?([0-9a-f]{1,32})"?$/.exec(previous)?.[1];
  const before = hex === undefined ? -1n : BigInt(`0x${hex}`);
  return `"${(current > before ? current : before + 1n).toString(16)}"`;
};

/** `replicationStatus` of a version, mirroring the secret's replication policy. */
const replicationStatusOf = (replication: Replication): Record<string, unknown> =>
  replication.userManaged
    ? {
        userManaged: {
          replicas: replication.userManaged.replicas.map((replica) => ({ location: replica.location })),
        },
      }
    : { automatic: {} };

const datetime = z.iso.datetime({ offset: true });

const replicationSchema = z
  .looseObject({
    automatic: z.looseObject({}).optional(),
    userManaged: z
      .looseObject({ replicas: z.array(z.looseObject({ location: z.string().min(1) })).min(1) })
      .optional(),
  })
  .refine(
    (replication) => (replication.automatic === undefined) !== (replication.userManaged === undefined),
    {
      message: 'exactly one of automatic and userManaged is required',
    },
  );

const stringMap = z.record(z.string(), z.string());

const secretResourceSchema = z.looseObject({
  name: z.string().regex(SECRET_NAME, 'expected projects/{project}/secrets/{secret}'),
  replication: replicationSchema,
  createTime: datetime,
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  versionAliases: z.record(z.string(), z.string().regex(/^[1-9]\d*$/)).optional(),
  etag: z.string().min(1).optional(),
});

const versionResourceSchema = z.looseObject({
  name: z.string().regex(VERSION_NAME, 'expected projects/{project}/secrets/{secret}/versions/{n}, n >= 1'),
  createTime: datetime,
  destroyTime: datetime.optional(),
  state: z.enum(['ENABLED', 'DISABLED', 'DESTROYED']),
  etag: z.string().min(1).optional(),
});

/** Only what the service reads; the rest of the fixture belongs to other services. */
const fixtureSchema = z.looseObject({
  project: z.looseObject({ projectId: z.string().min(1), projectNumber: z.string().regex(/^\d+$/) }),
  secretManager: z
    .looseObject({
      secrets: z.array(
        secretResourceSchema.extend({
          'x-sim': z.looseObject({ versions: z.array(versionResourceSchema).default([]) }).optional(),
        }),
      ),
    })
    .optional(),
});

/** Strict around the resources: a stray `payload` beside `sealedPayload` is refused, not dropped. */
const snapshotSchema = z.strictObject({
  format: z.literal(SNAPSHOT_FORMAT),
  payloadProtection: z.literal('aes-256-gcm'),
  secrets: z.array(
    z.strictObject({
      resource: secretResourceSchema.extend({ etag: z.string().min(1) }),
      versions: z.array(
        z.strictObject({
          resource: versionResourceSchema.extend({
            etag: z.string().min(1),
            replicationStatus: z.looseObject({}),
          }),
          sealedPayload: z.string().min(1).optional(),
        }),
      ),
    }),
  ),
});

type PathIssue = { path: PropertyKey[]; message: string };

/**
 * The checks a schema cannot express: names in the project, ids and version numbers unique,
 * versions named under their own secret, destroyTime exactly on DESTROYED versions, aliases to
 * existing versions. Returns issues with their paths, relative to the secrets array.
 */
const consistencyIssues = (
  project: SecretManagerProject,
  secrets: ReadonlyArray<{
    name: string;
    versionAliases?: Record<string, string> | undefined;
    versions: ReadonlyArray<{ name: string; state: string; destroyTime?: string | undefined }>;
    versionsPath: PropertyKey[];
  }>,
): PathIssue[] => {
  const issues: PathIssue[] = [];
  const inProject = (segment: string | undefined) =>
    segment === project.projectId || segment === project.projectNumber;
  const seenIds = new Set<string>();
  secrets.forEach((secret, index) => {
    const [, projectSegment, id] = SECRET_NAME.exec(secret.name) ?? [];
    if (!inProject(projectSegment)) {
      issues.push({ path: [index, 'name'], message: `secret is not in project ${project.projectNumber}` });
    }
    if (id !== undefined && seenIds.has(id)) {
      issues.push({ path: [index, 'name'], message: `secret ${id} appears twice` });
    }
    if (id !== undefined) seenIds.add(id);
    const numbers = new Set<string>();
    secret.versions.forEach((version, versionIndex) => {
      const at = [index, ...secret.versionsPath, versionIndex];
      const [, versionProject, versionSecret, number] = VERSION_NAME.exec(version.name) ?? [];
      if (!inProject(versionProject) || versionSecret !== id) {
        issues.push({ path: [...at, 'name'], message: `version is not a version of ${secret.name}` });
      }
      if (number !== undefined && numbers.has(number)) {
        issues.push({ path: [...at, 'name'], message: `version ${number} appears twice` });
      }
      if (number !== undefined) numbers.add(number);
      if ((version.state === 'DESTROYED') !== (version.destroyTime !== undefined)) {
        issues.push({
          path: [...at, 'destroyTime'],
          message: 'destroyTime is required on, and only on, DESTROYED',
        });
      }
    });
    for (const [alias, number] of Object.entries(secret.versionAliases ?? {})) {
      if (!numbers.has(number)) {
        issues.push({ path: [index, 'versionAliases', alias], message: `no version ${number}` });
      }
    }
  });
  return issues;
};

/** Formats issues as zod's prettifyError does, so both kinds read the same. */
const formatIssues = (title: string, prefix: PropertyKey[], issues: PathIssue[]): string =>
  `${title}:\n${issues
    .map((issue) => `✖ ${issue.message}\n  → at ${z.core.toDotPath([...prefix, ...issue.path])}`)
    .join('\n')}`;

const numberOfVersion = (name: string): number => Number(VERSION_NAME.exec(name)?.[3]);

/** A version resource in the served key order, its name under the project number. */
const versionResource = (
  secret: string,
  version: z.infer<typeof versionResourceSchema>,
  replication: Replication,
): SecretVersionResource => {
  const { name, createTime, destroyTime, state, etag, ...rest } = version;
  return {
    ...rest,
    name: versionName(secret, numberOfVersion(name)),
    createTime,
    ...(destroyTime === undefined ? {} : { destroyTime }),
    state,
    replicationStatus: replicationStatusOf(replication),
    etag: etag ?? etagAt(new Date(createTime)),
  };
};

/** A secret resource in the served key order, its name under the project number. */
const secretResource = (
  project: SecretManagerProject,
  secret: z.infer<typeof secretResourceSchema>,
): SecretResource => {
  const { name, replication, createTime, labels, etag, ...rest } = secret;
  return {
    name: secretName(project.projectNumber, SECRET_NAME.exec(name)?.[2] ?? ''),
    replication,
    createTime,
    ...(labels === undefined ? {} : { labels }),
    etag: etag ?? etagAt(new Date(createTime)),
    ...rest,
  };
};

const byNumber = (a: VersionRecord, b: VersionRecord): number => a.number - b.number;

/**
 * Validates the parts of a parsed fixture the service uses and builds its seed. Every seeded
 * version that is not DESTROYED gets its {@link placeholderPayload}.
 *
 * @throws Error listing every offending path, e.g. `secretManager.secrets[1].x-sim.versions[0].state`.
 */
const parseSecretManagerFixture = (fixture: unknown): SecretManagerSeed => {
  const parsed = fixtureSchema.safeParse(fixture);
  if (!parsed.success) throw new Error(`Invalid Secret Manager fixture:\n${z.prettifyError(parsed.error)}`);
  const { projectId, projectNumber } = parsed.data.project;
  const project = { projectId, projectNumber };
  const fixtureSecrets = parsed.data.secretManager?.secrets ?? [];
  const issues = consistencyIssues(
    project,
    fixtureSecrets.map((secret) => ({
      name: secret.name,
      versionAliases: secret.versionAliases,
      versions: secret['x-sim']?.versions ?? [],
      versionsPath: ['x-sim', 'versions'],
    })),
  );
  if (issues.length > 0) {
    throw new Error(formatIssues('Invalid Secret Manager fixture', ['secretManager', 'secrets'], issues));
  }
  const secrets = fixtureSecrets.map(({ 'x-sim': sim, ...secret }): SecretRecord => {
    const resource = secretResource(project, secret);
    const versions = (sim?.versions ?? []).map((version): VersionRecord => {
      const served = versionResource(resource.name, version, resource.replication);
      return {
        number: numberOfVersion(version.name),
        resource: served,
        ...(served.state === 'DESTROYED' ? {} : { payload: placeholderPayload(served.name) }),
      };
    });
    return { id: SECRET_NAME.exec(resource.name)?.[2] ?? '', resource, versions: versions.sort(byNumber) };
  });
  return { project, state: { secrets } };
};

/** A deep copy, Buffers included (structuredClone would turn them into plain Uint8Arrays). */
const copyState = (state: SecretManagerState): SecretManagerState => ({
  secrets: state.secrets.map((secret) => ({
    id: secret.id,
    resource: structuredClone(secret.resource),
    versions: secret.versions.map((version) => ({
      number: version.number,
      resource: structuredClone(version.resource),
      ...(version.payload === undefined ? {} : { payload: Buffer.from(version.payload) }),
    })),
  })),
});

/** The state as a JSON-serialisable snapshot with every payload sealed. */
const snapshotState = (state: SecretManagerState, sealer: PayloadSealer): SecretManagerSnapshot => ({
  format: SNAPSHOT_FORMAT,
  payloadProtection: 'aes-256-gcm',
  secrets: state.secrets.map((secret) => ({
    resource: structuredClone(secret.resource),
    versions: secret.versions.map((version) => ({
      resource: structuredClone(version.resource),
      ...(version.payload === undefined
        ? {}
        : { sealedPayload: sealer.seal(version.resource.name, version.payload) }),
    })),
  })),
});

/**
 * The state a snapshot describes, payloads unsealed. Builds a new state and never touches the
 * current one, so a bad snapshot leaves the service as it was.
 *
 * @throws Error naming the offending path if the snapshot is malformed, belongs to another
 *   project, or was sealed under another key.
 */
const restoreState = (
  project: SecretManagerProject,
  snapshot: unknown,
  sealer: PayloadSealer,
): SecretManagerState => {
  const parsed = snapshotSchema.safeParse(snapshot);
  if (!parsed.success) throw new Error(`Invalid Secret Manager snapshot:\n${z.prettifyError(parsed.error)}`);
  const snapshotSecrets = parsed.data.secrets;
  const issues = consistencyIssues(
    { projectId: project.projectNumber, projectNumber: project.projectNumber },
    snapshotSecrets.map((secret) => ({
      name: secret.resource.name,
      versionAliases: secret.resource.versionAliases,
      versions: secret.versions.map((version) => version.resource),
      versionsPath: ['versions'],
    })),
  );
  snapshotSecrets.forEach((secret, index) => {
    secret.versions.forEach((version, versionIndex) => {
      if ((version.resource.state === 'DESTROYED') === (version.sealedPayload !== undefined)) {
        issues.push({
          path: [index, 'versions', versionIndex, 'sealedPayload'],
          message: 'a sealed payload is required on, and only on, versions that are not DESTROYED',
        });
      }
    });
  });
  if (issues.length > 0)
    throw new Error(formatIssues('Invalid Secret Manager snapshot', ['secrets'], issues));
  return {
    secrets: snapshotSecrets.map((secret) => ({
      id: SECRET_NAME.exec(secret.resource.name)?.[2] ?? '',
      resource: secret.resource as SecretResource,
      versions: secret.versions
        .map((version) => ({
          number: numberOfVersion(version.resource.name),
          resource: version.resource as SecretVersionResource,
          ...(version.sealedPayload === undefined
            ? {}
            : { payload: sealer.unseal(version.resource.name, version.sealedPayload) }),
        }))
        .sort(byNumber),
    })),
  };
};

export type {
  Replication,
  SecretManagerProject,
  SecretManagerSeed,
  SecretManagerSnapshot,
  SecretManagerState,
  SecretRecord,
  SecretResource,
  SecretVersionResource,
  SecretVersionState,
  SnapshotVersion,
  VersionRecord,
};
export {
  copyState,
  etagAt,
  nextEtag,
  parseSecretManagerFixture,
  placeholderPayload,
  replicationStatusOf,
  restoreState,
  SNAPSHOT_FORMAT,
  secretName,
  snapshotState,
  VERSION_STATES,
  versionName,
};
