import { SimulatorApiError } from '../../../local/simulator/api-error';
import { listPage, parseFilter } from '../../../local/simulator/services/filestore-listing';

const ITEMS = [
  { name: 'b', state: 'READY', labels: { 'managed-by': 'acme-ops', schedule: 'daily' } },
  { name: 'a', state: 'CREATING', labels: { 'managed-by': 'acme-ops' } },
  { name: 'c', state: 'READY', labels: { pinned: 'true' } },
];

const query = (params: Record<string, string>) => new URLSearchParams(params);
const names = (items: ReadonlyArray<{ name: string }>) => items.map((item) => item.name);

describe('filestore-listing', () => {
  it('keeps storage order and everything when no parameter is given', () => {
    // Act
    const page = listPage(ITEMS, query({}));

    // Assess
    expect(page).toEqual({ items: ITEMS });
  });

  it('filters on label and field terms joined by AND, quoted or not', () => {
    // Act
    const managed = listPage(ITEMS, query({ filter: 'labels.managed-by="acme-ops"' }));
    const readyManaged = listPage(ITEMS, query({ filter: 'labels.managed-by = acme-ops AND state=READY' }));
    const notPinned = listPage(ITEMS, query({ filter: 'labels.pinned!="true"' }));

    // Assess
    expect(names(managed.items)).toEqual(['b', 'a']);
    expect(names(readyManaged.items)).toEqual(['b']);
    expect(names(notPinned.items)).toEqual(['b', 'a']);
  });

  it('refuses filter syntax it does not support with INVALID_ARGUMENT', () => {
    // Act
    const parse = () => parseFilter('state=READY OR state=CREATING');

    // Assess
    expect(parse).toThrow(SimulatorApiError);
    expect(parse).toThrow(/field=value/);
  });

  it('orders by name ascending and descending', () => {
    // Act
    const ascending = listPage(ITEMS, query({ orderBy: 'name' }));
    const descending = listPage(ITEMS, query({ orderBy: 'name desc' }));

    // Assess
    expect(names(ascending.items)).toEqual(['a', 'b', 'c']);
    expect(names(descending.items)).toEqual(['c', 'b', 'a']);
    expect(() => listPage(ITEMS, query({ orderBy: 'createTime' }))).toThrow(/order_by/);
  });

  it('pages with a token that leads to the rest', () => {
    // Act
    const first = listPage(ITEMS, query({ pageSize: '2' }));
    const second = listPage(ITEMS, query({ pageSize: '2', pageToken: first.nextPageToken ?? '' }));

    // Assess
    expect(names(first.items)).toEqual(['b', 'a']);
    expect(names(second.items)).toEqual(['c']);
    expect(second.nextPageToken).toBeUndefined();
  });

  it('refuses a page token it did not issue and a negative page size', () => {
    // Act
    const badToken = () => listPage(ITEMS, query({ pageToken: 'not-a-token' }));
    const badSize = () => listPage(ITEMS, query({ pageSize: '-1' }));

    // Assess
    expect(badToken).toThrow(/page token/);
    expect(badSize).toThrow(/page_size/);
  });
});
