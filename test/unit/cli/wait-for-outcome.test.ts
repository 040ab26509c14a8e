import { runCli } from '../../../cli/run-cli';
import { makeFakeCli } from './fake-control-plane';

describe('--wait', () => {
  it('gives up after --timeout with exit 1 when nothing picks the command up', async () => {
    // Prepare
    const { ctx, out, err } = await makeFakeCli({ deliver: false });
    // Act
    const code = await runCli(['sql', 'backup', 'acme-metaflow-pg-2', '--wait', '--timeout', '2'], ctx);
    // Assert
    expect(code).toBe(1);
    expect(out.join('\n')).toMatch(/queued: waiting for the command function to pick it up/);
    expect(err.join('\n')).toMatch(
      /gave up waiting after 2 s; the operation is not picked up yet: opsplane ops show key-1/,
    );
  });

  it('reports a parked operation: why it waits and when it resumes', async () => {
    // Prepare
    const { ctx, out, err, ledger, clock } = await makeFakeCli({ deliver: false });
    await ledger.begin({
      id: 'key-1',
      messageId: 'm0',
      type: 'keys.rotate',
      args: { serviceAccount: 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com' },
      actor: 'user:dev.patel@acme.ai',
      reason: 'rotation',
      dryRun: false,
      holder: 'h',
      now: clock.now(),
      claimTtlMs: 60_000,
    });
    await ledger.park(
      'key-1',
      'h',
      {
        reason: 'grace period of the old key',
        since: '2026-03-01T10:00:00Z',
        resumeAt: '2026-03-02T10:00:00Z',
      },
      clock.now(),
    );
    // Act
    const code = await runCli(
      ['keys', 'rotate', 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com', '--wait', '--timeout', '1'],
      ctx,
    );
    // Assert
    expect(code).toBe(1);
    expect(out.join('\n')).toMatch(
      /waiting: grace period of the old key \(resumes at 2026-03-02T10:00:00Z\)/,
    );
    expect(err.join('\n')).toMatch(/gave up waiting after 1 s; the operation is running/);
  });
});
