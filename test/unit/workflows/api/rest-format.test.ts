import { SimulatorApiError } from '../../../../local/simulator/api-error';
import { compileListFilter, enumValue, formatDuration, pageOf } from '../../../../local/workflows/api';

/** Wire details of the local APIs: durations, paging, enums, list filters. */

describe('rest formats', () => {
  it('writes durations as proto3 JSON: 0, 3, 6 or 9 fractional digits', () => {
    // Act
    const texts = [0, 3_000, 3_500, 1.5, 0.000_001, 86_400_000].map(formatDuration);

    // Assert
    expect(texts).toEqual(['0s', '3s', '3.500s', '0.001500s', '0.000000001s', '86400s']);
  });

  it('pages with opaque tokens and refuses a token it did not issue', () => {
    // Prepare
    const items = ['a', 'b', 'c', 'd', 'e'];

    // Act
    const first = pageOf(items, new URLSearchParams('pageSize=2'), { defaultPageSize: 10, maxPageSize: 10 });
    const second = pageOf(
      items,
      new URLSearchParams({ pageSize: '2', pageToken: first.nextPageToken as string }),
      {
        defaultPageSize: 10,
        maxPageSize: 10,
      },
    );
    const capped = pageOf(items, new URLSearchParams('pageSize=50'), { defaultPageSize: 2, maxPageSize: 3 });

    // Assert
    expect(first.items).toEqual(['a', 'b']);
    expect(second.items).toEqual(['c', 'd']);
    expect(capped).toMatchObject({ items: ['a', 'b', 'c'] });
    expect(() =>
      pageOf(items, new URLSearchParams('pageToken=bogus'), { defaultPageSize: 2, maxPageSize: 2 }),
    ).toThrow(SimulatorApiError);
  });

  it('reads enums by name or by number, as gax may send them', () => {
    // Prepare
    const views = ['EXECUTION_VIEW_UNSPECIFIED', 'BASIC', 'FULL'] as const;

    // Act
    const values = ['FULL', '1', 2, undefined].map((raw) => enumValue(raw, views, 'view'));

    // Assert
    expect(values).toEqual(['FULL', 'BASIC', 'FULL', undefined]);
    expect(() => enumValue('HUGE', views, 'view')).toThrow(SimulatorApiError);
  });

  it('filters with comparisons joined by AND, quoted or bare, labels by key', () => {
    // Prepare
    const item: Record<string, string> = {
      state: 'ACTIVE',
      startTime: '2025-06-02T08:00:00.000Z',
      'labels.env': 'prod',
    };
    const read = (field: string): string | undefined => item[field];

    // Act
    const verdicts = [
      'state="ACTIVE"',
      'state = ACTIVE AND labels.env="prod"',
      'state!="ACTIVE"',
      'startTime>"2025-06-01"',
      'labels.env:*',
      'labels.team="x"',
    ].map((filter) => compileListFilter(filter, ['state', 'startTime', 'labels'])(read));

    // Assert
    expect(verdicts).toEqual([true, true, false, true, true, false]);
    expect(() => compileListFilter('state="A" OR state="B"', ['state'])).toThrow(/understands comparisons/);
    expect(() => compileListFilter('color="red"', ['state'])).toThrow(/Invalid filter field/);
  });
});
