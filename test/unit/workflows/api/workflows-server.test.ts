import { v1 } from '@google-cloud/workflows';
import { PassThroughClient } from 'google-auth-library';
import {
  auth as executionsAuth,
  workflowexecutions,
  type workflowexecutions_v1,
} from 'googleapis/build/src/apis/workflowexecutions';
import {
  type workflows_v1,
  workflows as workflowsApi,
  auth as workflowsAuth,
} from 'googleapis/build/src/apis/workflows';
import { type RunningWorkflowsServer, startLocalWorkflowsServer } from '../../../../local/workflows/api';
import type { ConnectorService } from '../../../../local/workflows/engine';
import { createSystemClock } from '../../../../local/workflows/engine';
import { fakeDiscoveryAuth, gaxRestOptions, rootUrlOf } from '../../../helpers/simulator';

/**
 * The local Workflows + Executions APIs driven by Google's own clients: the `googleapis` Workflows
 * client deploys (create/patch return long-running operations), `@google-cloud/workflows`'
 * ExecutionsClient (REST transport) runs, watches, lists and cancels executions, and the
 * `googleapis` executions client reads the step history and the callbacks. Executions run on the
 * real engine and the system clock; nothing here sleeps longer than a few milliseconds.
 */

const PROJECT = 'acme-ml-prod';
const LOCATION = 'us-central1';
const PARENT = `projects/${PROJECT}/locations/${LOCATION}`;

const noConnectors: ConnectorService = {
  call: (name) => Promise.reject(new Error(`no connector ${name} in this test`)),
};

const GREETING = `main:
  params: [args]
  steps:
    - build:
        assign:
          - greeting: \${"Hello " + args.name}
          - project: \${sys.get_env("GOOGLE_CLOUD_PROJECT_ID")}
          - team: \${sys.get_env("TEAM")}
    - log:
        call: sys.log
        args:
          text: \${greeting}
          severity: INFO
    - done:
        return:
          greeting: \${greeting}
          project: \${project}
          team: \${team}
          execution: \${sys.get_env("GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID")}
`;

const FAILING = `main:
  steps:
    - check:
        raise:
          code: 42
          message: quota exhausted
`;

const SLEEPING = `main:
  steps:
    - wait:
        call: sys.sleep
        args:
          seconds: 3600
`;

const CALLBACK = `main:
  steps:
    - create:
        call: events.create_callback_endpoint
        args:
          http_callback_method: POST
        result: callback
    - announce:
        call: sys.log
        args:
          text: \${callback.url}
    - wait:
        call: events.await_callback
        args:
          callback: \${callback}
          timeout: 60
        result: received
    - done:
        return: \${received.http_request.body}
`;

/** `line 5` has an unknown step in `next`. */
const BROKEN = `main:
  steps:
    - first:
        assign:
          - x: 1
        next: nowhere
`;

describe('local Workflows server with the official clients', () => {
  let server: RunningWorkflowsServer;
  let executions: v1.ExecutionsClient;
  let workflowsClient: workflows_v1.Workflows;
  let executionsRest: workflowexecutions_v1.Workflowexecutions;

  const deploy = async (workflowId: string, sourceContents: string, userEnvVars?: Record<string, string>) => {
    const { data: operation } = await workflowsClient.projects.locations.workflows.create({
      parent: PARENT,
      workflowId,
      requestBody: { sourceContents, ...(userEnvVars ? { userEnvVars } : {}) },
    });
    const { data: done } = await workflowsClient.projects.locations.operations.get({
      name: operation.name as string,
    });
    return done;
  };

  const run = async (workflowId: string, argument?: unknown) => {
    const [execution] = await executions.createExecution({
      parent: `${PARENT}/workflows/${workflowId}`,
      execution: argument === undefined ? {} : { argument: JSON.stringify(argument) },
    });
    return execution;
  };

  const pollUntilEnded = async (name: string) => {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const [execution] = await executions.getExecution({ name });
      if (execution.state !== 'ACTIVE') return execution;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`${name} did not end`);
  };

  const httpStatusOf = async (promise: Promise<unknown>): Promise<{ code?: number; message: string }> => {
    try {
      await promise;
    } catch (thrown) {
      return thrown as { code?: number; message: string };
    }
    throw new Error('expected the request to fail');
  };

  beforeAll(async () => {
    server = await startLocalWorkflowsServer({
      projectId: PROJECT,
      location: LOCATION,
      clock: createSystemClock(),
      connectors: noConnectors,
    });
    // @google-cloud/workflows 5.1.1 runs on gax 5, which reads error responses itself but calls the
    // auth client's fetch, and google-auth-library >= 10 throws a GaxiosError on any status >= 400
    // first (code = the HTTP status, message = the raw body). Accepting every status at the auth
    // client lets gax decode Google's error body into a GoogleError with the gRPC code, as intended.
    // The cast: gax 5 types the client with its own google-auth-library 10, the root one is 11.
    const authClient = new PassThroughClient({
      transporterOptions: { fetchImplementation: fetch, validateStatus: () => true },
    }) as unknown as NonNullable<ConstructorParameters<typeof v1.ExecutionsClient>[0]>['authClient'];
    executions = new v1.ExecutionsClient({ ...gaxRestOptions(server.url), authClient });
    workflowsClient = workflowsApi({
      version: 'v1',
      auth: fakeDiscoveryAuth(workflowsAuth.OAuth2),
      rootUrl: rootUrlOf(server.url),
    });
    executionsRest = workflowexecutions({
      version: 'v1',
      auth: fakeDiscoveryAuth(executionsAuth.OAuth2),
      rootUrl: rootUrlOf(server.url),
    });
    await deploy('greeting', GREETING, { TEAM: 'ml-platform' });
    await deploy('failing', FAILING);
    await deploy('sleeping', SLEEPING);
    await deploy('callback', CALLBACK);
  });

  afterAll(async () => {
    await executions.close();
    await server.stop();
  });

  it('deploys through a long-running operation whose response is the workflow', async () => {
    // Act
    const operation = await deploy('deployed', GREETING);
    const { data: workflow } = await workflowsClient.projects.locations.workflows.get({
      name: `${PARENT}/workflows/deployed`,
    });

    // Assert
    expect(operation.done).toBe(true);
    expect(operation.name).toMatch(new RegExp(`^${PARENT}/operations/`));
    expect(operation.response).toMatchObject({
      '@type': 'type.googleapis.com/google.cloud.workflows.v1.Workflow',
      name: `${PARENT}/workflows/deployed`,
    });
    expect(workflow).toMatchObject({
      name: `${PARENT}/workflows/deployed`,
      state: 'ACTIVE',
      sourceContents: GREETING,
    });
    expect(workflow.revisionId).toMatch(/^000001-[0-9a-f]{3}$/);
    expect(workflow.createTime).toBe(workflow.revisionCreateTime);
  });

  it('refuses a workflow with a syntax error, naming line, column and reason', async () => {
    // Act
    const error = await httpStatusOf(
      workflowsClient.projects.locations.workflows.create({
        parent: PARENT,
        workflowId: 'broken',
        requestBody: { sourceContents: BROKEN },
      }),
    );

    // Assert
    expect(error.code).toBe(400);
    expect(error.message).toMatch(/line 6, column \d+: .*nowhere/);
    const missing = await httpStatusOf(
      workflowsClient.projects.locations.workflows.get({ name: `${PARENT}/workflows/broken` }),
    );
    expect(missing.code).toBe(404);
  });

  it('refuses a second workflow with the same id as ALREADY_EXISTS', async () => {
    // Act
    const error = await httpStatusOf(deploy('greeting', GREETING));

    // Assert
    expect(error.code).toBe(409);
  });

  it('makes a new revision when the source changes, and lists workflows', async () => {
    // Prepare
    await deploy('patched', GREETING);

    // Act
    const { data: operation } = await workflowsClient.projects.locations.workflows.patch({
      name: `${PARENT}/workflows/patched`,
      updateMask: 'sourceContents,description',
      requestBody: { sourceContents: FAILING, description: 'now failing' },
    });
    const { data: list } = await workflowsClient.projects.locations.workflows.list({ parent: PARENT });

    // Assert
    expect(operation.done).toBe(true);
    expect(operation.response).toMatchObject({ description: 'now failing', sourceContents: FAILING });
    expect((operation.response as { revisionId: string }).revisionId).toMatch(/^000002-[0-9a-f]{3}$/);
    expect(list.workflows?.map((workflow) => workflow.name)).toContain(`${PARENT}/workflows/patched`);
  });

  it('runs an execution to SUCCEEDED with its JSON result, env vars and duration', async () => {
    // Act
    const started = await run('greeting', { name: 'Ada' });
    const ended = await pollUntilEnded(started.name as string);

    // Assert
    expect(started.state).toBe('ACTIVE');
    expect(started.argument).toBe('{"name":"Ada"}');
    expect(ended.state).toBe('SUCCEEDED');
    const executionId = (started.name as string).split('/').at(-1);
    expect(JSON.parse(ended.result as string)).toEqual({
      greeting: 'Hello Ada',
      project: PROJECT,
      team: 'ml-platform',
      execution: executionId,
    });
    expect(ended.error).toBeNull();
    expect(ended.workflowRevisionId).toMatch(/^000001-/);
    expect(Number(ended.duration?.seconds ?? 0) * 1e9 + (ended.duration?.nanos ?? 0)).toBeGreaterThanOrEqual(
      0,
    );
    expect(ended.endTime).toBeTruthy();
    expect(server.logs(started.name as string).map((entry) => entry.payload)).toEqual(['Hello Ada']);
  });

  it('reports a FAILED execution with the raised value as error.payload and a stack trace', async () => {
    // Act
    const started = await run('failing');
    const ended = await pollUntilEnded(started.name as string);

    // Assert
    expect(ended.state).toBe('FAILED');
    expect(JSON.parse(ended.error?.payload as string)).toEqual({ code: 42, message: 'quota exhausted' });
    expect(ended.error?.context).toContain('check');
    expect(ended.error?.stackTrace?.elements?.[0]).toMatchObject({ step: 'check', routine: 'main' });
    expect(ended.result).toBe('');
  });

  it('cancels a sleeping execution, and refuses to cancel it twice', async () => {
    // Prepare
    const started = await run('sleeping');
    let running = started;
    for (let attempt = 0; attempt < 100 && running.status?.currentSteps?.length !== 1; attempt += 1) {
      [running] = await executions.getExecution({ name: started.name as string });
    }

    // Act
    const [cancelled] = await executions.cancelExecution({ name: started.name as string });
    const [basic] = await executions.getExecution({ name: started.name as string, view: 'BASIC' });
    const again = await httpStatusOf(executions.cancelExecution({ name: started.name as string }));

    // Assert
    expect(running.state).toBe('ACTIVE');
    expect(running.status?.currentSteps).toEqual([{ routine: 'main', step: 'wait' }]);
    expect(cancelled.state).toBe('CANCELLED');
    expect(cancelled.error?.payload).toBeTruthy();
    expect(cancelled.endTime).toBeTruthy();
    expect(again.code).toBe(9); // FAILED_PRECONDITION
    expect(basic.state).toBe('CANCELLED');
    expect(basic.argument).toBe('');
    expect(basic.status).toBeNull();
  });

  it('lists executions newest first and filters by state', async () => {
    // Prepare
    const first = await run('sleeping');
    const second = await run('sleeping');

    // Act
    const [all] = await executions.listExecutions(
      { parent: `${PARENT}/workflows/sleeping`, pageSize: 50 },
      { autoPaginate: false },
    );
    const [active] = await executions.listExecutions(
      { parent: `${PARENT}/workflows/sleeping`, filter: 'state="ACTIVE"' },
      { autoPaginate: false },
    );
    await executions.cancelExecution({ name: first.name as string });
    await executions.cancelExecution({ name: second.name as string });

    // Assert
    expect(all.slice(0, 2).map((execution) => execution.name)).toEqual([second.name, first.name]);
    expect(active.map((execution) => execution.name).sort()).toEqual([first.name, second.name].sort());
    expect(all.some((execution) => execution.state === 'CANCELLED')).toBe(true);
  });

  it('pages executions with pageSize and pageToken', async () => {
    // Prepare
    for (let index = 0; index < 3; index += 1) await pollUntilEnded((await run('failing')).name as string);

    // Act
    const [page1, , response1] = await executions.listExecutions(
      { parent: `${PARENT}/workflows/failing`, pageSize: 2 },
      { autoPaginate: false },
    );
    const [page2] = await executions.listExecutions(
      { parent: `${PARENT}/workflows/failing`, pageSize: 2, pageToken: response1?.nextPageToken as string },
      { autoPaginate: false },
    );

    // Assert
    expect(page1).toHaveLength(2);
    expect(page2.length).toBeGreaterThanOrEqual(1);
    expect(page2.map((execution) => execution.name)).not.toContain(page1[0]?.name);
  });

  it('delivers a POST on the callback URL to the waiting execution', async () => {
    // Prepare
    const started = await run('callback');
    const name = started.name as string;
    let callbackUrl: string | undefined;
    for (let attempt = 0; attempt < 200 && !callbackUrl; attempt += 1) {
      const { data } = await executionsRest.projects.locations.workflows.executions.callbacks.list({
        parent: name,
      });
      if (data.callbacks?.[0]?.waiters === '1') callbackUrl = `${server.url}/v1/${data.callbacks[0].name}`;
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }

    // Act
    const delivered = await fetch(callbackUrl as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ approved: true, by: 'oncall' }),
    });
    const ended = await pollUntilEnded(name);

    // Assert
    expect(server.logs(name)[0]?.payload).toBe(callbackUrl);
    expect(callbackUrl).toMatch(new RegExp(`^${server.url}/v1/${name}/callbacks/[^/]+$`));
    expect(delivered.status).toBe(200);
    expect(await delivered.json()).toEqual({});
    expect(ended.state).toBe('SUCCEEDED');
    expect(JSON.parse(ended.result as string)).toEqual({ approved: true, by: 'oncall' });
    const late = await fetch(callbackUrl as string, { method: 'POST', body: '{}' });
    expect(late.status).toBe(404);
  });

  it('serves the step history through the googleapis executions client', async () => {
    // Prepare
    const started = await run('greeting', { name: 'Grace' });
    await pollUntilEnded(started.name as string);

    // Act
    const { data } = await executionsRest.projects.locations.workflows.executions.stepEntries.list({
      parent: started.name as string,
    });
    const { data: second } = await executionsRest.projects.locations.workflows.executions.stepEntries.get({
      name: `${started.name}/stepEntries/2`,
    });

    // Assert
    expect(data.stepEntries?.map((entry) => [entry.step, entry.stepType, entry.state])).toEqual([
      ['build', 'STEP_ASSIGN', 'STATE_SUCCEEDED'],
      ['log', 'STEP_STD_LIB_CALL', 'STATE_SUCCEEDED'],
      ['done', 'STEP_RETURN', 'STATE_SUCCEEDED'],
    ]);
    expect(data.stepEntries?.[0]).toMatchObject({
      routine: 'main',
      entryId: '1',
      name: `${started.name}/stepEntries/1`,
    });
    expect(data.totalSize).toBe(3);
    expect(second.step).toBe('log');
  });

  it('answers Google-shaped errors: bad argument, oversized argument, unknown execution, other project', async () => {
    // Act
    const badJson = await httpStatusOf(
      executions.createExecution({
        parent: `${PARENT}/workflows/greeting`,
        execution: { argument: '{"name":' },
      }),
    );
    const tooBig = await httpStatusOf(
      executions.createExecution({
        parent: `${PARENT}/workflows/greeting`,
        execution: { argument: JSON.stringify({ blob: 'x'.repeat(33 * 1024) }) },
      }),
    );
    const unknown = await httpStatusOf(
      executions.getExecution({ name: `${PARENT}/workflows/greeting/executions/nope` }),
    );
    const otherProject = await fetch(
      `${server.url}/v1/projects/other/locations/${LOCATION}/workflows/greeting`,
    );

    // Assert
    expect(badJson.code).toBe(3); // INVALID_ARGUMENT
    expect(badJson.message).toContain('not valid JSON');
    expect(tooBig.code).toBe(3);
    expect(unknown.code).toBe(5); // NOT_FOUND
    expect(otherProject.status).toBe(404);
    expect(await otherProject.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
  });

  it('deletes a workflow and its executions', async () => {
    // Prepare
    await deploy('doomed', SLEEPING);
    const started = await run('doomed');

    // Act
    const { data: operation } = await workflowsClient.projects.locations.workflows.delete({
      name: `${PARENT}/workflows/doomed`,
    });
    const gone = await httpStatusOf(executions.getExecution({ name: started.name as string }));

    // Assert
    expect(operation.done).toBe(true);
    expect(gone.code).toBe(5);
  });
});
