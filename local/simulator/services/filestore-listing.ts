import { invalidArgument } from '../api-error';
import { isJsonObject } from '../request-fields';

/**
 * The list parameters Filestore's list methods take (discovery `file.v1.json`): `filter`,
 * `orderBy` ("name", "name desc" or unsorted) and `pageSize`/`pageToken`. The filter is a small
 * subset of AIP-160, enough for what the ops catalog sends (`labels.managed-by="acme-ops"`,
 * `state=READY`); anything beyond it is refused with INVALID_ARGUMENT rather than ignored, so a
 * caller relying on richer syntax finds out here and not in production.
 */

/** One page of a list and, when more remain, the token for the next. */
interface ListPage<Item> {
  items: Item[];
  nextPageToken?: string;
}

interface FilterTerm {
  path: string[];
  negate: boolean;
  value: string;
}

const TERM = /^\s*([A-Za-z_][\w.-]*)\s*(!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))\s*$/;

/** The value at a dotted path (`labels.managed-by`), or `undefined` if any step is missing. */
const valueAt = (item: unknown, path: readonly string[]): unknown => {
  let current: unknown = item;
  for (const step of path) {
    if (!isJsonObject(current)) return undefined;
    current = current[step];
  }
  return current;
};

/**
 * Parses `field = value [AND field != value …]`; values may be quoted. Fields are JSON paths of
 * the listed resource; enums and booleans compare by their JSON spelling (`state=READY`, `done=true`).
 *
 * @throws SimulatorApiError INVALID_ARGUMENT for anything else (OR, NOT, `:`, comparisons, …).
 */
const parseFilter = (filter: string): FilterTerm[] => {
  if (filter.trim() === '') return [];
  return filter.split(/\s+AND\s+/).map((text) => {
    const found = TERM.exec(text);
    if (!found) {
      throw invalidArgument(
        `Invalid filter "${filter}": the simulator supports field=value and field!=value terms joined by AND.`,
      );
    }
    const quoted = found[3];
    return {
      path: (found[1] as string).split('.'),
      negate: found[2] === '!=',
      value: quoted === undefined ? (found[4] as string) : quoted.replace(/\\(.)/g, '$1'),
    };
  });
};

const matches = (item: unknown, terms: readonly FilterTerm[]): boolean =>
  terms.every((term) => {
    const value = valueAt(item, term.path);
    const equal = value !== undefined && value !== null && String(value) === term.value;
    return term.negate ? !equal : equal;
  });

/** Page tokens are opaque to callers; here they carry the offset of the next item. */
const encodePageToken = (offset: number): string =>
  Buffer.from(JSON.stringify({ offset }), 'utf8').toString('base64url');

const decodePageToken = (token: string): number => {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const offset = isJsonObject(decoded) ? decoded.offset : undefined;
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // Falls through to the error below: a token that is not ours is invalid, however it fails.
  }
  throw invalidArgument(`Invalid page token "${token}".`);
};

const readPageSize = (raw: string | null): number => {
  if (raw === null || raw === '') return 0;
  if (!/^\d+$/.test(raw)) throw invalidArgument(`Invalid value at 'page_size' (TYPE_INT32), "${raw}"`);
  return Number(raw);
};

/** Sorts by `name` when asked; the default keeps storage order (Google calls it "unsorted"). */
const ordered = <Item extends { name: string }>(items: Item[], orderBy: string | null): Item[] => {
  const order = (orderBy ?? '').trim().replace(/\s+/g, ' ');
  if (order === '') return items;
  if (order === 'name' || order === 'name asc')
    return [...items].sort((a, b) => a.name.localeCompare(b.name));
  if (order === 'name desc') return [...items].sort((a, b) => b.name.localeCompare(a.name));
  throw invalidArgument(`Invalid order_by "${orderBy}": supported values are "name", "name desc" or "".`);
};

/**
 * Applies `filter`, `orderBy`, `pageSize` and `pageToken` from the query string to `items`.
 * A page size of 0 or none means everything that is left.
 *
 * @throws SimulatorApiError INVALID_ARGUMENT for a filter, order, size or token it cannot read.
 */
const listPage = <Item extends { name: string }>(
  items: readonly Item[],
  query: URLSearchParams,
): ListPage<Item> => {
  const terms = parseFilter(query.get('filter') ?? '');
  const selected = ordered(
    items.filter((item) => matches(item, terms)),
    query.get('orderBy') ?? query.get('order_by'),
  );
  const pageSize = readPageSize(query.get('pageSize') ?? query.get('page_size'));
  const token = query.get('pageToken') ?? query.get('page_token') ?? '';
  const offset = token === '' ? 0 : decodePageToken(token);
  const end = pageSize === 0 ? selected.length : offset + pageSize;
  return {
    items: selected.slice(offset, end),
    ...(end < selected.length ? { nextPageToken: encodePageToken(end) } : {}),
  };
};

export type { ListPage };
export { listPage, parseFilter };
