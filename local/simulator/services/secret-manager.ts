import { crc32c } from '../../../shared/gcp/crc32c';
import { failedPrecondition, notFound, SimulatorApiError } from '../api-error';
import {
  discoveryRoute,
  type Route,
  type RouteRequest,
  type RouteResponse,
  type ServiceModule,
  type SimulatorContext,
} from '../service';
import {
  copyState,
  etagAt,
  nextEtag,
  parseSecretManagerFixture,
  replicationStatusOf,
  restoreState,
  type SecretManagerState,
  type SecretRecord,
  type SecretResource,
  type SecretVersionResource,
  secretName,
  snapshotState,
  type VersionRecord,
  versionName,
} from './secret-manager-model';
import {
  matchesFilter,
  paginate,
  parseFilter,
  readAddVersion,
  readCreateSecret,
  readListParams,
  readVersionChange,
  redactSecretPayloads,
} from './secret-manager-requests';
import { createPayloadSealer } from './secret-manager-sealing';

/**
 * Secret Manager v1, secretmanager.googleapis.com (api-contracts §5), for key rotation
 * (ops-catalog §3.1, §3.2): secrets get/list/create, addVersion, and versions
 * list/get/access/enable/disable/destroy, on `/v1/projects/{project}/secrets…` with the project
 * named by id or number. The service owns its state (nothing else reads it), seeded from the
 * fixture's `secretManager.secrets[]`.
 *
 * Payloads are key material: they are kept in memory, sealed in snapshots (see
 * `secret-manager-sealing.ts`) and never logged. The request log is the core's: it records each
 * body as parsed, before any route sees it, so only the core can keep `addVersion` payloads out of
 * it, by passing bodies through {@link redactSecretPayloads} (re-exported here for that).
 */

/** What {@link createSecretManagerService} needs. */
interface SecretManagerServiceOptions {
  /** The parsed fixture; `project` and `secretManager` are validated at creation. */
  fixture: unknown;
  /**
   * 32 bytes that seal payloads in `snapshot()`. Pass the same key to restore a snapshot in another
   * process, and keep it out of the snapshot's file; without it a random key is drawn, so
   * snapshots restore only into this service instance.
   */
  payloadKey?: Uint8Array;
}

const DISCOVERY_PREFIX = 'secretmanager.projects';
const SECRETS = '/v1/projects/{project}/secrets';
const SECRET = `${SECRETS}/{secret}`;
const VERSION = `${SECRET}/versions/{version}`;

/** The three state changes of a version, by their custom verb. */
type VersionVerb = 'enable' | 'disable' | 'destroy';

const ok = (body: unknown): RouteResponse => ({ body: structuredClone(body) });

/**
 * `Secret Version [projects/N/secrets/S/versions/V] is in DISABLED state.` (or DESTROYED): Google's
 * wording for access to a version that is not ENABLED (api-contracts §5), reused for the other
 * refusals a DESTROYED version gets.
 */
const notInState = (version: VersionRecord): SimulatorApiError =>
  failedPrecondition(`Secret Version [${version.resource.name}] is in ${version.resource.state} state.`);

/** Secrets newest first, as Google lists them (discovery: ListSecretsResponse). */
const newestFirst = (secrets: readonly SecretRecord[]): SecretRecord[] =>
  secrets
    .map((secret, index) => ({ secret, index }))
    .sort(
      // Parsed, not compared as text: `…:00Z` and `…:00.000Z` are the same instant.
      (a, b) =>
        Date.parse(b.secret.resource.createTime) - Date.parse(a.secret.resource.createTime) ||
        b.index - a.index,
    )
    .map(({ secret }) => secret);

/**
 * Creates the service, validating the fixture.
 *
 * @throws Error naming each invalid fixture path, e.g. `secretManager.secrets[0].x-sim.versions[0].state`.
 */
const createSecretManagerService = (options: SecretManagerServiceOptions): ServiceModule => {
  const seed = parseSecretManagerFixture(options.fixture);
  const { project } = seed;
  const sealer = createPayloadSealer(options.payloadKey);
  let state: SecretManagerState = copyState(seed.state);

  /**
   * An unknown project reads as a permission failure, Google's answer for a project the caller
   * cannot see (it does not say whether the project exists).
   */
  const assertProject = (request: RouteRequest, permission: string): void => {
    const { project: named } = request.params;
    if (named === project.projectId || named === project.projectNumber) return;
    const resource = request.path.replace(/^\/v1\//, '').replace(/:[A-Za-z]+$/, '');
    throw new SimulatorApiError(
      'PERMISSION_DENIED',
      `Permission '${permission}' denied for resource '${resource}' (or it may not exist).`,
    );
  };

  const nameOfSecret = (secretId: string): string => secretName(project.projectNumber, secretId);

  const findSecret = (request: RouteRequest, permission: string, notFoundSuffix = ''): SecretRecord => {
    assertProject(request, permission);
    const id = request.params.secret ?? '';
    const secret = state.secrets.find((candidate) => candidate.id === id);
    if (!secret) throw notFound(`Secret [${nameOfSecret(id)}] not found${notFoundSuffix}.`);
    return secret;
  };

  /**
   * The version a path names. `latest` (the newest version in ANY state, api-contracts §5) and
   * version aliases are honoured only where Google documents them: get and access.
   */
  const findVersion = (
    request: RouteRequest,
    permission: string,
    resolveAliases: boolean,
  ): { secret: SecretRecord; version: VersionRecord } => {
    const id = request.params.version ?? '';
    const isLatest = resolveAliases && id === 'latest';
    const secret = findSecret(request, permission, isLatest ? ' or has no versions' : '');
    const alias = resolveAliases ? secret.resource.versionAliases?.[id] : undefined;
    const number = /^[1-9]\d*$/.test(id) ? Number(id) : alias === undefined ? undefined : Number(alias);
    const version = isLatest
      ? secret.versions.at(-1)
      : secret.versions.find((candidate) => candidate.number === number);
    if (!version) {
      throw notFound(
        isLatest
          ? `Secret [${secret.resource.name}] not found or has no versions.`
          : `Secret Version [${versionName(secret.resource.name, id)}] not found.`,
      );
    }
    return { secret, version };
  };

  const listSecrets = (request: RouteRequest): RouteResponse => {
    assertProject(request, 'secretmanager.secrets.list');
    const params = readListParams(request.query);
    const terms = parseFilter(params.filter, ['name', 'labels']);
    const matching = newestFirst(state.secrets).filter((secret) =>
      matchesFilter({ name: secret.resource.name, labels: secret.resource.labels ?? {} }, terms),
    );
    const page = paginate(matching, params);
    // Discovery: totalSize is "the total number of Secrets but 0 when the filter field is set".
    const totalSize = params.filter === '' ? matching.length : 0;
    return ok({
      ...(page.items.length > 0 ? { secrets: page.items.map((secret) => secret.resource) } : {}),
      ...(page.nextPageToken === undefined ? {} : { nextPageToken: page.nextPageToken }),
      ...(totalSize > 0 ? { totalSize } : {}),
    });
  };

  const getSecret = (request: RouteRequest): RouteResponse =>
    ok(findSecret(request, 'secretmanager.secrets.get').resource);

  const createSecret = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    // The request is checked before the project and the id, as Google's front end does.
    const input = readCreateSecret(request.query, request.body);
    assertProject(request, 'secretmanager.secrets.create');
    const name = nameOfSecret(input.secretId);
    if (state.secrets.some((secret) => secret.id === input.secretId)) {
      throw new SimulatorApiError('ALREADY_EXISTS', `Secret [${name}] already exists.`);
    }
    const now = sim.clock.now();
    const resource: SecretResource = {
      name,
      replication: input.replication,
      createTime: now.toISOString(),
      ...(Object.keys(input.labels).length > 0 ? { labels: input.labels } : {}),
      etag: etagAt(now),
      ...(Object.keys(input.annotations).length > 0 ? { annotations: input.annotations } : {}),
    };
    state.secrets.push({ id: input.secretId, resource, versions: [] });
    return ok(resource);
  };

  const addVersion = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const input = readAddVersion(request.body);
    const secret = findSecret(request, 'secretmanager.versions.add');
    const now = sim.clock.now();
    const number = (secret.versions.at(-1)?.number ?? 0) + 1;
    const resource: SecretVersionResource = {
      name: versionName(secret.resource.name, number),
      createTime: now.toISOString(),
      state: 'ENABLED',
      replicationStatus: replicationStatusOf(secret.resource.replication),
      etag: etagAt(now),
      ...(input.clientSpecifiedPayloadChecksum ? { clientSpecifiedPayloadChecksum: true } : {}),
    };
    secret.versions.push({ number, resource, payload: input.data });
    return ok(resource);
  };

  const listVersions = (request: RouteRequest): RouteResponse => {
    const secret = findSecret(request, 'secretmanager.versions.list');
    const params = readListParams(request.query);
    const terms = parseFilter(params.filter, ['state', 'name']);
    const matching = [...secret.versions]
      .reverse()
      .filter((version) =>
        matchesFilter({ name: version.resource.name, state: version.resource.state }, terms),
      );
    const page = paginate(matching, params);
    // Discovery: totalSize is "the total number of SecretVersions but 0 when the filter field is set".
    const totalSize = params.filter === '' ? matching.length : 0;
    return ok({
      ...(page.items.length > 0 ? { versions: page.items.map((version) => version.resource) } : {}),
      ...(page.nextPageToken === undefined ? {} : { nextPageToken: page.nextPageToken }),
      ...(totalSize > 0 ? { totalSize } : {}),
    });
  };

  const getVersion = (request: RouteRequest): RouteResponse =>
    ok(findVersion(request, 'secretmanager.versions.get', true).version.resource);

  const accessVersion = (request: RouteRequest): RouteResponse => {
    const { version } = findVersion(request, 'secretmanager.versions.access', true);
    // `latest` on a DISABLED newest version fails here even if an older one is ENABLED (§5).
    if (version.resource.state !== 'ENABLED' || version.payload === undefined) throw notInState(version);
    return ok({
      name: version.resource.name,
      payload: {
        data: version.payload.toString('base64'),
        dataCrc32c: String(crc32c(version.payload)),
      },
    });
  };

  /** enable, disable, destroy: optional etag precondition, then the transition. */
  const changeVersion =
    (verb: VersionVerb) =>
    (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
      const etag = readVersionChange(request.body);
      const { version } = findVersion(request, `secretmanager.versions.${verb}`, false);
      if (etag !== undefined && etag !== version.resource.etag) {
        throw new SimulatorApiError(
          'ABORTED',
          `The etag provided in the request does not match the current etag of [${version.resource.name}].`,
        );
      }
      // DESTROYED is terminal: no way out of it, and destroying again is refused too.
      if (version.resource.state === 'DESTROYED') throw notInState(version);
      const target = verb === 'enable' ? 'ENABLED' : verb === 'disable' ? 'DISABLED' : 'DESTROYED';
      if (version.resource.state !== target) {
        const now = sim.clock.now();
        version.resource = {
          ...version.resource,
          ...(target === 'DESTROYED' ? { destroyTime: now.toISOString() } : {}),
          state: target,
          etag: nextEtag(version.resource.etag, now),
        };
        if (target === 'DESTROYED') delete version.payload;
      }
      return ok(version.resource);
    };

  const routes: Route[] = [
    discoveryRoute('GET', SECRETS, `${DISCOVERY_PREFIX}.secrets.list`, listSecrets),
    discoveryRoute('POST', SECRETS, `${DISCOVERY_PREFIX}.secrets.create`, createSecret),
    discoveryRoute('GET', SECRET, `${DISCOVERY_PREFIX}.secrets.get`, getSecret),
    // Payloads are key material: the request log records this method's body with them redacted.
    {
      ...discoveryRoute('POST', `${SECRET}:addVersion`, `${DISCOVERY_PREFIX}.secrets.addVersion`, addVersion),
      redactLogBody: redactSecretPayloads,
    },
    discoveryRoute('GET', `${SECRET}/versions`, `${DISCOVERY_PREFIX}.secrets.versions.list`, listVersions),
    discoveryRoute('GET', VERSION, `${DISCOVERY_PREFIX}.secrets.versions.get`, getVersion),
    discoveryRoute('GET', `${VERSION}:access`, `${DISCOVERY_PREFIX}.secrets.versions.access`, accessVersion),
    discoveryRoute(
      'POST',
      `${VERSION}:enable`,
      `${DISCOVERY_PREFIX}.secrets.versions.enable`,
      changeVersion('enable'),
    ),
    discoveryRoute(
      'POST',
      `${VERSION}:disable`,
      `${DISCOVERY_PREFIX}.secrets.versions.disable`,
      changeVersion('disable'),
    ),
    discoveryRoute(
      'POST',
      `${VERSION}:destroy`,
      `${DISCOVERY_PREFIX}.secrets.versions.destroy`,
      changeVersion('destroy'),
    ),
  ];

  return {
    name: 'secretmanager',
    routes,
    reset() {
      state = copyState(seed.state);
    },
    snapshot: () => snapshotState(state, sealer),
    restore(snapshot) {
      state = restoreState(project, snapshot, sealer);
    },
  };
};

export type { SecretManagerServiceOptions };
export { createSecretManagerService, redactSecretPayloads };
