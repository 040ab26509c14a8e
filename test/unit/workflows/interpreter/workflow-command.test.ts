import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliContext } from '../../../../cli/cli-context';
import { runWorkflowCommand } from '../../../../cli/commands/workflow-commands';
import { createVirtualClock } from '../../../../local/workflows/engine/clocks';
import { WorkflowValidationError } from '../../../../local/workflows/engine/validation/validation-error';
import { runWorkflowFile, WorkflowArgumentError } from '../../../../local/workflows/run-workflow-file';

/** A workflow file in a fresh temporary directory. */
const workflowFile = (source: string, name = 'runbook.workflows.yaml'): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'opsplane-workflow-')), name);
  writeFileSync(file, source);
  return file;
};

/** A CLI context that records output; the workflow command needs nothing else. */
const fakeCli = (): { ctx: CliContext; out: string[]; err: string[] } => {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = {
    out: (text: string) => out.push(text),
    err: (text: string) => err.push(text),
  } as unknown as CliContext;
  return { ctx, out, err };
};

const GREETING = `
main:
  params: [args]
  steps:
    - wait:
        call: sys.sleep
        args:
          seconds: 5
    - log:
        call: sys.log
        args:
          text: \${"hello " + args.name}
    - check:
        switch:
          - condition: \${args.name == "fail"}
            raise: {message: "asked to fail"}
    - done:
        return:
          greeting: \${"hello " + args.name}
          workflow: \${sys.get_env("GOOGLE_CLOUD_WORKFLOW_ID")}
          region: \${sys.get_env("REGION")}
`;

describe('runWorkflowFile', () => {
  it('returns the execution as the Executions API shows it', async () => {
    // Prepare
    const file = workflowFile(GREETING);
    const clock = createVirtualClock(Date.UTC(2026, 0, 1));
    // Act
    const execution = await runWorkflowFile(file, {
      data: '{"name":"Ada"}',
      clock,
      env: { REGION: 'europe-west1' },
      services: { log: () => undefined },
    });
    // Assert
    expect(execution).toEqual({
      state: 'SUCCEEDED',
      argument: '{"name":"Ada"}',
      result: '{"greeting":"hello Ada","workflow":"runbook","region":"europe-west1"}',
      startTime: '2026-01-01T00:00:00.000Z',
      endTime: '2026-01-01T00:00:05.000Z',
      duration: '5s',
    });
  });

  it('refuses an invalid workflow with every issue instead of running it', async () => {
    // Prepare
    const file = workflowFile(`
- a:
    assign:
      - x: \${1 +}
- b:
    next: nowhere
`);
    // Act
    const running = runWorkflowFile(file, { clock: createVirtualClock(0) });
    // Assert
    await expect(running).rejects.toThrow(WorkflowValidationError);
    await expect(running).rejects.toMatchObject({
      issues: [
        { line: 4, column: expect.any(Number), message: expect.stringContaining('invalid expression') },
        {
          line: 6,
          column: 11,
          message: 'step "b" jumps to "nowhere", which is not a step of workflow "main"',
        },
      ],
    });
  });

  it('refuses an argument that is not JSON', async () => {
    // Prepare
    const file = workflowFile(GREETING);
    // Act
    const running = runWorkflowFile(file, { data: '{name:', clock: createVirtualClock(0) });
    // Assert
    await expect(running).rejects.toThrow(WorkflowArgumentError);
  });

  it('fails googleapis calls with a clear error unless connectors are given', async () => {
    // Prepare
    const file = workflowFile(`
- get:
    call: googleapis.sqladmin.v1.instances.get
    args:
      project: p
      instance: i
`);
    // Act
    const execution = await runWorkflowFile(file, { clock: createVirtualClock(0) });
    // Assert
    expect(execution.state).toBe('FAILED');
    expect(execution.error?.payload).toContain('googleapis connectors need the local stack (npm start)');
  });
});

describe('opsplane workflow run', () => {
  it('prints the execution and exits 0 when it succeeds', async () => {
    // Prepare
    const { ctx, out, err } = fakeCli();
    const file = workflowFile(GREETING);
    // Act
    const code = await runWorkflowCommand(ctx, ['run', file, '--data', '{"name":"Ada"}', '--virtual-clock']);
    // Assert
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ state: 'SUCCEEDED', duration: '5s' });
    expect(JSON.parse(err[0] ?? '{}')).toMatchObject({ severity: 'DEFAULT', payload: 'hello Ada' });
  });

  it('exits 1 when the execution fails', async () => {
    // Prepare
    const { ctx, out } = fakeCli();
    const file = workflowFile(GREETING);
    // Act
    const code = await runWorkflowCommand(ctx, ['run', file, '--data', '{"name":"fail"}', '--virtual-clock']);
    // Assert
    expect(code).toBe(1);
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      state: 'FAILED',
      error: { payload: '{"message":"asked to fail"}' },
    });
  });

  it('exits 2 and prints FILE:LINE:COLUMN: reason for each issue of an invalid workflow', async () => {
    // Prepare
    const { ctx, out, err } = fakeCli();
    const file = workflowFile(`
- a:
    call: no_such_subworkflow
- b:
    assign:
      - y: \${undefined_variable}
`);
    // Act
    const code = await runWorkflowCommand(ctx, ['run', file]);
    // Assert
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([
      `${file}:3:11: call: "no_such_subworkflow" is neither a subworkflow of this workflow nor a standard library function`,
      `${file}:6:14: symbol 'undefined_variable' is neither a variable nor a sub-workflow name`,
    ]);
  });

  it('prints the usage and exits 2 without a subcommand', async () => {
    // Prepare
    const { ctx, out } = fakeCli();
    // Act
    const code = await runWorkflowCommand(ctx, []);
    // Assert
    expect(code).toBe(2);
    expect(out.join('\n')).toContain('opsplane workflow run FILE [--data JSON] [--virtual-clock]');
  });

  it('refuses a missing FILE as a usage error', async () => {
    // Prepare
    const { ctx } = fakeCli();
    // Act
    const running = runWorkflowCommand(ctx, ['run']);
    // Assert
    await expect(running).rejects.toThrow('workflow run takes one FILE');
  });
});
