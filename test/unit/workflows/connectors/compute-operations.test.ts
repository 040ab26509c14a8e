import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulatorConnectors } from '../../../../local/workflows/connectors';
import type { WorkflowValue } from '../../../../local/workflows/engine';
import { createVirtualClock, toJson, WorkflowRuntimeError } from '../../../../local/workflows/engine';

/**
 * Compute-style operations (`kind: compute#operation`, polled at their selfLink) and a
 * `discoveryDir` of one's own. The shared reference set has no Compute Discovery document and the
 * platform simulator no Compute method that starts an operation, so this test brings a one-method
 * document and a small in-process endpoint that answers like Compute: RUNNING, then DONE.
 */

const COMPUTE_DISCOVERY = {
  name: 'compute',
  version: 'v1',
  rootUrl: 'https://compute.googleapis.com/',
  servicePath: 'compute/v1/',
  schemas: {
    Operation: { properties: { kind: {}, name: {}, status: {}, selfLink: {}, error: {} } },
  },
  resources: {
    instances: {
      methods: {
        stop: {
          id: 'compute.instances.stop',
          httpMethod: 'POST',
          path: 'projects/{project}/zones/{zone}/instances/{instance}/stop',
          parameters: {
            project: { location: 'path', required: true, type: 'string' },
            zone: { location: 'path', required: true, type: 'string' },
            instance: { location: 'path', required: true, type: 'string' },
            requestId: { location: 'query', type: 'string' },
          },
          response: { $ref: 'Operation' },
        },
      },
    },
  },
};

const OPTIONS = {
  timeoutMs: 1_800_000,
  skipPolling: false,
  pollingPolicy: { initialDelaySeconds: 2, multiplier: 2, maxDelaySeconds: 60 },
};

describe('compute operations through a discoveryDir of its own', () => {
  let directory: string;
  let server: Server;
  let endpoint: string;
  const requests: string[] = [];

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'wf-discovery-'));
    writeFileSync(join(directory, 'compute.v1.json'), JSON.stringify(COMPUTE_DISCOVERY));
    const polls = new Map<string, number>();
    server = createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      const url = new URL(request.url ?? '/', 'http://x');
      const operation = (instance: string, status: string) => ({
        kind: 'compute#operation',
        name: `op-${instance}`,
        status,
        selfLink: `https://www.googleapis.com/compute/v1/projects/p/zones/z/operations/op-${instance}`,
        ...(status === 'DONE' && instance === 'broken'
          ? { error: { errors: [{ code: 'RESOURCE_NOT_READY', message: 'instance is being repaired' }] } }
          : {}),
      });
      const stop = /\/instances\/([^/]+)\/stop$/.exec(url.pathname);
      const poll = /\/operations\/op-([^/]+)$/.exec(url.pathname);
      let body: unknown;
      if (stop) body = operation(stop[1] as string, 'RUNNING');
      else if (poll) {
        const count = (polls.get(poll[1] as string) ?? 0) + 1;
        polls.set(poll[1] as string, count);
        body = operation(poll[1] as string, count < 2 ? 'RUNNING' : 'DONE');
      }
      response.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body ?? { error: { code: 404, message: 'no', status: 'NOT_FOUND' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(directory, { recursive: true, force: true });
  });

  it('polls the operation at its selfLink on the endpoint, with the policy, until DONE', async () => {
    // Prepare
    const clock = createVirtualClock(0);
    const connectors = createSimulatorConnectors({
      endpoints: { compute: endpoint },
      clock,
      discoveryDir: directory,
    });

    // Act
    const result = toJson(
      (await connectors.call(
        'googleapis.compute.v1.instances.stop',
        { project: 'p', zone: 'z', instance: 'vm1', requestId: 'r-1' },
        OPTIONS,
      )) as WorkflowValue,
    );

    // Assert
    expect(result).toMatchObject({ kind: 'compute#operation', status: 'DONE', name: 'op-vm1' });
    expect(requests).toEqual(
      expect.arrayContaining([
        'POST /compute/v1/projects/p/zones/z/instances/vm1/stop?requestId=r-1',
        'GET /compute/v1/projects/p/zones/z/operations/op-vm1',
      ]),
    );
    expect(clock.now()).toBe(2_000 + 4_000);
  });

  it('raises an OperationError with the operation error when it ends DONE with errors', async () => {
    // Prepare
    const clock = createVirtualClock(0);
    const connectors = createSimulatorConnectors({
      endpoints: { compute: endpoint },
      clock,
      discoveryDir: directory,
    });

    // Act
    const failure = await connectors
      .call('googleapis.compute.v1.instances.stop', { project: 'p', zone: 'z', instance: 'broken' }, OPTIONS)
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );

    // Assert
    expect(failure).toBeInstanceOf(WorkflowRuntimeError);
    expect(toJson((failure as WorkflowRuntimeError).value)).toEqual({
      message: 'instance is being repaired',
      tags: ['OperationError'],
      error: { errors: [{ code: 'RESOURCE_NOT_READY', message: 'instance is being repaired' }] },
    });
  });
});
