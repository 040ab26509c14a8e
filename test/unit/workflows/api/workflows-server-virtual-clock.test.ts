import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RunningSimulator } from '../../../../local/simulator/simulator';
import { type RunningWorkflowsServer, startLocalWorkflowsServer } from '../../../../local/workflows/api';
import { createSimulatorConnectors } from '../../../../local/workflows/connectors';
import { createVirtualClock } from '../../../../local/workflows/engine';
import { startFixtureSimulator } from '../../../helpers/simulator';

/**
 * The local Workflows server on a virtual clock, with connectors to the platform simulator: waits
 * of hours (a callback timeout, a one-day sleep, operation polling) take milliseconds while the
 * Execution resource still reports the times the workflow saw. Plain HTTP (fetch) plays the client
 * here; the official clients are exercised in workflows-server.test.ts.
 */

const PROJECT = 'acme-ml-prod';
const LOCATION = 'us-central1';
const PARENT = `projects/${PROJECT}/locations/${LOCATION}`;
const START = Date.parse('2025-06-02T08:00:00Z');
const CORPUS = resolve(
  __dirname,
  '../../../../../shared/conformance/workflows/lemonberrylabs-gcw-emulator/extracted',
);

const SLEEP_A_DAY = `main:
  steps:
    - nap:
        call: sys.sleep
        args:
          seconds: 86400
    - done:
        return: \${sys.now()}
`;

const BACKUP_RUNBOOK = `main:
  params: [args]
  steps:
    - init:
        assign:
          - missing_code: null
          - missing_tags: null
    - backup:
        call: googleapis.sqladmin.v1.backupRuns.insert
        args:
          project: \${args.project}
          instance: \${args.instance}
          body:
            description: before upgrade
        result: operation
    - read_missing:
        try:
          call: googleapis.sqladmin.v1.instances.get
          args:
            project: \${args.project}
            instance: no-such-instance
        except:
          as: e
          steps:
            - keep:
                assign:
                  - missing_code: \${e.code}
                  - missing_tags: \${e.tags}
    - done:
        return:
          status: \${operation.status}
          operationType: \${operation.operationType}
          missing_code: \${missing_code}
          missing_tags: \${missing_tags}
`;

describe('local Workflows server on a virtual clock', () => {
  let simulator: RunningSimulator;
  let server: RunningWorkflowsServer;

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/v1/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  const deploy = async (workflowId: string, sourceContents: string) => {
    const created = await call('POST', `${PARENT}/workflows?workflowId=${workflowId}`, { sourceContents });
    expect(created.status).toBe(200);
  };

  const runToEnd = async (workflowId: string, argument?: unknown) => {
    const started = await call('POST', `${PARENT}/workflows/${workflowId}/executions`, {
      ...(argument === undefined ? {} : { argument: JSON.stringify(argument) }),
    });
    expect(started.status).toBe(200);
    return server.waitForExecution(started.body.name as string);
  };

  beforeAll(async () => {
    simulator = await startFixtureSimulator({ timeScale: 0 });
    const clock = createVirtualClock(START);
    server = await startLocalWorkflowsServer({
      projectId: PROJECT,
      location: LOCATION,
      clock,
      connectors: createSimulatorConnectors({ endpoints: simulator.endpoints, clock }),
    });
  });

  afterAll(async () => {
    await server.stop();
    await simulator.close();
  });

  it('times out await_callback on the clock (corpus TestCallbacks_Timeout)', async () => {
    // Prepare
    await deploy(
      'callback-timeout',
      readFileSync(resolve(CORPUS, 'callbacks/TestCallbacks_Timeout.yaml'), 'utf8'),
    );

    // Act
    const ended = await runToEnd('callback-timeout');

    // Assert
    expect(ended.state).toBe('SUCCEEDED');
    expect(JSON.parse(ended.result as string)).toMatchObject({ timed_out: true });
    expect(ended.duration).toBe('2s');
  });

  it('reports the virtual start, end and duration of a one-day sleep', async () => {
    // Prepare
    await deploy('sleep-a-day', SLEEP_A_DAY);

    // Act
    const ended = await runToEnd('sleep-a-day');

    // Assert
    expect(ended.state).toBe('SUCCEEDED');
    expect(ended.duration).toBe('86400s');
    expect(Date.parse(ended.endTime as string) - Date.parse(ended.startTime as string)).toBe(86_400_000);
  });

  it('runs connector steps against the simulator: an LRO waited for, a 404 caught as HttpError', async () => {
    // Prepare
    await deploy('sql-backup', BACKUP_RUNBOOK);

    // Act
    const ended = await runToEnd('sql-backup', { project: PROJECT, instance: 'acme-kfp-mysql-7f3a9c1e' });
    const history = await call('GET', `${ended.name}/stepEntries`);

    // Assert
    expect(ended.state).toBe('SUCCEEDED');
    expect(JSON.parse(ended.result as string)).toEqual({
      status: 'DONE',
      operationType: 'BACKUP_VOLUME',
      missing_code: 404,
      missing_tags: ['HttpError'],
    });
    const entries = history.body.stepEntries as Array<{ step: string; stepType: string; state: string }>;
    expect(entries.map((entry) => [entry.step, entry.stepType, entry.state])).toEqual([
      ['init', 'STEP_ASSIGN', 'STATE_SUCCEEDED'],
      ['backup', 'STEP_CONNECTOR_CALL', 'STATE_SUCCEEDED'],
      ['read_missing', 'STEP_TRY_RETRY_EXCEPT', 'STATE_SUCCEEDED'],
      ['read_missing', 'STEP_CONNECTOR_CALL', 'STATE_FAILED'],
      ['keep', 'STEP_ASSIGN', 'STATE_SUCCEEDED'],
      ['done', 'STEP_RETURN', 'STATE_SUCCEEDED'],
    ]);
  });
});
