import { compileTemplate, createRouter } from '../../../local/simulator/router';

describe('router', () => {
  const routes = [
    {
      method: 'GET',
      template: '/v1/projects/{project}/locations/{location}/clusters/{cluster}',
      name: 'get',
    },
    {
      method: 'POST',
      template: '/v1/projects/{project}/locations/{location}/clusters/{cluster}:setLabels',
      name: 'setLabels',
    },
    { method: 'GET', template: '/v1/projects/{project}/locations/{location}/clusters', name: 'list' },
  ];

  it('extracts the template variables of the matching route', () => {
    // Prepare
    const router = createRouter(routes);

    // Act
    const found = router.match('GET', '/v1/projects/p1/locations/us-central1/clusters/c1');

    // Assess
    expect(found?.route.name).toBe('get');
    expect(found?.params).toEqual({ project: 'p1', location: 'us-central1', cluster: 'c1' });
  });

  it('matches a colon custom verb without folding it into the variable', () => {
    // Prepare
    const router = createRouter(routes);

    // Act
    const custom = router.match('POST', '/v1/projects/p1/locations/l1/clusters/c1:setLabels');
    const asGet = router.match('GET', '/v1/projects/p1/locations/l1/clusters/c1:setLabels');

    // Assess
    expect(custom?.route.name).toBe('setLabels');
    expect(custom?.params.cluster).toBe('c1');
    expect(asGet).toBeUndefined();
  });

  it('returns nothing for another method, a longer path or a trailing slash', () => {
    // Prepare
    const router = createRouter(routes);

    // Act
    const results = [
      router.match('DELETE', '/v1/projects/p1/locations/l1/clusters/c1'),
      router.match('GET', '/v1/projects/p1/locations/l1/clusters/c1/extra'),
      router.match('GET', '/v1/projects/p1/locations/l1/clusters/'),
    ];

    // Assess
    expect(results).toEqual([undefined, undefined, undefined]);
  });

  it('percent-decodes variables and matches methods case-insensitively', () => {
    // Prepare
    const router = createRouter(routes);

    // Act
    const found = router.match('get', '/v1/projects/p1/locations/-/clusters/my%20cluster');

    // Assess
    expect(found?.params).toEqual({ project: 'p1', location: '-', cluster: 'my cluster' });
  });

  it('treats regular-expression characters in templates literally', () => {
    // Act
    const { pattern, names } = compileTemplate('/compute/v1/a.b/{x}');

    // Assess
    expect(names).toEqual(['x']);
    expect(pattern.test('/compute/v1/a.b/y')).toBe(true);
    expect(pattern.test('/compute/v1/aXb/y')).toBe(false);
  });

  it('refuses a template that repeats a variable', () => {
    // Act
    const compile = () => compileTemplate('/v1/{a}/{a}');

    // Assess
    expect(compile).toThrow('repeats the variable {a}');
  });
});
