import { runCli } from '../../../cli/run-cli';
import { makeFakeCli } from './fake-control-plane';

/** An operation waiting for approval, requested by maria.chen; output forgotten, actor back to dev.patel. */
const withPendingRemoval = async () => {
  const cli = await makeFakeCli();
  cli.actAs('user:maria.chen@acme.ai');
  const code = await runCli(['user', 'remove', 'grace.kim@acme.ai'], cli.ctx);
  expect(code).toBe(0);
  cli.actAs('user:dev.patel@acme.ai');
  cli.clearOutput();
  return cli;
};

describe('--wait on an operation that needs approval', () => {
  it('stops at pending_approval, prints the plan, who can approve and the approve command, and exits 4', async () => {
    // Prepare
    const { ctx, out, err } = await makeFakeCli();
    // Act
    const code = await runCli(['sql', 'restore', 'acme-metaflow-pg-2', '--backup-id', '7', '--wait'], ctx);
    // Assert
    expect(code).toBe(4);
    expect(err).toEqual([]);
    const text = out.join('\n');
    expect(text).toMatch(/~ acme-metaflow-pg-2 state: "before" → "after"/);
    expect(text).toMatch(/status {5}pending_approval/);
    expect(text).toMatch(
      /operation key-1 is waiting for approval: sql\.restore is destructive \(approval class A3\)/,
    );
    // dev.patel asked, so only the other approver can decide.
    expect(text).toMatch(
      /who can approve: user:maria\.chen@acme\.ai \(not user:dev\.patel@acme\.ai, who asked for it\)/,
    );
    expect(text).toMatch(/to approve: {2}opsplane approve key-1\n/);
    expect(text).toMatch(/to deny: {5}opsplane deny key-1\n/);
  });

  it('keeps stdout one JSON document with --json and puts the hint on stderr', async () => {
    // Prepare
    const { ctx, out, err } = await makeFakeCli();
    // Act
    const code = await runCli(
      ['filestore', 'restore', 'acme-kf-home', '--backup', 'b1', '--wait', '--json'],
      ctx,
    );
    // Assert
    expect(code).toBe(4);
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      id: 'key-1',
      status: 'pending_approval',
      approval: { reason: 'filestore.restore is destructive (approval class A3)' },
    });
    expect(err.join('\n')).toMatch(/to approve: {2}opsplane approve key-1/);
  });

  it('still exits 0 for a dry run, saying that approval would be required', async () => {
    // Prepare
    const { ctx, out } = await makeFakeCli();
    // Act
    const code = await runCli(['user', 'remove', 'grace.kim@acme.ai', '--dry-run', '--wait'], ctx);
    // Assert
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/approval {3}would be required: user\.remove is destructive/);
  });
});

describe('approve and deny', () => {
  it('approves with --wait: waits for the decision, then shows the operation it decided on', async () => {
    // Prepare
    const { ctx, out, published } = await withPendingRemoval();
    // Act
    const code = await runCli(['approve', 'key-1', '--comment', 'offboarding ticket OPS-9', '--wait'], ctx);
    // Assert
    expect(code).toBe(0);
    expect(published[1]).toMatchObject({
      type: 'approval.grant',
      args: { operationId: 'key-1', comment: 'offboarding ticket OPS-9' },
      actor: 'user:dev.patel@acme.ai',
      idempotencyKey: 'key-2',
    });
    const text = out.join('\n');
    expect(text).toMatch(/operation key-2 submitted \(approval\.grant\)/);
    expect(text).toMatch(
      /granted: operation key-1 \(user\.remove, requested by user:maria\.chen@acme\.ai\) is now running/,
    );
    expect(text).toMatch(/decision {3}granted by user:dev\.patel@acme\.ai at .*: offboarding ticket OPS-9/);
    expect(text).toMatch(/waiting {4}approved by user:dev\.patel@acme\.ai \(since .*, resumes at /);
    expect(text).toMatch(/follow it with: opsplane ops show key-1/);
  });

  it('denies with --wait --json: the decision and the operation, now rejected', async () => {
    // Prepare
    const { ctx, out } = await withPendingRemoval();
    // Act
    const code = await runCli(['deny', 'key-1', '--comment', 'wrong person', '--wait', '--json'], ctx);
    // Assert
    expect(code).toBe(0);
    const shown = JSON.parse(out.join('\n'));
    expect(shown.decision).toMatchObject({ id: 'key-2', type: 'approval.deny', status: 'succeeded' });
    expect(shown.operation).toMatchObject({
      id: 'key-1',
      status: 'rejected',
      approval: { decision: 'denied', approver: 'user:dev.patel@acme.ai', comment: 'wrong person' },
    });
  });

  it('exits 1 when the decision is refused (an approver deciding on their own request)', async () => {
    // Prepare
    const { ctx, out, actAs, ledger } = await withPendingRemoval();
    actAs('user:maria.chen@acme.ai');
    // Act
    const code = await runCli(['approve', 'key-1', '--wait'], ctx);
    // Assert
    expect(code).toBe(1);
    expect(out.join('\n')).toMatch(/the decision was not recorded:[\s\S]*error {6}PERMISSION_DENIED/);
    expect((await ledger.get('key-1'))?.status).toBe('pending_approval');
  });

  it('shows approval, decision, waiting and the plan in ops show', async () => {
    // Prepare
    const { ctx, out, clearOutput } = await withPendingRemoval();
    await runCli(['approve', 'key-1', '--comment', 'ok by HR'], ctx);
    clearOutput();
    // Act
    const code = await runCli(['ops', 'show', 'key-1'], ctx);
    // Assert
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(
      /approval {3}user\.remove is destructive \(approval class A3\) \(requested 2026-03-01T10:00:00\.000Z\)/,
    );
    expect(text).toMatch(
      /decision {3}granted by user:dev\.patel@acme\.ai at 2026-03-01T10:00:00\.000Z: ok by HR/,
    );
    expect(text).toMatch(
      /waiting {4}approved by user:dev\.patel@acme\.ai \(since 2026-03-01T10:00:00\.000Z, resumes at 2026-03-01T10:00:00\.000Z\)/,
    );
    expect(text).toMatch(
      /plan\n {2}user\.remove grace\.kim@acme\.ai\n {4}~ grace\.kim@acme\.ai state: "before" → "after"/,
    );
  });

  it('shows how to approve in ops show of an operation still waiting', async () => {
    // Prepare
    const { ctx, out } = await withPendingRemoval();
    // Act
    const code = await runCli(['ops', 'show', 'key-1'], ctx);
    // Assert
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/decision {3}pending: opsplane approve key-1 {2}\| {2}opsplane deny key-1/);
    expect(text).toMatch(/who can approve: user:dev\.patel@acme\.ai \(not user:maria\.chen@acme\.ai/);
  });
});
