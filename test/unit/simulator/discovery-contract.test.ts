import { SimulatorApiError } from '../../../local/simulator/api-error';
import {
  compileDiscoveryMethod,
  createServiceContract,
  type DiscoveryDocument,
  defaultDiscoveryDirectory,
  loadDiscoveryDocument,
  loadServiceProtoEnums,
} from '../../../local/simulator/discovery-contract';
import type { Route } from '../../../local/simulator/service';

const SET_SIZE = 'container.projects.locations.clusters.nodePools.setSize';
const SET_AUTOSCALING = 'container.projects.locations.clusters.nodePools.setAutoscaling';
const UPDATE_POOL = 'container.projects.locations.clusters.nodePools.update';
const ADD_VERSION = 'secretmanager.projects.secrets.addVersion';
const CREATE_INSTANCE = 'file.projects.locations.instances.create';

const documents = new Map<string, DiscoveryDocument>();
const documentFor = (file: string): DiscoveryDocument => {
  let document = documents.get(file);
  if (!document) {
    document = loadDiscoveryDocument(defaultDiscoveryDirectory(), file);
    documents.set(file, document);
  }
  return document;
};

/** Checks `body` against a real discovery method; returns the normalised body or the error thrown. */
const check = (file: string, methodId: string, body: unknown, query = ''): unknown => {
  const contract = compileDiscoveryMethod(documentFor(file), methodId, {
    protoEnums: file === 'container.v1' ? loadServiceProtoEnums('container') : undefined,
  });
  try {
    return contract.check({ query: new URLSearchParams(query), body });
  } catch (error) {
    return error;
  }
};

const route = (method: string, template: string, discoveryMethod?: string): Route => ({
  method,
  template,
  name: `test.${method}.${template}`,
  ...(discoveryMethod === undefined ? {} : { discoveryMethod }),
  handle: () => ({ body: {} }),
});

describe('discovery-contract', () => {
  it.each([
    [
      'an unknown top-level field',
      'container.v1',
      SET_SIZE,
      { nodeCount: 1, nodeCounts: 2 },
      'Invalid JSON payload received. Unknown name "nodeCounts": Cannot find field.',
    ],
    [
      'an unknown nested field',
      'container.v1',
      SET_AUTOSCALING,
      { autoscaling: { enabled: true, foo: 1 } },
      `Invalid JSON payload received. Unknown name "foo" at 'autoscaling': Cannot find field.`,
    ],
    [
      'an unknown field in a list item',
      'file.v1',
      CREATE_INSTANCE,
      { fileShares: [{ name: 'vol1', capacityGb: '1024', size: 1 }] },
      `Unknown name "size" at 'file_shares[0]': Cannot find field.`,
    ],
    [
      'an unknown field behind a $ref',
      'container.v1',
      UPDATE_POOL,
      { nodeVersion: '-', imageType: 'COS', upgradeSettings: { maxSurges: 1 } },
      `Unknown name "maxSurges" at 'upgrade_settings'`,
    ],
    [
      'an enum name the enum does not have',
      'container.v1',
      SET_AUTOSCALING,
      { autoscaling: { locationPolicy: 'NEAREST' } },
      `Invalid value at 'autoscaling.location_policy' (TYPE_ENUM), "NEAREST"`,
    ],
    [
      'an enum number the enum does not have',
      'container.v1',
      SET_AUTOSCALING,
      { autoscaling: { locationPolicy: 7 } },
      `Invalid value at 'autoscaling.location_policy' (TYPE_ENUM), 7`,
    ],
    [
      'a string for an int32',
      'container.v1',
      SET_SIZE,
      { nodeCount: 'two' },
      `Invalid value at 'node_count' (TYPE_INT32), "two"`,
    ],
    [
      'an int32 out of range',
      'container.v1',
      SET_SIZE,
      { nodeCount: 2 ** 31 },
      `Invalid value at 'node_count' (TYPE_INT32), 2147483648`,
    ],
    [
      'a malformed int64 string',
      'secretmanager.v1',
      ADD_VERSION,
      { payload: { data: 'YQ==', dataCrc32c: '12a' } },
      `Invalid value at 'payload.data_crc32c' (TYPE_INT64), "12a"`,
    ],
    [
      'a number for a bool',
      'container.v1',
      SET_AUTOSCALING,
      { autoscaling: { enabled: 1 } },
      `Invalid value at 'autoscaling.enabled' (TYPE_BOOL), 1`,
    ],
    [
      'a scalar for a message',
      'container.v1',
      SET_AUTOSCALING,
      { autoscaling: true },
      `Invalid value at 'autoscaling' (NodePoolAutoscaling), true`,
    ],
    [
      'a body that is not an object',
      'container.v1',
      SET_SIZE,
      [1],
      'Invalid JSON payload received. Root element must be a message.',
    ],
    [
      'a missing required message',
      'container.v1',
      SET_AUTOSCALING,
      {},
      `Required field 'autoscaling' is missing.`,
    ],
    [
      'a missing body with a required message',
      'secretmanager.v1',
      ADD_VERSION,
      undefined,
      `Required field 'payload' is missing.`,
    ],
    [
      'a missing required string in a list item',
      'file.v1',
      CREATE_INSTANCE,
      { fileShares: [{ capacityGb: '1024' }] },
      `Required field 'fileShares[0].name' is missing.`,
    ],
    [
      'an empty required string',
      'container.v1',
      UPDATE_POOL,
      { nodeVersion: '', imageType: 'COS' },
      `Required field 'nodeVersion' is missing.`,
    ],
  ])('rejects %s with INVALID_ARGUMENT naming it', (_case, file, methodId, body, message) => {
    // Act
    const result = check(file, methodId, body);

    // Assess
    expect(result).toBeInstanceOf(SimulatorApiError);
    expect(result).toMatchObject({ status: 'INVALID_ARGUMENT', httpStatus: 400 });
    expect((result as Error).message).toContain(message);
  });

  it.each([
    [
      'a gax enum number, as its name',
      'container.v1',
      SET_AUTOSCALING,
      { autoscaling: { locationPolicy: 2 } },
      { autoscaling: { locationPolicy: 'ANY' } },
    ],
    [
      'a discovery client enum name, unchanged',
      'container.v1',
      SET_AUTOSCALING,
      { autoscaling: { locationPolicy: 'BALANCED' } },
      { autoscaling: { locationPolicy: 'BALANCED' } },
    ],
    [
      'an enum number by its proto number, not its list position',
      'container.v1',
      UPDATE_POOL,
      { nodeVersion: '-', imageType: 'COS', upgradeSettings: { strategy: 2 } },
      { nodeVersion: '-', imageType: 'COS', upgradeSettings: { strategy: 'BLUE_GREEN' } },
    ],
    [
      'snake_case field names, as lowerCamelCase',
      'container.v1',
      SET_SIZE,
      { node_count: '2', project_id: 'p' },
      { nodeCount: '2', projectId: 'p' },
    ],
    [
      'int64 as a string',
      'secretmanager.v1',
      ADD_VERSION,
      { payload: { data: 'YQ==', dataCrc32c: '3251651376' } },
      { payload: { data: 'YQ==', dataCrc32c: '3251651376' } },
    ],
    [
      'int64 as a number',
      'secretmanager.v1',
      ADD_VERSION,
      { payload: { data: 'YQ==', dataCrc32c: 3251651376 } },
      { payload: { data: 'YQ==', dataCrc32c: 3251651376 } },
    ],
    [
      'an absent required int32 (proto3 cannot tell it from 0)',
      'container.v1',
      SET_SIZE,
      { name: 'projects/p/locations/l/clusters/c/nodePools/np' },
      { name: 'projects/p/locations/l/clusters/c/nodePools/np' },
    ],
    [
      'the deprecated fields gax may send',
      'container.v1',
      'container.projects.zones.clusters.nodePools.setSize',
      { projectId: 'p', zone: 'z', clusterId: 'c', nodePoolId: 'np', nodeCount: 0 },
      { projectId: 'p', zone: 'z', clusterId: 'c', nodePoolId: 'np', nodeCount: 0 },
    ],
    [
      'a required resource name the path fills',
      'iap.v1',
      'iap.updateIapSettings',
      { accessSettings: {} },
      { accessSettings: {} },
    ],
    [
      'null for any field (proto3 default)',
      'container.v1',
      SET_AUTOSCALING,
      { autoscaling: { locationPolicy: null } },
      { autoscaling: { locationPolicy: null } },
    ],
    [
      'map values of any key',
      'container.v1',
      UPDATE_POOL,
      { nodeVersion: '-', imageType: 'COS', labels: { labels: { team: 'ml' } } },
      { nodeVersion: '-', imageType: 'COS', labels: { labels: { team: 'ml' } } },
    ],
  ])('accepts %s', (_case, file, methodId, body, expected) => {
    // Act
    const result = check(file, methodId, body);

    // Assess
    expect(result).toEqual(expected);
  });

  it('leaves a request without a body without one', () => {
    // Act
    const result = check('container.v1', 'container.projects.locations.clusters.nodePools.get', undefined);

    // Assess
    expect(result).toBeUndefined();
  });

  it('rejects a request missing a required query parameter', () => {
    // Prepare
    const document: DiscoveryDocument = {
      name: 'example',
      version: 'v1',
      schemas: {},
      methods: {
        list: {
          id: 'example.list',
          httpMethod: 'GET',
          path: 'v1/things',
          parameters: { parent: { type: 'string', location: 'query', required: true } },
        },
      },
    };
    const contract = compileDiscoveryMethod(document, 'example.list');

    // Act
    const missing = () => contract.check({ query: new URLSearchParams('$alt=json'), body: undefined });
    const present = () =>
      contract.check({ query: new URLSearchParams('parent=projects/p'), body: undefined });

    // Assess
    expect(missing).toThrow(`Required query parameter 'parent' is missing.`);
    expect(present).not.toThrow();
  });

  it('checks a route against the document of its path version', () => {
    // Prepare
    const v1 = route('POST', '/v1/projects', 'cloudresourcemanager.projects.create');
    const v3 = route('POST', '/v3/projects', 'cloudresourcemanager.projects.create');
    const v3Prefixed = route('POST', '/v3/projects:other', 'v3:cloudresourcemanager.projects.create');
    const contract = createServiceContract({ service: 'cloudresourcemanager', routes: [v1, v3, v3Prefixed] });
    const request = { query: new URLSearchParams(), body: { projectId: 'p', lifecycleState: 'ACTIVE' } };

    // Act
    const asV1 = contract.check(v1, request);
    const asV3 = () => contract.check(v3, request);
    const asPrefixedV3 = () => contract.check(v3Prefixed, request);

    // Assess
    expect(asV1).toEqual(request.body);
    expect(asV3).toThrow('Unknown name "lifecycleState"');
    expect(asPrefixedV3).toThrow('Unknown name "lifecycleState"');
  });

  it('refuses at compile time a route naming an unknown method or another HTTP method', () => {
    // Act
    const unknown = () =>
      createServiceContract({
        service: 'container',
        routes: [
          route('GET', '/v1/projects/{p}/locations/{l}/clusters', 'container.projects.clusters.lists'),
        ],
      });
    const wrongVerb = () =>
      createServiceContract({
        service: 'container',
        routes: [
          route(
            'POST',
            '/v1/projects/{p}/locations/{l}/clusters/{c}/nodePools/{n}',
            'container.projects.locations.clusters.nodePools.get',
          ),
        ],
      });

    // Assess
    expect(unknown).toThrow(
      'names discovery method container.projects.clusters.lists, which is not in container.v1',
    );
    expect(wrongVerb).toThrow(
      'but discovery method container.projects.locations.clusters.nodePools.get is GET',
    );
  });

  it('passes bodies unchecked for services without a discovery document', () => {
    // Prepare
    const igm = route(
      'GET',
      '/compute/v1/projects/{p}/zones/{z}/instanceGroupManagers',
      'compute.instanceGroupManagers.list',
    );
    const contract = createServiceContract({ service: 'compute', routes: [igm] });

    // Act
    const result = contract.check(igm, { query: new URLSearchParams(), body: { anything: 1 } });

    // Assess
    expect(result).toEqual({ anything: 1 });
  });

  it.each([
    [
      'PUT',
      '/v1/projects/p/locations/l/clusters/c/nodePools/np',
      'UNIMPLEMENTED',
      'container.projects.locations.clusters.nodePools.update',
    ],
    [
      'POST',
      '/v1/projects/p/zones/z/clusters/c/nodePools/np/setManagement',
      'UNIMPLEMENTED',
      'container.projects.zones.clusters.nodePools.setManagement',
    ],
    [
      'POST',
      '/v1/projects/p/locations/l/clusters/c/nodePools/np',
      'NOT_FOUND',
      'POST /v1/projects/p/locations/l/clusters/c/nodePools/np',
    ],
    ['GET', '/v1/projects/p/locations/l/clusters/c/nodePools/np:setSize', 'NOT_FOUND', 'is not a method'],
    ['GET', '/v2/anything', 'NOT_FOUND', 'GET /v2/anything'],
  ])('answers an unrouted %s %s with %s', (method, path, status, message) => {
    // Prepare
    const contract = createServiceContract({ service: 'container', routes: [] });

    // Act
    const error = contract.unmatched(method, path);

    // Assess
    expect(error.status).toBe(status);
    expect(error.message).toContain(message);
  });
});
