import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningSimulator } from '../../../../local/simulator/simulator';
import { createSimulatorConnectors } from '../../../../local/workflows/connectors';
import type { ConnectorService, WorkflowClock, WorkflowValue } from '../../../../local/workflows/engine';
import { toJson, WorkflowRuntimeError } from '../../../../local/workflows/engine';
import { ManualClock } from '../../../../shared/time';
import { startFixtureSimulator } from '../../../helpers/simulator';

/**
 * The `googleapis.*` connectors against the platform simulator in-process: Discovery-resolved
 * requests, long-running operations waited for on a virtual clock shared with the simulator (so a
 * 267 s Cloud SQL backup is polled the way Workflows polls it, in milliseconds), HttpError for
 * Google error answers, 429/503 retried first.
 */

const PROJECT = 'acme-ml-prod';
const KFP = 'acme-kfp-mysql-7f3a9c1e';
const DEFAULT_OPTIONS = {
  timeoutMs: 1_800_000,
  skipPolling: false,
  pollingPolicy: { initialDelaySeconds: 1, multiplier: 1.25, maxDelaySeconds: 60 },
};

/** A WorkflowClock on the simulator's ManualClock: each sleep moves both, and is recorded. */
const sharedVirtualClock = (manual: ManualClock): WorkflowClock & { sleeps: number[] } => {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => manual.now().getTime(),
    async sleep(ms, signal) {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      await new Promise((resolve) => setImmediate(resolve));
      manual.advance(ms);
    },
  };
};

const asJson = (value: unknown): Record<string, unknown> =>
  toJson(value as WorkflowValue) as Record<string, unknown>;

const caught = async (promise: Promise<unknown>): Promise<WorkflowRuntimeError> => {
  try {
    await promise;
  } catch (thrown) {
    if (thrown instanceof WorkflowRuntimeError) return thrown;
    throw thrown;
  }
  throw new Error('expected the call to fail');
};

describe('simulator connectors', () => {
  let simulator: RunningSimulator;
  let manual: ManualClock;
  let clock: ReturnType<typeof sharedVirtualClock>;
  let connectors: ConnectorService;

  beforeAll(async () => {
    manual = new ManualClock('2025-06-02T08:00:00Z');
    simulator = await startFixtureSimulator({
      clock: { now: () => manual.now(), sleep: (ms) => manual.sleep(ms) },
    });
  });

  afterAll(async () => {
    await simulator.close();
  });

  beforeEach(() => {
    simulator.reset();
    simulator.faults.clear();
    simulator.setTimeScale(1);
    clock = sharedVirtualClock(manual);
    connectors = createSimulatorConnectors({ endpoints: simulator.endpoints, clock });
  });

  it('waits for a Cloud SQL backup run, polling with the policy, and returns the DONE operation', async () => {
    // Act
    const result = asJson(
      await connectors.call(
        'googleapis.sqladmin.v1.backupRuns.insert',
        { project: PROJECT, instance: KFP, body: { description: 'before upgrade' } },
        DEFAULT_OPTIONS,
      ),
    );

    // Assert
    expect(result).toMatchObject({ kind: 'sql#operation', operationType: 'BACKUP_VOLUME', status: 'DONE' });
    expect(result.error).toBeUndefined();
    expect(clock.sleeps.slice(0, 5)).toEqual([1000, 1250, 1563, 1953, 2441]);
    expect(clock.sleeps.reduce((total, ms) => total + ms, 0)).toBeGreaterThanOrEqual(267_000);
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(60_000);
  });

  it('returns the first response with skip_polling', async () => {
    // Act
    const result = asJson(
      await connectors.call(
        'googleapis.sqladmin.v1.backupRuns.insert',
        { project: PROJECT, instance: KFP },
        { ...DEFAULT_OPTIONS, skipPolling: true },
      ),
    );

    // Assert
    expect(result.status).toBe('PENDING');
    expect(clock.sleeps).toEqual([]);
  });

  it('raises a TimeoutError when the operation outlasts the connector timeout', async () => {
    // Act
    const error = await caught(
      connectors.call(
        'googleapis.sqladmin.v1.backupRuns.insert',
        { project: PROJECT, instance: KFP },
        { ...DEFAULT_OPTIONS, timeoutMs: 10_000 },
      ),
    );

    // Assert
    expect(error.tags).toEqual(['TimeoutError']);
    expect(clock.sleeps.reduce((total, ms) => total + ms, 0)).toBe(10_000);
  });

  it('raises an OperationError carrying the operation error when the operation fails', async () => {
    // Prepare
    simulator.faults.inject({
      route: 'sql.backupRuns.insert',
      operationError: { code: 13, message: 'backup volume snapshot failed' },
    });

    // Act
    const error = await caught(
      connectors.call(
        'googleapis.sqladmin.v1.backupRuns.insert',
        { project: PROJECT, instance: KFP },
        DEFAULT_OPTIONS,
      ),
    );

    // Assert
    const value = asJson(error.value);
    expect(value.tags).toEqual(['OperationError']);
    expect(value.message).toContain('backup volume snapshot failed');
    expect(JSON.stringify(value.error)).toContain('backup volume snapshot failed');
  });

  it('reads a resource with a plain GET (sqladmin instances.get)', async () => {
    // Act
    const result = asJson(
      await connectors.call(
        'googleapis.sqladmin.v1.instances.get',
        { project: PROJECT, instance: KFP },
        DEFAULT_OPTIONS,
      ),
    );

    // Assert
    expect(result).toMatchObject({ kind: 'sql#instance', name: KFP, state: 'RUNNABLE' });
  });

  it('expands {+name} path parameters (container nodePools.get)', async () => {
    // Act
    const result = asJson(
      await connectors.call(
        'googleapis.container.v1.projects.locations.clusters.nodePools.get',
        { name: `projects/${PROJECT}/locations/us-central1/clusters/acme-ml-gke/nodePools/gpu-a100-pool` },
        DEFAULT_OPTIONS,
      ),
    );

    // Assert
    expect(result).toMatchObject({ name: 'gpu-a100-pool' });
  });

  it('waits for a GKE operation through projects.locations.operations.get', async () => {
    // Act
    const result = asJson(
      await connectors.call(
        'googleapis.container.v1.projects.locations.clusters.nodePools.setSize',
        {
          name: `projects/${PROJECT}/locations/us-central1/clusters/acme-ml-gke/nodePools/gpu-a100-pool`,
          body: { nodeCount: 1 },
        },
        DEFAULT_OPTIONS,
      ),
    );

    // Assert
    expect(result).toMatchObject({ operationType: 'SET_NODE_POOL_SIZE', status: 'DONE' });
    expect(clock.sleeps.length).toBeGreaterThan(1);
  });

  it('passes query parameters (file backups.list with pageSize)', async () => {
    // Act
    const result = asJson(
      await connectors.call(
        'googleapis.file.v1.projects.locations.backups.list',
        { parent: `projects/${PROJECT}/locations/us-central1`, pageSize: 2 },
        DEFAULT_OPTIONS,
      ),
    );

    // Assert
    expect(result.backups).toHaveLength(2);
    expect(typeof result.nextPageToken).toBe('string');
  });

  it('waits for a google.longrunning operation and returns its response (file backups.create)', async () => {
    // Act
    const result = asJson(
      await connectors.call(
        'googleapis.file.v1.projects.locations.backups.create',
        {
          parent: `projects/${PROJECT}/locations/us-central1`,
          backupId: 'wf-connector-test',
          body: {
            sourceInstance: `projects/${PROJECT}/locations/us-central1-a/instances/acme-kf-home`,
            sourceFileShare: 'kfhome',
          },
        },
        DEFAULT_OPTIONS,
      ),
    );

    // Assert
    expect(result.state).toBe('READY');
    expect(result.name).toMatch(/\/locations\/us-central1\/backups\/wf-connector-test$/);
  });

  it('raises an HttpError with code, body and headers for a 404', async () => {
    // Act
    const error = await caught(
      connectors.call(
        'googleapis.sqladmin.v1.instances.get',
        { project: PROJECT, instance: 'nope' },
        DEFAULT_OPTIONS,
      ),
    );

    // Assert
    const value = asJson(error.value);
    expect(value).toMatchObject({ tags: ['HttpError'], code: 404 });
    expect(value.message).toBe('HTTP server responded with error code 404');
    expect((value.body as { error: { code: number } }).error.code).toBe(404);
    expect((value.headers as Record<string, string>)['content-type']).toContain('application/json');
  });

  it('retries 503 and 429 with backoff before succeeding', async () => {
    // Prepare
    simulator.faults.inject({ route: 'sql.instances.get', sequence: [503, 429] });

    // Act
    const result = asJson(
      await connectors.call(
        'googleapis.sqladmin.v1.instances.get',
        { project: PROJECT, instance: KFP },
        DEFAULT_OPTIONS,
      ),
    );

    // Assert
    expect(result.name).toBe(KFP);
    expect(clock.sleeps).toEqual([1000, 1250]);
  });

  it('names an unknown method, an unknown argument and a missing one', async () => {
    // Act
    const unknownMethod = await caught(
      connectors.call('googleapis.sqladmin.v1.instances.explode', { project: PROJECT }, DEFAULT_OPTIONS),
    );
    const unknownApi = await caught(connectors.call('googleapis.nosuch.v1.things.get', {}, DEFAULT_OPTIONS));
    const unknownArgument = await caught(
      connectors.call(
        'googleapis.sqladmin.v1.instances.get',
        { project: PROJECT, instance: KFP, zone: 'a' },
        DEFAULT_OPTIONS,
      ),
    );
    const missing = await caught(
      connectors.call('googleapis.sqladmin.v1.instances.get', { project: PROJECT }, DEFAULT_OPTIONS),
    );

    // Assert
    expect(unknownMethod.message).toContain('has no method explode');
    expect(unknownApi.message).toContain('no Discovery document nosuch.v1.json');
    expect(unknownArgument.message).toContain('unknown argument zone');
    expect(missing.message).toContain('missing required argument instance');
    expect(missing.tags).toEqual(['ValueError']);
  });

  it('raises a SystemError naming the API when it has no local endpoint', async () => {
    // Prepare
    const withoutSql = createSimulatorConnectors({
      endpoints: { container: simulator.endpoints.container },
      clock,
    });

    // Act
    const error = await caught(
      withoutSql.call(
        'googleapis.sqladmin.v1.instances.get',
        { project: PROJECT, instance: KFP },
        DEFAULT_OPTIONS,
      ),
    );

    // Assert
    expect(error.tags).toEqual(['SystemError']);
    expect(error.message).toContain('no local endpoint for the sqladmin API');
  });

  it('raises a ConnectionFailedError when nothing listens at the endpoint', async () => {
    // Prepare
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const nowhere = createSimulatorConnectors({ endpoints: { sqladmin: `http://127.0.0.1:${port}` }, clock });

    // Act
    const error = await caught(
      nowhere.call(
        'googleapis.sqladmin.v1.instances.get',
        { project: PROJECT, instance: KFP },
        DEFAULT_OPTIONS,
      ),
    );

    // Assert
    expect(error.tags).toEqual(['ConnectionFailedError']);
  });
});
