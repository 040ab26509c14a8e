import { type RunningWorkflowsServer, startLocalWorkflowsServer } from '../../../../local/workflows/api';
import {
  createSystemClock,
  type ExecutionServices,
  type StepEvent,
} from '../../../../local/workflows/engine';

/**
 * The server with an engine of the test's own, through the `engine` option: what the server does
 * with whatever an engine reports — validation issues, step events, env and services handed to
 * the run, and an engine that throws instead of reporting an outcome.
 */

const PARENT = 'projects/p/locations/l';

describe('local Workflows server with a stand-in engine', () => {
  let server: RunningWorkflowsServer;
  const seen: { source?: string; argument?: unknown; env?: ExecutionServices['env'] } = {};

  beforeAll(async () => {
    server = await startLocalWorkflowsServer({
      projectId: 'p',
      location: 'l',
      clock: createSystemClock(),
      connectors: { call: () => Promise.resolve(null) },
      newId: (() => {
        let counter = 0;
        return () => `id-${++counter}`;
      })(),
      engine: {
        compileWorkflow(source) {
          if (source.includes('bad')) {
            throw Object.assign(new Error('invalid'), {
              issues: [
                { line: 2, column: 7, message: 'first problem' },
                { line: 9, column: 1, message: 'second problem' },
              ],
            });
          }
          return { source };
        },
        async runWorkflow(workflow, argument, { services, onStep }) {
          seen.source = (workflow as { source: string }).source;
          seen.argument = argument;
          seen.env = services.env;
          const event = (step: string, state: StepEvent['state']): StepEvent => ({
            routine: 'main',
            step,
            path: [],
            at: services.clock.now(),
            state,
          });
          onStep?.(event('only', 'started'));
          onStep?.(event('only', 'succeeded'));
          if (seen.source === 'explode') throw new Error('engine bug');
          return { state: 'SUCCEEDED', result: 7n };
        },
      },
    });
  });

  afterAll(async () => {
    await server.stop();
  });

  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${server.url}/v1/${path}`, { method: 'POST', body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('lists every validation issue of a refused deploy as "line L, column C: reason"', async () => {
    // Act
    const refused = await post(`${PARENT}/workflows?workflowId=w1`, { sourceContents: 'bad' });

    // Assert
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect((refused.body.error as { message: string }).message).toBe(
      'Workflow w1 is not valid (2 issues):\nline 2, column 7: first problem\nline 9, column 1: second problem',
    );
  });

  it('runs the compiled revision with the argument, the GOOGLE_CLOUD_* env and the user env vars', async () => {
    // Prepare
    await post(`${PARENT}/workflows?workflowId=w2`, {
      sourceContents: 'fine',
      userEnvVars: { TIER: 'gold' },
    });

    // Act
    const started = await post(`${PARENT}/workflows/w2/executions`, { argument: '{"n":1.0,"m":2}' });
    const ended = await server.waitForExecution(started.body.name as string);

    // Assert
    expect(ended).toMatchObject({ state: 'SUCCEEDED', result: '7' });
    expect(seen.source).toBe('fine');
    expect(seen.argument).toEqual(
      new Map<string, unknown>([
        ['n', 1],
        ['m', 2n],
      ]),
    );
    expect(seen.env).toEqual({
      TIER: 'gold',
      GOOGLE_CLOUD_PROJECT_ID: 'p',
      GOOGLE_CLOUD_LOCATION: 'l',
      GOOGLE_CLOUD_WORKFLOW_ID: 'w2',
      GOOGLE_CLOUD_WORKFLOW_REVISION_ID: ended.workflowRevisionId,
      GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID: (started.body.name as string).split('/').at(-1),
    });
    expect(ended.status).toEqual({ currentSteps: [{ routine: 'main', step: 'only' }] });
  });

  it('reports an engine that throws as a FAILED execution with a SystemError payload', async () => {
    // Prepare
    await post(`${PARENT}/workflows?workflowId=w3`, { sourceContents: 'explode' });

    // Act
    const started = await post(`${PARENT}/workflows/w3/executions`, {});
    const ended = await server.waitForExecution(started.body.name as string);

    // Assert
    expect(ended.state).toBe('FAILED');
    expect(JSON.parse((ended.error as { payload: string }).payload)).toEqual({
      message: 'engine bug',
      tags: ['SystemError'],
    });
  });
});
