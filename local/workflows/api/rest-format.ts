import { invalidArgument } from '../../simulator/api-error';

/**
 * Wire formats shared by the local Workflows and Executions APIs, as Google's JSON front end
 * writes them: RFC 3339 timestamps, `google.protobuf.Duration` text (`"3.500s"`), opaque page
 * tokens, and enums that gax clients may send by name or by number.
 */

/** RFC 3339 UTC with milliseconds, e.g. `2025-06-02T08:00:00.123Z` (clock times are epoch ms). */
const formatTimestamp = (epochMs: number): string => new Date(Math.floor(epochMs)).toISOString();

/**
 * A duration in proto3 JSON: seconds with 0, 3, 6 or 9 fractional digits and an `s` suffix —
 * `"3s"`, `"3.500s"`, `"0.000001s"`.
 */
const formatDuration = (ms: number): string => {
  const nanos = BigInt(Math.max(0, Math.round(ms * 1_000_000)));
  const seconds = nanos / 1_000_000_000n;
  const fraction = nanos % 1_000_000_000n;
  if (fraction === 0n) return `${seconds}s`;
  const digits = fraction.toString().padStart(9, '0');
  const trimmed = digits.endsWith('000000')
    ? digits.slice(0, 3)
    : digits.endsWith('000')
      ? digits.slice(0, 6)
      : digits;
  return `${seconds}.${trimmed}s`;
};

/** A page token: the offset of the next item, base64url so callers treat it as opaque. */
const encodePageToken = (offset: number): string => Buffer.from(`offset:${offset}`).toString('base64url');

/**
 * @throws SimulatorApiError INVALID_ARGUMENT for a token this server did not hand out.
 */
const decodePageToken = (token: string | null): number => {
  if (!token) return 0;
  const found = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!found) throw invalidArgument(`The page token ${token} is not valid.`);
  return Number(found[1]);
};

/**
 * One page of `items` from `pageToken`: at most `pageSize` (the default when absent or 0, capped at
 * `maxPageSize`), with the token of the next page when there is one.
 */
const pageOf = <T>(
  items: readonly T[],
  query: URLSearchParams,
  sizes: { defaultPageSize: number; maxPageSize: number },
): { items: T[]; nextPageToken?: string } => {
  const rawSize = query.get('pageSize');
  const requested = rawSize === null || rawSize === '' ? 0 : Number(rawSize);
  if (!Number.isInteger(requested) || requested < 0) {
    throw invalidArgument(`pageSize must be a non-negative integer, got ${rawSize}.`);
  }
  const size = Math.min(requested === 0 ? sizes.defaultPageSize : requested, sizes.maxPageSize);
  const offset = decodePageToken(query.get('pageToken'));
  const page = items.slice(offset, offset + size);
  return offset + size < items.length
    ? { items: page, nextPageToken: encodePageToken(offset + size) }
    : { items: page };
};

/**
 * An enum query parameter or body field as gax sends it: the value name, or its number in the
 * proto enum (`names[number]`). Absent → `undefined`.
 *
 * @throws SimulatorApiError INVALID_ARGUMENT for a value the enum does not have.
 */
const enumValue = <T extends string>(raw: unknown, names: readonly T[], field: string): T | undefined => {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw === 'number' || (typeof raw === 'string' && /^\d+$/.test(raw))) {
    const byNumber = names[Number(raw)];
    if (byNumber !== undefined) return byNumber;
  }
  if (typeof raw === 'string' && (names as readonly string[]).includes(raw)) return raw as T;
  throw invalidArgument(`Invalid value at '${field}' (${names.join(', ')}): ${String(raw)}`);
};

export { decodePageToken, encodePageToken, enumValue, formatDuration, formatTimestamp, pageOf };
