import {
  compileWorkflow,
  createWorkflowCompiler,
} from '../../../../local/workflows/engine/validation/compile-workflow';
import { WorkflowValidationError } from '../../../../local/workflows/engine/validation/validation-error';

const compiler = createWorkflowCompiler();

/** The issues of a source as `line:column message`. */
const issuesOf = (source: string): string[] =>
  compiler.check(source).map((issue) => `${issue.line}:${issue.column} ${issue.message}`);

describe('compileWorkflow: loading', () => {
  it('compiles both top-level shapes, YAML ints as ints and floats as doubles', () => {
    // Prepare
    const list = '- a:\n    return: [1, 1.5]\n';
    const routines =
      'main:\n  steps:\n    - a:\n        call: sub\n        args:\n          x: 1\nsub:\n  params: [x, y: 2]\n  steps:\n    - b:\n        return: 1\n';
    // Act
    const fromList = compileWorkflow(list);
    const fromMap = compileWorkflow(routines);
    // Assert
    expect(fromList.main.body.steps[0]?.action).toEqual({
      kind: 'return',
      value: { kind: 'literal', value: [1n, 1.5] },
    });
    expect([...fromMap.routines.keys()]).toEqual(['main', 'sub']);
    expect(fromMap.routines.get('sub')?.params.map((param) => [param.name, param.defaultValue])).toEqual([
      ['x', undefined],
      ['y', { kind: 'literal', value: 2n }],
    ]);
  });

  it('compiles JSON source with the same meaning', () => {
    // Prepare
    const source = `{"main": {"params": ["args"], "steps": [{"a": {"return": "\${args.x}"}}]}}`;
    // Act
    const workflow = compileWorkflow(source);
    // Assert
    expect(workflow.main.params[0]?.name).toBe('args');
    expect(workflow.main.body.steps[0]?.action).toMatchObject({
      kind: 'return',
      value: { kind: 'expression', source: 'args.x' },
    });
  });

  it('reports a YAML syntax error with its line', () => {
    // Prepare
    const source = '- a:\n    assign:\n      - x: [1, 2\n- b:\n    return: 1\n';
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^\d+:\d+ YAML: /);
  });

  it('throws WorkflowValidationError listing every issue as line, column: reason', () => {
    // Prepare
    const source = `- a:\n    assign:\n      - x: \${1 +}\n- b:\n    next: nowhere\n`;
    // Act
    const compile = () => compileWorkflow(source, { fileName: 'broken.yaml' });
    // Assert
    expect(compile).toThrow(WorkflowValidationError);
    expect(compile).toThrow(
      /^broken\.yaml: the workflow is not valid \(2 issues\):\n {2}line 3, column \d+: invalid expression .*\n {2}line 5, column 11: step "b" jumps to "nowhere"/,
    );
  });
});

describe('compileWorkflow: the official JSON Schema', () => {
  it('names an unknown key at its line', () => {
    // Prepare
    const source = 'main:\n  steps:\n    - a:\n        assign:\n          - x: 1\n        asign: 2\n';
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual(['6:9 main, step "a": unknown key "asign"']);
  });

  it('refuses more than 50 assignments in one step and more than 50 conditions in a switch', () => {
    // Prepare
    const assignments = Array.from({ length: 51 }, (_, index) => `      - v${index}: ${index}`).join('\n');
    const conditions = Array.from({ length: 51 }, () => '      - condition: true\n        next: end').join(
      '\n',
    );
    const source = `- many:\n    assign:\n${assignments}\n- choose:\n    switch:\n${conditions}\n`;
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual([
      '3:7 step "many", assign: allows at most 50 assignments (found 51)',
      '56:7 step "choose", switch: allows at most 50 conditions (found 51)',
    ]);
  });

  it('refuses a parallel step with fewer than 2 or more than 10 branches', () => {
    // Prepare
    const branch = (name: string) =>
      `        - ${name}:\n            steps:\n              - s_${name}:\n                  assign:\n                    - x_${name}: 1`;
    const one = `- p:\n    parallel:\n      branches:\n${branch('a')}\n`;
    const eleven = `- p:\n    parallel:\n      branches:\n${Array.from({ length: 11 }, (_, index) => branch(`b${index}`)).join('\n')}\n`;
    // Act
    const issuesOne = issuesOf(one);
    const issuesEleven = issuesOf(eleven);
    // Assert
    expect(issuesOne).toEqual(['4:9 step "p", parallel, branches: needs at least 2 branches (found 1)']);
    expect(issuesEleven).toEqual(['4:9 step "p", parallel, branches: allows at most 10 branches (found 11)']);
  });

  it('allows at most one main parameter', () => {
    // Prepare
    const source = 'main:\n  params: [a, b]\n  steps:\n    - s:\n        return: 1\n';
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual(['2:11 main, params: allows at most 1 parameter (found 2)']);
  });

  it('refuses an exception_policy other than continueAll', () => {
    // Prepare
    const source =
      '- p:\n    parallel:\n      exception_policy: abortAll\n      for:\n        value: v\n        in: [1]\n        steps:\n          - s:\n              assign:\n                - y: 1\n';
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual([
      '3:25 step "p", parallel, exception_policy: must be "continueAll", found the string "abortAll"',
    ]);
  });
});

describe('compileWorkflow: jumps and step names', () => {
  it('names the step and the target of an unknown next', () => {
    // Prepare
    const source = '- a:\n    next: b\n- c:\n    return: 1\n';
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual(['2:11 step "a" jumps to "b", which is not a step of workflow "main"']);
  });

  it('refuses jumps into and out of a for body and a parallel branch', () => {
    // Prepare
    const source = `main:
  steps:
    - into_loop:
        next: in_loop
    - loop:
        for:
          value: v
          in: [1]
          steps:
            - in_loop:
                next: after
    - fan:
        parallel:
          branches:
            - one:
                steps:
                  - in_branch:
                      assign:
                        - x: 1
            - two:
                steps:
                  - other:
                      next: in_branch
    - after:
        next: in_branch
`;
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual([
      '4:15 step "into_loop" jumps to "in_loop" inside the for loop of step "loop"; a next cannot jump into it',
      '11:23 step "in_loop" jumps to "after" outside the for loop of step "loop"; a next cannot jump out of it (use next: break)',
      '23:29 step "other" jumps to "in_branch" outside the parallel branch of step "fan"; a next cannot jump out of it',
      '25:15 step "after" jumps to "in_branch" inside the parallel branch of step "fan"; a next cannot jump into it',
    ]);
  });

  it('refuses next: break outside a loop', () => {
    // Prepare
    const source = '- a:\n    next: break\n';
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual(['2:11 step "a": next: break is only allowed inside a for loop']);
  });

  it('refuses duplicate step names within what a next can reach', () => {
    // Prepare
    const source = '- a:\n    assign:\n      - x: 1\n- group:\n    steps:\n      - a:\n          return: 1\n';
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual(['6:9 duplicate step name "a" in workflow "main" (first at line 1)']);
  });

  it('refuses a step that does two things', () => {
    // Prepare
    const source = '- a:\n    assign:\n      - x: 1\n    return: 2\n';
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual([
      '1:3 step "a" does "assign" and "return"; a step does one of them (split it into several steps)',
    ]);
  });
});

describe('compileWorkflow: expressions, calls and variables', () => {
  it('points at the column where an expression stops parsing', () => {
    // Prepare
    const source = `- a:\n    return: \${1 + * 2}\n`;
    // Act
    const issues = compiler.check(source);
    // Assert
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 2, column: 19 });
    expect(issues[0]?.message).toMatch(/^invalid expression \$\{1 \+ \* 2\}: /);
  });

  it('refuses unknown subworkflows, unknown functions and blocking functions in expressions', () => {
    // Prepare
    const source = `- a:
    call: missing_sub
- b:
    call: text.nope
- c:
    return: \${sys.sleep(1) + nope.fn()}
`;
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual([
      '2:11 call: "missing_sub" is neither a subworkflow of this workflow nor a standard library function',
      '4:11 call: "text.nope" is neither a subworkflow of this workflow nor a standard library function',
      `6:15 sys.sleep is a blocking function: call it from a call step, not inside \${...}`,
      '6:30 unknown function nope.fn() (neither a standard library function nor a subworkflow)',
    ]);
  });

  it('checks call arguments against subworkflow parameters and function signatures', () => {
    // Prepare
    const source = `main:
  steps:
    - a:
        call: greet
        args:
          nme: "x"
    - b:
        call: sys.sleep
        args:
          second: 1
greet:
  params: [name, greeting: "hi"]
  steps:
    - s:
        return: \${greeting + name}
`;
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual([
      '4:15 call greet: missing required argument "name"',
      '6:11 call greet: unknown argument "nme" (parameters: name, greeting)',
      '8:15 call sys.sleep: missing required argument "seconds"',
      '10:11 call sys.sleep: unknown argument "second" (arguments: seconds)',
    ]);
  });

  it('refuses reading a variable after the for loop that created it', () => {
    // Prepare
    const source = `- init:
    assign:
      - total: 0
- loop:
    for:
      value: v
      in: [1, 2]
      steps:
        - add:
            assign:
              - total: \${total + v}
              - last: \${v}
- done:
    return: \${[total, last, v]}
`;
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual([
      `14:23 symbol 'last' is neither a variable nor a sub-workflow name: it exists only inside the for loop of step "loop" (line 6)`,
      `14:29 symbol 'v' is neither a variable nor a sub-workflow name: it exists only inside the for loop of step "loop" (line 6)`,
    ]);
  });

  it('refuses assigning a parent variable in a parallel branch unless it is shared', () => {
    // Prepare
    const source = `- init:
    assign:
      - input: 1
      - result: {}
- fan:
    parallel:
      shared: [result]
      branches:
        - one:
            steps:
              - ok:
                  assign:
                    - result.one: 1
                    - local: 2
        - two:
            steps:
              - bad:
                  assign:
                    - input: 5
`;
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual([
      `19:23 variable 'input' belongs to the scope enclosing the parallel step "fan"; list it in "shared" to assign it in a branch`,
    ]);
  });

  it('requires shared variables to exist before the parallel step', () => {
    // Prepare
    const source = `- fan:
    parallel:
      shared: [total]
      for:
        value: v
        in: [1]
        steps:
          - add:
              assign:
                - total: 1
`;
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual([
      `3:7 shared variable 'total' of parallel step "fan" must be assigned before the parallel step`,
    ]);
  });

  it('refuses parallel steps nested deeper than 2', () => {
    // Prepare
    const level = (name: string, inner: string, indent: string) =>
      `${indent}- ${name}:\n${indent}    parallel:\n${indent}      for:\n${indent}        value: v_${name}\n${indent}        in: [1]\n${indent}        steps:\n${inner}`;
    const leaf =
      '                                  - leaf:\n                                      assign:\n                                        - x: 1\n';
    const source = level(
      'one',
      level('two', level('three', leaf, '                        '), '            '),
      '',
    );
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual([
      '13:27 parallel step "three" is nested 3 deep; parallel steps nest at most 2 deep',
    ]);
  });

  it('refuses return and next: end inside a parallel branch', () => {
    // Prepare
    const source = `- fan:
    parallel:
      branches:
        - one:
            steps:
              - give:
                  return: 1
        - two:
            steps:
              - stop:
                  next: end
`;
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual([
      '6:17 step "give": return inside a parallel branch or iteration is not supported by the local executor; assign a shared variable and return after the parallel step',
      '11:25 step "stop": next: end inside the parallel branch of step "fan" is not supported by the local executor; assign a shared variable instead',
    ]);
  });

  it('accepts the official helper modules and undefined-looking names that are subworkflows', () => {
    // Prepare
    const source = `main:
  steps:
    - k8s:
        call: gke.request
        args:
          cluster_id: c
    - pick:
        try:
          call: http.get
          args:
            url: https://example.test
        retry:
          predicate: \${check}
          max_retries: 1
check:
  params: [e]
  steps:
    - answer:
        return: \${check != null}
`;
    // Act
    const issues = issuesOf(source);
    // Assert
    expect(issues).toEqual([]);
  });
});
