import type { WorkflowHttpRequest } from '../../../../local/workflows/engine/runtime-types';
import { makeHarness, runSource, START } from './interpreter-harness';

describe('runWorkflow: parallel steps', () => {
  it('adds to a shared variable from every iteration without losing an update', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - total: 0
          - seen: {}
    - sum:
        parallel:
          shared: [total, seen]
          for:
            value: n
            range: [1, 100]
            steps:
              - add:
                  assign:
                    - local_copy: \${n}
                    - total: \${total + local_copy}
                    - seen[string(n)]: true
    - done:
        return: \${[total, len(seen)]}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toEqual([5050, 100]);
  });

  it('keeps branch-local variables in their branch and shares only the listed ones', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - out: {}
          - readable: "parent"
    - fan:
        parallel:
          shared: [out]
          branches:
            - a:
                steps:
                  - set_a:
                      assign:
                        - mine: "a"
                        - out.a: \${mine + "/" + readable}
            - b:
                steps:
                  - set_b:
                      assign:
                        - mine: "b"
                        - out.b: \${mine + "/" + readable}
    - done:
        return: \${out}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toEqual({ a: 'a/parent', b: 'b/parent' });
  });

  it('ends two branches sleeping 10 s and 5 s at +10 s on the virtual clock', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - ends: {}
    - fan:
        parallel:
          shared: [ends]
          branches:
            - slow:
                steps:
                  - wait10:
                      call: sys.sleep
                      args: {seconds: 10}
                  - mark10:
                      assign:
                        - ends.slow: \${sys.now()}
            - fast:
                steps:
                  - wait5:
                      call: sys.sleep
                      args: {seconds: 5}
                  - mark5:
                      assign:
                        - ends.fast: \${sys.now()}
    - done:
        return: \${ends}
`;
    const harness = makeHarness();
    // Act
    const { result } = await runSource(source, { harness });
    // Assert
    expect(result).toEqual({ slow: START / 1000 + 10, fast: START / 1000 + 5 });
    expect(harness.clock.now()).toBe(START + 10_000);
  });

  it('runs at most concurrency_limit iterations at once', async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    const harness = makeHarness();
    harness.services.http = async (request: WorkflowHttpRequest) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await harness.clock.sleep(1000);
      inFlight -= 1;
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: new TextEncoder().encode(request.url.length.toString()),
      };
    };
    const source = `
main:
  steps:
    - fan:
        parallel:
          concurrency_limit: 3
          for:
            value: n
            range: [1, 10]
            steps:
              - get:
                  call: http.get
                  args: {url: "http://example.test/x"}
`;
    // Act
    const { state } = await runSource(source, { harness });
    // Assert
    expect(state).toBe('SUCCEEDED');
    expect(peak).toBe(3);
    expect(harness.clock.now()).toBe(START + 4000);
  });

  it('runs at most 20 branches and iterations at once in an execution, queueing the rest', async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    const harness = makeHarness();
    harness.services.http = async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await harness.clock.sleep(1000);
      inFlight -= 1;
      return { status: 204, headers: {}, body: new Uint8Array() };
    };
    const source = `
main:
  steps:
    - fan:
        parallel:
          for:
            value: n
            range: [1, 50]
            steps:
              - get:
                  call: http.get
                  args: {url: "http://example.test/x"}
`;
    // Act
    const { state } = await runSource(source, { harness });
    // Assert
    expect(state).toBe('SUCCEEDED');
    expect(peak).toBe(20);
    expect(harness.clock.now()).toBe(START + 3000);
  });

  it('lets every branch finish, then raises UnhandledBranchError listing the failed ones (continueAll)', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - done_slow: false
    - attempt:
        try:
          parallel:
            shared: [done_slow]
            branches:
              - fails:
                  steps:
                    - boom:
                        raise: "broken"
              - slow:
                  steps:
                    - wait:
                        call: sys.sleep
                        args: {seconds: 30}
                    - mark:
                        assign:
                          - done_slow: true
        except:
          as: e
          steps:
            - report:
                return: \${[e.tags, e.branches, done_slow]}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toEqual([['UnhandledBranchError'], [{ id: 'fails', error: 'broken' }], true]);
  });

  it('stops the other branches and re-raises the first error with the abortOthers default', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - done_slow: false
    - attempt:
        try:
          parallel:
            shared: [done_slow]
            branches:
              - fails:
                  steps:
                    - boom:
                        raise: "broken"
              - slow:
                  steps:
                    - wait:
                        call: sys.sleep
                        args: {seconds: 30}
                    - mark:
                        assign:
                          - done_slow: true
        except:
          as: e
          steps:
            - report:
                return: \${[e, done_slow, sys.now()]}
`;
    // Act
    const { result } = await runSource(source, { defaultExceptionPolicy: 'abortOthers' });
    // Assert
    expect(result).toEqual(['broken', false, START / 1000]);
  });

  it('raises ParallelNestingError in the branch where a subworkflow opens a third parallel level', async () => {
    // Prepare
    const branch = (name: string, body: string) => `            - ${name}:\n                steps:\n${body}`;
    const source = `
main:
  steps:
    - attempt:
        try:
          call: level
          args: {depth: 1}
        except:
          as: e
          steps:
            - report:
                return: \${[e.tags, e.branches[0].error.branches[0].error.tags]}
level:
  params: [depth]
  steps:
    - fan:
        parallel:
          branches:
${branch('one', `                  - go:\n                      call: deeper\n                      args:\n                        depth: \${depth}\n`)}
${branch('two', '                  - idle:\n                      assign:\n                        - x: 1\n')}
deeper:
  params: [depth]
  steps:
    - check:
        switch:
          - condition: \${depth >= 3}
            return: 0
    - again:
        call: level
        args:
          depth: \${depth + 1}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toEqual([['UnhandledBranchError'], ['ParallelNestingError']]);
  });
});

describe('runWorkflow: retries, sleeps, callbacks, cancellation', () => {
  it('re-runs the whole try block with backoff waits on the execution clock', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - attempts: 0
          - times: []
    - flaky:
        try:
          steps:
            - count:
                assign:
                  - attempts: \${attempts + 1}
                  - times: \${list.concat(times, sys.now())}
            - fail_early:
                switch:
                  - condition: \${attempts < 4}
                    raise: {code: 503, message: "busy"}
        retry:
          predicate: \${is_busy}
          max_retries: 5
          backoff:
            initial_delay: 1
            max_delay: 3
            multiplier: 2
    - done:
        return: \${times}
is_busy:
  params: [e]
  steps:
    - check:
        return: \${e.code == 503}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    const start = START / 1000;
    expect(result).toEqual([start, start + 1, start + 3, start + 6]);
  });

  it('gives up after max_retries and hands the error to except', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - attempts: 0
    - always_fails:
        try:
          steps:
            - count:
                assign:
                  - attempts: \${attempts + 1}
            - fail:
                raise: {code: 429, message: "slow down", tags: ["HttpError"]}
        retry: \${http.default_retry}
        except:
          as: e
          steps:
            - report:
                return: \${[attempts, e.code]}
`;
    const harness = makeHarness();
    // Act
    const { result } = await runSource(source, { harness });
    // Assert
    expect(result).toEqual([6, 429]);
    // 1 + 1.25 + 1.5625 + 1.953125 + 2.44140625 s of default backoff
    expect(harness.clock.now()).toBe(START + 8_207.03125);
  });

  it('does not retry what the predicate refuses', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - attempts: 0
    - once:
        try:
          steps:
            - count:
                assign:
                  - attempts: \${attempts + 1}
            - fail:
                raise: "no"
        retry:
          predicate: \${retry.never}
          max_retries: 10
        except:
          as: e
          steps:
            - report:
                return: \${attempts}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toBe(1);
  });

  it('sleeps a whole day in virtual time without waiting for it', async () => {
    // Prepare
    const source = `
- nap:
    call: sys.sleep
    args: {seconds: 86400}
- until:
    call: sys.sleep_until
    args: {time: "2026-01-03T00:00:00Z"}
- done:
    return: \${sys.now()}
`;
    const startedAt = Date.now();
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toBe(START / 1000 + 2 * 86_400);
    expect(Date.now() - startedAt).toBeLessThan(1000);
  });

  it('receives a callback delivered to its endpoint', async () => {
    // Prepare
    const harness = makeHarness();
    const source = `
- make:
    call: events.create_callback_endpoint
    args: {http_callback_method: "POST"}
    result: endpoint
- wait:
    call: events.await_callback
    args:
      callback: \${endpoint}
      timeout: 60
    result: received
- done:
    return: \${received.http_request}
`;
    const create = harness.callbacks.create.bind(harness.callbacks);
    harness.services.callbacks = {
      ...harness.callbacks,
      create: async (method) => {
        const endpoint = await create(method);
        harness.callbacks.deliver(endpoint.url, {
          method: 'POST',
          body: { approved: true },
          query: { a: ['1'] },
        });
        return endpoint;
      },
    };
    // Act
    const { result } = await runSource(source, { harness });
    // Assert
    expect(result).toMatchObject({ method: 'POST', body: { approved: true }, query: { a: ['1'] } });
  });

  it('raises TimeoutError when no callback comes before the timeout', async () => {
    // Prepare
    const source = `
- make:
    call: events.create_callback_endpoint
    result: endpoint
- wait:
    try:
      call: events.await_callback
      args:
        callback: \${endpoint}
        timeout: 3600
    except:
      as: e
      steps:
        - report:
            return: \${[e.tags, sys.now()]}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toEqual([['TimeoutError'], START / 1000 + 3600]);
  });

  it('is CANCELLED when its signal aborts during a sleep, and no except runs', async () => {
    // Prepare
    const controller = new AbortController();
    const harness = makeHarness();
    const source = `
main:
  steps:
    - wait:
        try:
          call: sys.sleep
          args: {seconds: 3600}
        except:
          steps:
            - swallowed:
                return: "caught"
`;
    // Act
    const running = runSource(source, { harness, signal: controller.signal });
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    const { state, outcome } = await running;
    // Assert
    expect(state).toBe('CANCELLED');
    expect(harness.events.some((event) => event.step === 'swallowed')).toBe(false);
    expect(outcome.state === 'CANCELLED' && outcome.error.context).toBe('the execution was cancelled');
  });
});
