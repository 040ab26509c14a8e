import { createRequestLog, type RequestLogEntry } from '../../../local/simulator/request-log';

const entry = (overrides: Partial<RequestLogEntry> = {}): RequestLogEntry => ({
  time: '2026-03-02T19:00:00.000Z',
  service: 'container',
  method: 'GET',
  path: '/v1/projects/p/locations/l/clusters/c/nodePools/np',
  route: 'nodePools.get',
  status: 200,
  ...overrides,
});

describe('request-log', () => {
  it('counts requests per method and route, or per path when no route matched', () => {
    // Prepare
    const log = createRequestLog();

    // Act
    log.record(entry());
    log.record(entry());
    log.record(entry({ method: 'POST', route: 'nodePools.setSize', status: 400 }));
    log.record(entry({ route: undefined, path: '/v1/unknown', status: 501 }));

    // Assess
    expect(log.counts()).toEqual({
      'GET nodePools.get': 2,
      'POST nodePools.setSize': 1,
      'GET /v1/unknown': 1,
    });
    expect(log.count('POST nodePools.setSize')).toBe(1);
    expect(log.count('POST nodePools.setAutoscaling')).toBe(0);
  });

  it('keeps only the newest entries but counts all of them', () => {
    // Prepare
    const log = createRequestLog({ maxEntries: 2 });

    // Act
    for (const status of [200, 201, 202]) log.record(entry({ status }));

    // Assess
    expect(log.entries().map((item) => item.status)).toEqual([201, 202]);
    expect(log.count('GET nodePools.get')).toBe(3);
  });

  it('counts injected failures under their route, marked as faults', () => {
    // Prepare
    const log = createRequestLog();

    // Act
    log.record(entry({ status: 503, fault: 'error' }));
    log.record(entry({ status: 0, fault: 'timeout' }));
    log.record(entry());

    // Assess
    expect(log.count('GET nodePools.get')).toBe(3);
    expect(log.entries().map((item) => [item.status, item.fault])).toEqual([
      [503, 'error'],
      [0, 'timeout'],
      [200, undefined],
    ]);
  });

  it('hands out copies that cannot change the log', () => {
    // Prepare
    const log = createRequestLog();
    log.record(entry({ body: { nodeCount: 1 } }));

    // Act
    const [copy] = log.entries();
    if (copy) copy.status = 500;

    // Assess
    expect(log.snapshot().entries[0]?.status).toBe(200);
  });

  it('forgets entries and counts on clear', () => {
    // Prepare
    const log = createRequestLog();
    log.record(entry());

    // Act
    log.clear();

    // Assess
    expect(log.snapshot()).toEqual({ entries: [], counts: {} });
  });
});
