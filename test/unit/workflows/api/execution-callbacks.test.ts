import { SimulatorApiError } from '../../../../local/simulator/api-error';
import { createExecutionCallbacks, type IncomingCallback } from '../../../../local/workflows/api';
import { createVirtualClock, WorkflowRuntimeError } from '../../../../local/workflows/engine';

/**
 * The callback endpoints of one execution in isolation, on a virtual clock: Google-shaped URLs,
 * requests queued until a step waits, method checks, and timeouts measured on the clock.
 */

const EXECUTION = 'projects/p/locations/l/workflows/w/executions/e1';
const BASE = 'http://127.0.0.1:1234';

const request = (method: string, body: unknown): IncomingCallback => ({
  method,
  url: '/v1/x',
  headers: { 'content-type': 'application/json' },
  query: {},
  body,
});

const setup = () => {
  let counter = 0;
  const clock = createVirtualClock(Date.parse('2025-06-02T08:00:00Z'));
  const callbacks = createExecutionCallbacks({
    executionName: EXECUTION,
    baseUrl: BASE,
    clock,
    newId: () => `cb${++counter}`,
  });
  return { clock, callbacks };
};

describe('execution callbacks', () => {
  it('hands out URLs on the server shaped like Google callback URLs', async () => {
    // Prepare
    const { callbacks } = setup();

    // Act
    const { url } = await callbacks.create('POST');

    // Assert
    expect(url).toBe(`${BASE}/v1/${EXECUTION}/callbacks/cb1`);
    expect(callbacks.list()).toEqual([
      { name: `${EXECUTION}/callbacks/cb1`, method: 'POST', waiters: '0', availablePayloads: [] },
    ]);
  });

  it('queues a request that arrives before the wait and hands it to the next wait', async () => {
    // Prepare
    const { callbacks } = setup();
    const { url } = await callbacks.create('POST');

    // Act
    callbacks.deliver('cb1', request('POST', { n: 1 }));
    callbacks.deliver('cb1', request('post', { n: 2 }));
    const listed = callbacks.list()[0];
    const first = await callbacks.await(url, 60_000);
    const second = await callbacks.await(url, 60_000);

    // Assert
    expect(listed?.availablePayloads).toEqual(['{"n":1}', '{"n":2}']);
    expect(first).toMatchObject({ method: 'POST', body: { n: 1 } });
    expect(second).toMatchObject({ method: 'POST', body: { n: 2 } });
  });

  it('wakes a waiting step when a request arrives, stamped with the clock time', async () => {
    // Prepare
    const { callbacks, clock } = setup();
    const { url } = await callbacks.create('ANY');
    const waiting = callbacks.await(url, 60_000);

    // Act
    callbacks.deliver('cb1', request('PUT', 'text body'));
    const received = await waiting;

    // Assert
    expect(received).toMatchObject({ method: 'PUT', body: 'text body', receivedAt: clock.now() });
  });

  it('times out on the clock, and refuses a method the endpoint does not accept or an unknown id', async () => {
    // Prepare
    const { callbacks, clock } = setup();
    const { url } = await callbacks.create('GET');
    const started = clock.now();

    // Act
    const outcome = await callbacks.await(url, 30_000);
    const wrongMethod = (() => {
      try {
        callbacks.deliver('cb1', request('POST', null));
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    const unknownId = (() => {
      try {
        callbacks.deliver('nope', request('GET', null));
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();

    // Assert
    expect(outcome).toBe('timeout');
    expect(clock.now() - started).toBe(30_000);
    expect(wrongMethod).toBeInstanceOf(SimulatorApiError);
    expect((wrongMethod as SimulatorApiError).status).toBe('INVALID_ARGUMENT');
    expect((unknownId as SimulatorApiError).status).toBe('NOT_FOUND');
    expect(callbacks.list()[0]?.waiters).toBe('0');
  });

  it('rejects a wait on a URL it did not create and a method Workflows does not know', async () => {
    // Prepare
    const { callbacks } = setup();

    // Act
    const unknownUrl = callbacks.await(`${BASE}/v1/${EXECUTION}/callbacks/other`, 1000);
    const badMethod = callbacks.create('FETCH');

    // Assert
    await expect(unknownUrl).rejects.toBeInstanceOf(WorkflowRuntimeError);
    await expect(badMethod).rejects.toMatchObject({ tags: ['ValueError'] });
  });

  it('stops waiting when the execution is cancelled', async () => {
    // Prepare
    const { callbacks } = setup();
    const { url } = await callbacks.create('POST');
    const controller = new AbortController();
    const waiting = callbacks.await(url, 60_000, controller.signal);

    // Act
    controller.abort(new Error('cancelled'));

    // Assert
    await expect(waiting).rejects.toThrow('cancelled');
    expect(callbacks.list()[0]?.waiters).toBe('0');
  });
});
