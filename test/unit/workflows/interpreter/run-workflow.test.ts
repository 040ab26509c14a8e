import { makeHarness, runSource } from './interpreter-harness';

describe('runWorkflow: assignments and scopes', () => {
  it('assigns paths into maps and lists, creating missing map keys', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - m: {a: {b: 1}}
          - l: [1, 2, 3]
          - i: 1
          - m.a.c: 2
          - m["x"]: {}
          - m.x.y: "deep"
          - l[i + 1]: 30
    - done:
        return:
          m: \${m}
          l: \${l}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toEqual({ m: { a: { b: 1, c: 2 }, x: { y: 'deep' } }, l: [1, 2, 30] });
  });

  it('copies on assignment: changing the original does not change the copy', async () => {
    // Prepare
    const source = `
- init:
    assign:
      - a: [1, 2]
      - b: \${a}
      - a[0]: 99
- done:
    return: \${[a, b]}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toEqual([
      [99, 2],
      [1, 2],
    ]);
  });

  it('raises IndexError for an assignment past the end of a list', async () => {
    // Prepare
    const source = `
- init:
    assign:
      - l: [1]
      - l[1]: 2
`;
    // Act
    const { state, error } = await runSource(source);
    // Assert
    expect(state).toBe('FAILED');
    expect(error).toMatchObject({ tags: ['IndexError'] });
  });

  it('keeps loop variables and loop-created variables inside the loop, and parent updates after it', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - total: 0
    - loop:
        for:
          value: v
          index: i
          in: [10, 20, 30]
          steps:
            - add:
                assign:
                  - inside: \${v * 2}
                  - total: \${total + v + i}
    - done:
        return: \${total}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toBe(63);
  });

  it('lets a loop body read what an earlier iteration assigned', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - steps_seen: []
    - loop:
        for:
          value: v
          in: [1, 4, 9]
          steps:
            - diff:
                switch:
                  - condition: \${v > 1}
                    assign:
                      - steps_seen: \${list.concat(steps_seen, v - previous)}
            - remember:
                assign:
                  - previous: \${v}
    - done:
        return: \${steps_seen}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toEqual([3, 5]);
  });

  it('keeps a variable created in an except block local to it, and the caught error in "as"', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - seen: null
    - attempt:
        try:
          raise: {code: 7, message: "boom"}
        except:
          as: e
          steps:
            - keep:
                assign:
                  - seen: \${e.code}
                  - local_only: true
    - done:
        return: \${seen}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toBe(7);
  });

  it('gives each subworkflow call its own variables and applies parameter defaults', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - name: "main"
    - call1:
        call: greet
        args: {first: "Ada"}
        result: a
    - call2:
        call: greet
        args: {first: "Sherlock", country: "Scotland"}
        result: b
    - done:
        return: \${[a, b, name, greet("Grace")]}
greet:
  params: [first, country: "England"]
  steps:
    - make:
        assign:
          - name: \${first + " from " + country}
    - give:
        return: \${name}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toEqual(['Ada from England', 'Sherlock from Scotland', 'main', 'Grace from England']);
  });

  it('passes the execution argument to the main parameter, and null when there is none', async () => {
    // Prepare
    const source = `
main:
  params: [args]
  steps:
    - done:
        return: \${args}
`;
    // Act
    const withArgument = await runSource(source, { argument: { x: [1, 2.5] } });
    const without = await runSource(source);
    // Assert
    expect(withArgument.result).toEqual({ x: [1, 2.5] });
    expect(without.result).toBeNull();
  });
});

describe('runWorkflow: control flow', () => {
  it('takes the first true switch condition, applies its next, and otherwise the step next', async () => {
    // Prepare
    const source = `
main:
  params: [args]
  steps:
    - check:
        switch:
          - condition: \${args.x > 10}
            next: big
          - condition: \${args.x > 5}
            assign:
              - size: "medium"
        next: report
    - small:
        return: "small"
    - big:
        return: "big"
    - report:
        return: \${default(map.get(args, "size"), "no size") + "/" + size}
`;
    // Act
    const big = await runSource(source, { argument: { x: 20 } });
    const medium = await runSource(source, { argument: { x: 7 } });
    const none = await runSource(source, { argument: { x: 1 } });
    // Assert
    expect(big.result).toBe('big');
    expect(medium.result).toBe('no size/medium');
    expect(none.state).toBe('FAILED');
    expect(none.error).toMatchObject({ tags: ['KeyError'] });
  });

  it('raises TypeError for a switch condition that is not a boolean', async () => {
    // Prepare
    const source = `
- check:
    switch:
      - condition: \${1}
        return: "one"
`;
    // Act
    const { state, error } = await runSource(source);
    // Assert
    expect(state).toBe('FAILED');
    expect(error).toMatchObject({ tags: ['TypeError'] });
  });

  it('jumps back into a nested steps block and out of it', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - n: 0
    - polling:
        steps:
          - poll:
              assign:
                - n: \${n + 1}
          - check:
              switch:
                - condition: \${n >= 3}
                  next: finished
          - again:
              next: poll
    - unreachable:
        return: -1
    - finished:
        return: \${n}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toBe(3);
  });

  it('runs break and continue in nested loops, and ranges inclusively with doubles', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - out: []
          - doubles: []
    - outer:
        for:
          value: i
          range: [1, 3]
          steps:
            - inner:
                for:
                  value: j
                  in: [1, 2, 3, 4]
                  steps:
                    - skip_two:
                        switch:
                          - condition: \${j == 2}
                            next: continue
                          - condition: \${j > 3}
                            next: break
                    - keep:
                        assign:
                          - out: \${list.concat(out, i * 10 + j)}
    - floats:
        for:
          value: t
          range: \${[0.5, 2.6]}
          steps:
            - keep:
                assign:
                  - doubles: \${list.concat(doubles, t)}
    - done:
        return: \${[out, doubles]}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toEqual([
      [11, 13, 21, 23, 31, 33],
      [0.5, 1.5, 2.5],
    ]);
  });

  it('ends a subworkflow without a value on next: end', async () => {
    // Prepare
    const source = `
main:
  steps:
    - go:
        call: sub
        result: r
    - done:
        return: \${r}
sub:
  steps:
    - stop:
        next: end
    - never:
        return: 1
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toBeNull();
  });
});

describe('runWorkflow: errors and limits', () => {
  it('fails with the raised value as payload and a trace through the subworkflow', async () => {
    // Prepare
    const source = `main:
  steps:
    - first:
        call: failing
main2:
  steps:
    - unused:
        return: 0
failing:
  steps:
    - boom:
        raise: {code: 42, message: "bad"}
`;
    // Act
    const { outcome } = await runSource(source);
    // Assert
    expect(outcome.state).toBe('FAILED');
    if (outcome.state === 'SUCCEEDED') return;
    expect(JSON.parse(outcome.error.payload)).toEqual({ code: 42, message: 'bad' });
    expect(outcome.error.context).toBe(
      'RuntimeError in step "boom", routine "failing", line: 11\nin step "first", routine "main", line: 3',
    );
    expect(outcome.error.stackTrace.elements.map((element) => [element.routine, element.step])).toEqual([
      ['failing', 'boom'],
      ['main', 'first'],
    ]);
  });

  it('raises a catchable RecursionError past a call depth of 20', async () => {
    // Prepare
    const source = `
main:
  steps:
    - attempt:
        try:
          call: down
          args: {n: 100}
          result: r
        except:
          as: e
          steps:
            - caught:
                return: \${e.tags}
    - done:
        return: \${r}
down:
  params: [n]
  steps:
    - base:
        switch:
          - condition: \${n == 0}
            return: 0
    - deeper:
        return: \${down(n - 1) + 1}
`;
    // Act
    const deep = await runSource(source);
    const ok = await runSource(source.replace('n: 100', 'n: 19'));
    // Assert
    expect(deep.result).toEqual(['RecursionError']);
    expect(ok.result).toBe(19);
  });

  it('stops a runaway loop at 100,000 steps with a ResourceLimitError no except can catch', async () => {
    // Prepare
    const source = `
main:
  steps:
    - attempt:
        try:
          steps:
            - spin:
                next: spin
        except:
          as: e
          steps:
            - swallowed:
                return: "caught"
`;
    // Act
    const { state, error, harness } = await runSource(source);
    // Assert
    expect(state).toBe('FAILED');
    expect(error).toMatchObject({ tags: ['ResourceLimitError'] });
    expect(harness.events.filter((event) => event.state === 'started')).toHaveLength(100_000);
  });

  it('raises a catchable ResourceLimitError when variables pass 512 KB', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - s: "x"
    - attempt:
        try:
          for:
            value: i
            range: [1, 30]
            steps:
              - grow:
                  assign:
                    - s: \${s + s}
        except:
          as: e
          steps:
            - caught:
                return: \${[e.tags, len(s)]}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toEqual([['ResourceLimitError'], 262_144]);
  });

  it('raises ResourceLimitError for a string longer than 256 KB even within the memory budget', async () => {
    // Prepare
    const source = `
main:
  steps:
    - init:
        assign:
          - s: "0123456789abcdef"
    - grow:
        for:
          value: i
          range: [1, 14]
          steps:
            - double:
                assign:
                  - s: \${s + s}
    - attempt:
        try:
          assign:
            - s: \${s + "x"}
        except:
          as: e
          steps:
            - caught:
                return: \${[e.tags, len(s)]}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toEqual([['ResourceLimitError'], 262_144]);
  });

  it('fails a call to a helper module the local executor does not provide', async () => {
    // Prepare
    const source = `
- k8s:
    call: gke.request
    args:
      cluster_id: c
`;
    // Act
    const { state, error } = await runSource(source);
    // Assert
    expect(state).toBe('FAILED');
    expect(error).toEqual({
      message: 'gke.request is not available in the local Workflows executor',
      tags: ['SystemError'],
    });
  });

  it('refuses to return bytes as the execution result', async () => {
    // Prepare
    const source = `
- done:
    return: \${text.encode("abc")}
`;
    // Act
    const { state, error } = await runSource(source);
    // Assert
    expect(state).toBe('FAILED');
    expect(error).toMatchObject({ tags: ['TypeError'] });
  });

  it('reports each step start and end with its routine and nesting path', async () => {
    // Prepare
    const source = `
main:
  steps:
    - loop:
        for:
          value: v
          in: [1]
          steps:
            - inner:
                call: sub
sub:
  steps:
    - leaf:
        return: 1
`;
    // Act
    const { harness } = await runSource(source);
    // Assert
    expect(
      harness.events.map(
        (event) => `${event.state} ${event.routine}/${event.step} [${event.path.join('/')}]`,
      ),
    ).toEqual([
      'started main/loop []',
      'started main/inner [loop/0]',
      'started sub/leaf [loop/0]',
      'succeeded sub/leaf [loop/0]',
      'succeeded main/inner [loop/0]',
      'succeeded main/loop []',
    ]);
  });
});

describe('runWorkflow: blocking functions and services', () => {
  it('logs through services.log with severity and payload', async () => {
    // Prepare
    const source = `
- log_map:
    call: sys.log
    args:
      data: {a: 1}
      severity: WARNING
- log_text:
    call: sys.log
    args: ["plain", "ERROR"]
`;
    // Act
    const { harness, state } = await runSource(source);
    // Assert
    expect(state).toBe('SUCCEEDED');
    expect(harness.logs.map((entry) => [entry.severity, entry.payload])).toEqual([
      ['WARNING', { a: 1 }],
      ['ERROR', 'plain'],
    ]);
  });

  it('calls connectors with the arguments as JSON and the documented connector_params defaults', async () => {
    // Prepare
    const calls: unknown[] = [];
    const harness = makeHarness({
      connectors: {
        call: async (name, args, options) => {
          calls.push({ name, args, options: { ...options, signal: undefined } });
          return { name: 'operations/1', done: true };
        },
      },
    });
    const source = `
- backup:
    call: googleapis.sqladmin.v1.backupRuns.insert
    args:
      project: p
      instance: i
      body: {description: "nightly"}
      connector_params:
        timeout: 600
        skip_polling: true
    result: op
- plain:
    call: googleapis.sqladmin.v1.backupRuns.list
    args: {project: p, instance: i}
- done:
    return: \${op.name}
`;
    // Act
    const { result } = await runSource(source, { harness });
    // Assert
    expect(result).toBe('operations/1');
    expect(calls).toEqual([
      {
        name: 'googleapis.sqladmin.v1.backupRuns.insert',
        args: { project: 'p', instance: 'i', body: { description: 'nightly' } },
        options: {
          timeoutMs: 600_000,
          skipPolling: true,
          pollingPolicy: { initialDelaySeconds: 1, multiplier: 1.25, maxDelaySeconds: 60 },
          signal: undefined,
        },
      },
      {
        name: 'googleapis.sqladmin.v1.backupRuns.list',
        args: { project: 'p', instance: 'i' },
        options: {
          timeoutMs: 1_800_000,
          skipPolling: false,
          pollingPolicy: { initialDelaySeconds: 1, multiplier: 1.25, maxDelaySeconds: 60 },
          signal: undefined,
        },
      },
    ]);
  });

  it('reads env built-ins through sys.get_env', async () => {
    // Prepare
    const source = `
- done:
    return: \${sys.get_env("GOOGLE_CLOUD_PROJECT_ID")}
`;
    // Act
    const { result } = await runSource(source);
    // Assert
    expect(result).toBe('test-project');
  });
});
