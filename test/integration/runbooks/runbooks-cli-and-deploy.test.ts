import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../cli/run-cli';
import {
  RUNBOOK_APPROVER,
  RUNBOOK_REQUESTER,
  type RunbookDriver,
  startRunbookDriver,
} from '../../helpers/runbook-driver';

/**
 * The runbooks as people use them: `opsplane runbook list|start|status` against the local stack's
 * Workflows API (start --wait follows the steps and says which operation waits for whose
 * approval), `opsplane approve` from an approver in parallel; and a runbook source with a
 * validation error refused by the deploy API with its line and reason.
 */

const RUNBOOKS = [
  'filestore-restore',
  'gpu-offhours',
  'key-rotation',
  'offboard-user',
  'onboard-user',
  'sql-pitr-clone',
  'sql-restore',
];
const WORKFLOWS_DIR = join(__dirname, '..', '..', '..', 'workflows');

let local: RunbookDriver;

/** Waits until a line matching `pattern` was printed; returns its match. */
const printed = async (out: string[], pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const line of out) {
      const match = pattern.exec(line);
      if (match) return match;
    }
    if (Date.now() > deadline) throw new Error(`nothing printed matches ${pattern}:\n${out.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

beforeAll(async () => {
  local = await startRunbookDriver();
});

afterAll(async () => {
  await local?.stop();
});

describe('opsplane runbook on the local stack', () => {
  it('runbook list shows the seven deployed runbooks with their revisions and descriptions', async () => {
    // Prepare
    const { ctx, out } = local.cli(RUNBOOK_REQUESTER);
    // Act
    const code = await runCli(['runbook', 'list'], ctx);
    // Assert
    expect(code).toBe(0);
    const lines = out.join('\n').split('\n');
    expect(lines.map((line) => line.split(/\s+/)[0])).toEqual(RUNBOOKS);
    expect(lines.find((line) => line.startsWith('sql-restore'))).toMatch(
      /^sql-restore\s+\d{6}-[0-9a-f]{3}\s+sql-restore: restores a Cloud SQL backup run/,
    );
  });

  it('runbook start sql-pitr-clone --wait prints the main steps and the result, exit 0; runbook status shows it', async () => {
    // Prepare
    const { ctx, out, err } = local.cli(RUNBOOK_REQUESTER);
    const pointInTime = new Date(Date.now() - 3_600_000).toISOString();
    // Act
    const code = await runCli(
      [
        'runbook',
        'start',
        'sql-pitr-clone',
        '--arg',
        'instance=acme-metaflow-pg-2',
        '--arg',
        `pointInTime=${pointInTime}`,
        '--arg',
        'targetInstance=acme-metaflow-pg-pitr-cli',
        '--wait',
        '--timeout',
        '40',
      ],
      ctx,
    );
    const id =
      (await printed(out, /^started runbook sql-pitr-clone: execution (sql-pitr-clone\/[0-9a-f-]+)$/))[1] ??
      '';
    const status = local.cli(RUNBOOK_REQUESTER);
    const statusCode = await runCli(['runbook', 'status', id, '--json'], status.ctx);
    // Assert
    expect({ code, err }).toEqual({ code: 0, err: [] });
    const text = out.join('\n');
    for (const step of ['check_inputs', 'prepare', 'clone', 'check_clone', 'cutover_plan', 'report']) {
      expect(out).toContain(`  → ${step}`);
    }
    expect(text).not.toMatch(/✗/);
    expect(text).toContain(`${id}  SUCCEEDED`);
    expect(text).toContain('"instance": "acme-metaflow-pg-pitr-cli"');
    expect(text).toContain('"connectionName": "acme-ml-prod:us-central1:acme-metaflow-pg-pitr-cli"');
    expect(statusCode).toBe(0);
    expect(JSON.parse(status.out.join('\n'))).toMatchObject({
      id,
      state: 'SUCCEEDED',
      argument: { requestedBy: RUNBOOK_REQUESTER, targetInstance: 'acme-metaflow-pg-pitr-cli', pointInTime },
      result: { state: 'RUNNABLE', source: 'acme-metaflow-pg-2' },
    });
  });

  it('runbook start sql-restore --wait announces the operation awaiting approval, and succeeds once an approver runs opsplane approve', async () => {
    // Prepare
    const starter = local.cli(RUNBOOK_REQUESTER);
    const approver = local.cli(RUNBOOK_APPROVER);
    // Act
    const running = runCli(
      [
        'runbook',
        'start',
        'sql-restore',
        '--arg',
        'instance=acme-kfp-mysql-7f3a9c1e',
        '--arg',
        'backupId=1748833200000',
        '--wait',
        '--timeout',
        '40',
      ],
      starter.ctx,
    );
    const announced = await printed(
      starter.out,
      /^ {2}waiting for approval of operation (\S+): an approver runs {2}opsplane approve (\S+)$/,
    );
    const approveCode = await runCli(
      ['approve', announced[1] ?? '', '--comment', 'backup checked', '--wait'],
      approver.ctx,
    );
    const code = await running;
    // Assert
    expect(announced[1]).toBe(announced[2]);
    expect(announced[1]).toMatch(/^[0-9a-f-]+-restore$/);
    expect(approveCode).toBe(0);
    expect(approver.out.join('\n')).toContain(`granted: operation ${announced[1]}`);
    expect({ code, err: starter.err }).toEqual({ code: 0, err: [] });
    const text = starter.out.join('\n');
    expect(text.indexOf('  → safety_backup')).toBeLessThan(text.indexOf('waiting for approval'));
    expect(text).toContain('  → check_instance');
    expect(text).toMatch(/sql-restore\/[0-9a-f-]+ {2}SUCCEEDED/);
    expect(text).toContain('"state": "RUNNABLE"');
    expect(await local.ledger.get(announced[1] ?? '')).toMatchObject({
      status: 'succeeded',
      requestedBy: RUNBOOK_REQUESTER,
      approval: { decision: 'granted', approver: RUNBOOK_APPROVER, comment: 'backup checked' },
    });
  });

  it('runbook cancel stops an execution that waits for an approval, and withdraws that request', async () => {
    // Prepare
    const starter = local.cli(RUNBOOK_REQUESTER);
    const startCode = await runCli(
      [
        'runbook',
        'start',
        'sql-restore',
        '--arg',
        'instance=acme-kfp-mysql-7f3a9c1e',
        '--arg',
        'backupId=1748833200000',
      ],
      starter.ctx,
    );
    const id =
      (await printed(starter.out, /^started runbook sql-restore: execution (sql-restore\/[0-9a-f-]+)$/))[1] ??
      '';
    const execution = await local.runbooks.getExecution(id);
    await local.pendingApproval(execution, 'restore');
    const canceller = local.cli(RUNBOOK_REQUESTER);
    // Act
    const cancelCode = await runCli(['runbook', 'cancel', id], canceller.ctx);
    const status = local.cli(RUNBOOK_REQUESTER);
    const statusCode = await runCli(['runbook', 'status', id], status.ctx);
    // Assert
    expect(startCode).toBe(0);
    expect(starter.out).toContain(`follow it with  opsplane runbook status ${id}`);
    expect(cancelCode).toBe(0);
    expect(canceller.out.join('\n')).toContain(`${id}  CANCELLED`);
    const restoreId = local.operationIdOf(execution, 'restore');
    expect(canceller.out.join('\n')).toContain(
      `withdrawing operation ${restoreId}, which waited for approval: follow it with  opsplane ops show ${restoreId}-withdraw`,
    );
    // The requester of the runbook withdrew it: nobody can approve a restore whose runbook is gone.
    expect(await local.stackDriver.until(`${restoreId}-withdraw`)).toMatchObject({ status: 'succeeded' });
    expect(await local.stackDriver.until(restoreId)).toMatchObject({
      status: 'rejected',
      error: { code: 'APPROVAL_EXPIRED' },
      approval: { decision: 'withdrawn', approver: RUNBOOK_REQUESTER },
    });
    expect(statusCode).toBe(1);
    expect(status.out.join('\n')).toMatch(
      new RegExp(`${id} {2}CANCELLED\\n[^]*at step {3}run_command › await_outcome`),
    );
  });

  it('runbook start --wait of a runbook refusing its argument exits 1 with the error', async () => {
    // Prepare
    const { ctx, out } = local.cli(RUNBOOK_REQUESTER);
    // Act
    const code = await runCli(
      ['runbook', 'start', 'onboard-user', '--arg', 'role=ml-engineer', '--wait'],
      ctx,
    );
    // Assert
    expect(code).toBe(1);
    const text = out.join('\n');
    expect(text).toContain('  ✗ check_inputs failed');
    expect(text).toMatch(/onboard-user\/[0-9a-f-]+ {2}FAILED/);
    expect(text).toContain('"code": "INVALID_ARGUMENT"');
    expect(text).toContain('"message": "args.email is required"');
  });
});

describe('deploying a runbook source to the local Workflows API', () => {
  it('refuses a source with a validation error with a 400 naming the line and reason, and deploys nothing', async () => {
    // Prepare: sql-restore with a call to a subworkflow that does not exist.
    const source = readFileSync(join(WORKFLOWS_DIR, 'sql-restore.workflows.yaml'), 'utf8');
    const lines = source.split('\n');
    const broken = lines.findIndex((line) => line.includes('call: run_command'));
    lines[broken] = (lines[broken] ?? '').replace('run_command', 'run_commmand');
    const workflows = local.workflowsApi.projects.locations.workflows;
    // Act
    const refused = await workflows
      .create({
        parent: local.parent,
        workflowId: 'sql-restore-broken',
        requestBody: { sourceContents: lines.join('\n') },
      })
      .then(
        () => undefined,
        (error: { status?: number; message?: string }) => error,
      );
    const lookup = await workflows.get({ name: `${local.parent}/workflows/sql-restore-broken` }).then(
      () => 200,
      (error: { status?: number }) => error.status,
    );
    const list = await workflows.list({ parent: local.parent });
    // Assert
    expect(refused?.status).toBe(400);
    expect(refused?.message).toMatch(
      new RegExp(`line ${broken + 1}, column \\d+: call: "run_commmand" is neither a subworkflow`),
    );
    expect(lookup).toBe(404);
    expect((list.data.workflows ?? []).map((w) => w.name?.split('/').pop()).sort()).toEqual(RUNBOOKS);
  });
});
