import { crc32c } from '../../../shared/gcp/crc32c';
import { invalidArgument, SimulatorApiError } from '../api-error';
import { isJsonObject, type JsonObject, readInt32, readMessage } from '../request-fields';
import type { Replication, SecretVersionState } from './secret-manager-model';

/**
 * Reading Secret Manager requests: bodies (proto3 JSON, checked field by field as Google's front
 * end does), list parameters, page tokens and filters, and keeping payloads out of the request
 * log. Error messages never quote payload bytes or their checksum: a client may echo an error
 * into its own logs.
 */

/** Fields of `Secret` (google.cloud.secretmanager.v1). */
const SECRET_FIELDS = [
  'name',
  'replication',
  'createTime',
  'labels',
  'topics',
  'expireTime',
  'ttl',
  'etag',
  'rotation',
  'versionAliases',
  'annotations',
  'versionDestroyTtl',
  'customerManagedEncryption',
  'tags',
  'secretType',
  'policyMember',
] as const;

/** Secret fields whose behaviour (expiry, rotation notices, delayed destroy, CMEK) is not simulated. */
const UNMODELLED_SECRET_FIELDS = [
  'topics',
  'expireTime',
  'ttl',
  'rotation',
  'versionDestroyTtl',
  'customerManagedEncryption',
  'secretType',
] as const;

/** `data` is at most 64 KiB (discovery: SecretPayload.data). */
const MAX_PAYLOAD_BYTES = 64 * 1024;
/** List methods cap `pageSize` at this (discovery); 0 lets the server choose, here: everything. */
const MAX_PAGE_SIZE = 25_000;

const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;
/** Label rules from the discovery document's `Secret.labels`. */
const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
const MAX_LABELS = 64;

/** Standard or URL-safe base64, padded or not: what proto3 JSON accepts for `bytes`. */
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

/** The part of a `CreateSecret` request the simulator stores. */
interface CreateSecretInput {
  secretId: string;
  replication: Replication;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A payload as added, with whether the caller sent a checksum (`clientSpecifiedPayloadChecksum`). */
interface AddVersionInput {
  data: Buffer;
  clientSpecifiedPayloadChecksum: boolean;
}

/** What a list method reads from its query string. */
interface ListParams {
  /** 0 means "server decides". */
  pageSize: number;
  pageToken: string;
  filter: string;
}

/** One page of a list, and the token of the next one when there is more. */
interface Page<Item> {
  items: Item[];
  nextPageToken?: string;
}

/** What a filter can be matched against. */
interface FilterTarget {
  name: string;
  state?: SecretVersionState;
  labels?: Record<string, string>;
}

const unimplemented = (message: string): SimulatorApiError => new SimulatorApiError('UNIMPLEMENTED', message);

/** proto3 has no presence for these: an empty map, list, message or string, 0 and false are "not set". */
const isUnset = (value: unknown): boolean =>
  value === undefined ||
  value === null ||
  value === '' ||
  value === 0 ||
  value === '0' ||
  value === false ||
  (Array.isArray(value) && value.length === 0) ||
  (isJsonObject(value) && Object.keys(value).length === 0);

/** A `map<string, string>`; absent reads as empty. */
const readStringMap = (value: unknown, path: string): Record<string, string> => {
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value) || Object.values(value).some((inner) => typeof inner !== 'string')) {
    throw invalidArgument(`Invalid value at '${path}': expected a map of strings.`);
  }
  return { ...(value as Record<string, string>) };
};

const readLabels = (value: unknown): Record<string, string> => {
  const labels = readStringMap(value, 'secret.labels');
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) throw invalidArgument(`A secret has at most ${MAX_LABELS} labels.`);
  for (const [key, label] of entries) {
    if (!LABEL_KEY.test(key)) throw invalidArgument(`Invalid label key '${key}'.`);
    if (!LABEL_VALUE.test(label)) throw invalidArgument(`Invalid value for label '${key}'.`);
  }
  return labels;
};

/** `Replication`: exactly one of automatic and userManaged, without customer-managed encryption. */
const readReplication = (value: unknown): Replication => {
  if (isUnset(value)) throw invalidArgument('Secret.replication is required.');
  const replication = readMessage(value, ['automatic', 'userManaged'], 'replication');
  if ((replication.automatic === undefined) === (replication.userManaged === undefined)) {
    throw invalidArgument('Secret.replication must set exactly one of automatic and user_managed.');
  }
  if (replication.automatic !== undefined) {
    const automatic = readMessage(
      replication.automatic,
      ['customerManagedEncryption'],
      'replication.automatic',
    );
    if (!isUnset(automatic.customerManagedEncryption)) {
      throw unimplemented('The simulator does not model customer-managed encryption.');
    }
    return { automatic: {} };
  }
  const userManaged = readMessage(replication.userManaged, ['replicas'], 'replication.userManaged');
  if (!Array.isArray(userManaged.replicas) || userManaged.replicas.length === 0) {
    throw invalidArgument('Secret.replication.user_managed.replicas must list at least one location.');
  }
  const replicas = userManaged.replicas.map((replica, index) => {
    const path = `replication.userManaged.replicas[${index}]`;
    const fields = readMessage(replica, ['location', 'customerManagedEncryption'], path);
    if (typeof fields.location !== 'string' || fields.location === '') {
      throw invalidArgument(`Secret.${path}.location is required.`);
    }
    if (!isUnset(fields.customerManagedEncryption)) {
      throw unimplemented('The simulator does not model customer-managed encryption.');
    }
    return { location: fields.location };
  });
  return { userManaged: { replicas } };
};

/**
 * Reads `CreateSecret`: `secretId` from the query, the Secret from the body. Output-only fields
 * (`name`, `createTime`, `policyMember`, `etag`) are ignored as Google ignores them; `tags` are
 * input-only and not served back, so they are accepted and dropped.
 *
 * @throws SimulatorApiError INVALID_ARGUMENT for a missing or malformed id or field;
 *   UNIMPLEMENTED for fields whose behaviour the simulator does not have.
 */
const readCreateSecret = (query: URLSearchParams, body: unknown): CreateSecretInput => {
  const secret = readMessage(body, SECRET_FIELDS);
  const secretId = query.get('secretId') ?? query.get('secret_id') ?? '';
  if (secretId === '') throw invalidArgument('secret_id is required.');
  if (!SECRET_ID.test(secretId)) {
    throw invalidArgument(
      'secret_id must be 1 to 255 characters: letters, numerals, hyphens (-) and underscores (_).',
    );
  }
  for (const field of UNMODELLED_SECRET_FIELDS) {
    if (!isUnset(secret[field])) throw unimplemented(`The simulator does not model Secret.${field}.`);
  }
  readStringMap(secret.tags, 'secret.tags');
  // A new secret has no versions, so any alias would point at nothing.
  if (Object.keys(readStringMap(secret.versionAliases, 'secret.versionAliases')).length > 0) {
    throw invalidArgument('Secret.version_aliases must refer to existing versions; a new secret has none.');
  }
  return {
    secretId,
    replication: readReplication(secret.replication),
    labels: readLabels(secret.labels),
    annotations: readStringMap(secret.annotations, 'secret.annotations'),
  };
};

/** The optional CRC32C, an int64 sent as a decimal string (or a number). */
const readChecksum = (value: unknown): bigint | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return BigInt(value);
  throw invalidArgument(`Invalid value at 'payload.data_crc32c' (TYPE_INT64).`);
};

/**
 * Reads `AddSecretVersion`: the payload's bytes, at most 64 KiB, checked against `dataCrc32c` when
 * the caller sent one. The caller's checksum is `optional` in the proto, so 0 is a checksum, not
 * "unset".
 *
 * @throws SimulatorApiError INVALID_ARGUMENT for a missing, malformed or oversized payload, and for
 *   a checksum that does not match.
 */
const readAddVersion = (body: unknown): AddVersionInput => {
  const request = readMessage(body, ['parent', 'payload']);
  const payload = readMessage(request.payload, ['data', 'dataCrc32c'], 'payload');
  if (payload.data === undefined || payload.data === null || payload.data === '') {
    throw invalidArgument('Secret Payload cannot be empty.');
  }
  // Google's message quotes the bad value; this one must not, as the value is the secret.
  if (typeof payload.data !== 'string' || !BASE64.test(payload.data)) {
    throw invalidArgument(`Invalid value at 'payload.data' (TYPE_BYTES), Base64 decoding failed.`);
  }
  const data = Buffer.from(payload.data, 'base64');
  if (data.length > MAX_PAYLOAD_BYTES) {
    throw invalidArgument(`Secret Payload cannot be larger than ${MAX_PAYLOAD_BYTES} bytes.`);
  }
  const checksum = readChecksum(payload.dataCrc32c);
  if (checksum !== undefined && checksum !== BigInt(crc32c(data))) {
    throw invalidArgument(
      'Checksum mismatch: payload.data_crc32c does not match the CRC32C of payload.data. ' +
        'The data may have been corrupted in transit.',
    );
  }
  return { data, clientSpecifiedPayloadChecksum: checksum !== undefined };
};

/**
 * Reads the body of `:enable`, `:disable` and `:destroy` (`{}` or `{"etag": "…"}`).
 *
 * @returns the etag the caller requires, or undefined for an unconditional change.
 */
const readVersionChange = (body: unknown): string | undefined => {
  const request = readMessage(body, ['name', 'etag']);
  if (isUnset(request.etag)) return undefined;
  if (typeof request.etag !== 'string') throw invalidArgument(`Invalid value at 'etag' (TYPE_STRING).`);
  return request.etag;
};

/** `pageSize`, `pageToken` and `filter` of a list request. */
const readListParams = (query: URLSearchParams): ListParams => {
  const pageSize = readInt32(query.get('pageSize') ?? undefined, 'pageSize') ?? 0;
  if (pageSize < 0) throw invalidArgument('page_size must not be negative.');
  return {
    pageSize: Math.min(pageSize, MAX_PAGE_SIZE),
    pageToken: query.get('pageToken') ?? '',
    filter: (query.get('filter') ?? '').trim(),
  };
};

/**
 * Page tokens are opaque to callers; here they carry the offset and the filter they were issued
 * for, since Google refuses a token used with another filter.
 */
const encodePageToken = (offset: number, filter: string): string =>
  Buffer.from(JSON.stringify({ offset, filter }), 'utf8').toString('base64url');

const decodePageToken = (token: string, filter: string): number => {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      isJsonObject(decoded) &&
      Number.isSafeInteger(decoded.offset) &&
      (decoded.offset as number) > 0 &&
      decoded.filter === filter
    ) {
      return decoded.offset as number;
    }
  } catch {
    // Not JSON: the same answer as any other foreign token, below.
  }
  throw invalidArgument('The page token is invalid, or was issued for a different filter.');
};

/** The page of `items` that `params` asks for. */
const paginate = <Item>(items: readonly Item[], params: ListParams): Page<Item> => {
  const offset = params.pageToken === '' ? 0 : decodePageToken(params.pageToken, params.filter);
  const size = params.pageSize === 0 ? MAX_PAGE_SIZE : params.pageSize;
  const end = offset + size;
  return {
    items: items.slice(offset, end),
    ...(end < items.length ? { nextPageToken: encodePageToken(end, params.filter) } : {}),
  };
};

/** One `key:value` (or `key=value`) term. */
interface FilterTerm {
  key: string;
  value: string;
}

const unquote = (value: string): string => (/^".*"$/.test(value) ? value.slice(1, -1) : value);

/**
 * Parses the subset of the list-filter grammar the simulator evaluates: terms `key:value` or
 * `key=value` joined by spaces or `AND`, on `state` (versions), `name` (substring) and
 * `labels.<key>` (`*` for "has the label") (secrets). Anything else is refused as UNIMPLEMENTED
 * rather than misread, so a filter that works against Google never silently matches everything.
 */
const parseFilter = (filter: string, keys: readonly ('state' | 'name' | 'labels')[]): FilterTerm[] => {
  if (filter === '') return [];
  const tokens = filter.match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
  const terms: FilterTerm[] = [];
  for (const token of tokens) {
    if (token === 'AND') continue;
    const match = /^([A-Za-z_][A-Za-z0-9_.-]*)[:=]("[^"]*"|[^\s"()]+)$/.exec(token);
    const key = match?.[1] ?? '';
    const root = key.split('.')[0] as 'state' | 'name' | 'labels';
    const shapeOk = root === 'labels' ? /^labels\.[^.]+$/.test(key) : !key.includes('.');
    if (!match || !keys.includes(root) || !shapeOk) {
      throw unimplemented(
        `The simulator does not support the filter ${JSON.stringify(filter)}: it evaluates ` +
          `${keys.map((name) => (name === 'labels' ? 'labels.<key>' : name)).join(', ')} terms ` +
          'written key:value, joined by AND.',
      );
    }
    terms.push({ key, value: unquote(match[2] as string) });
  }
  return terms;
};

/** Whether `target` matches every term (terms from {@link parseFilter}). */
const matchesFilter = (target: FilterTarget, terms: readonly FilterTerm[]): boolean =>
  terms.every(({ key, value }) => {
    if (key === 'state') return target.state === value.toUpperCase();
    if (key === 'name') return target.name.includes(value);
    const label = target.labels?.[key.slice('labels.'.length)];
    return value === '*' ? label !== undefined : label === value;
  });

/** Marks a redacted value in the request log. */
const REDACTED = '[REDACTED]';

const redactedPayload = (payload: unknown): unknown => {
  if (!isJsonObject(payload)) return REDACTED;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(payload)) {
    const isData = key === 'data' && typeof value === 'string' && BASE64.test(value);
    out[key] = isData ? `${REDACTED} ${Buffer.from(value, 'base64').length} bytes` : REDACTED;
  }
  return out;
};

/**
 * A copy of a request body fit for the request log: an `addVersion` payload is replaced by a marker
 * that keeps only its size. The checksum goes too: the CRC32C of a short password narrows it down
 * to a handful of guesses. Any other body is returned as it is, so the core may pass every body of
 * the secretmanager listener through it, matched route or not.
 */
const redactSecretPayloads = (body: unknown): unknown => {
  if (!isJsonObject(body) || body.payload === undefined) return body;
  return { ...body, payload: redactedPayload(body.payload) };
};

export type { AddVersionInput, CreateSecretInput, FilterTarget, FilterTerm, ListParams, Page };
export {
  MAX_PAGE_SIZE,
  MAX_PAYLOAD_BYTES,
  matchesFilter,
  paginate,
  parseFilter,
  readAddVersion,
  readCreateSecret,
  readListParams,
  readVersionChange,
  redactSecretPayloads,
};
