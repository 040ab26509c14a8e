import type { CommandEnvelope } from '../../../shared/commands';
import { OperationPendingError } from '../../../shared/errors';
import type { BasePlan, OperationModule } from '../../../shared/operations';
import { ManualClock } from '../../../shared/time';
import { makeDelivery } from '../../helpers/factories';
import { makeProcessorHarness } from '../../helpers/processor-harness';

/**
 * Overlap on the command path, whichever scheduler published: a schedule's run that finds the
 * same job's previous run still going is recorded as rejected SCHEDULE_OVERLAP and acknowledged;
 * other jobs, and runs a person asked for, go ahead.
 */

const SA = 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com';

/** keys.check that parks for a day (a rotation in its grace period), counting its applies. */
const parkingKeysCheck = (applied: string[]): OperationModule<'keys.check', unknown, BasePlan> => ({
  type: 'keys.check',
  resource: (args) => `keys/${args.serviceAccount}/${applied.length}`,
  observe: async () => ({}),
  plan: () => ({ summary: 'rotate', changes: [], warnings: [], noop: false }),
  apply: async (_plan, deps) => {
    await Promise.resolve();
    applied.push(deps.operationId);
    throw new OperationPendingError('grace period', {
      resumeAt: new Date(deps.clock.now().getTime() + 86_400_000),
    });
  },
  verify: async () => ({ rotated: true }),
});

const tick = (job: string, at: string, extra: Partial<CommandEnvelope> = {}): CommandEnvelope =>
  ({
    type: 'keys.check',
    args: { serviceAccount: SA },
    actor: `schedule:${job}`,
    reason: 'scheduled key-age check',
    dryRun: false,
    idempotencyKey: `${job}@${at}`,
    ...extra,
  }) as CommandEnvelope;

describe('schedule overlap on the command path', () => {
  it('skips and records a run whose previous run is still going; other jobs, other commands and asked-for runs go ahead', async () => {
    // Prepare: Monday's check parked in its grace period.
    const applied: string[] = [];
    const harness = await makeProcessorHarness(
      {},
      {
        clock: new ManualClock('2026-03-02T12:00:00Z'),
        operations: { 'keys.check': parkingKeysCheck(applied) },
      },
    );
    const monday = tick('key-age-ci-terraform', '2026-03-02T12:00:00.000Z');
    await harness.processor.process(makeDelivery(monday));
    // Act: Tuesday's tick of the same job, another job's tick, and a run a person forced.
    const tuesday = await harness.processor.process(
      makeDelivery(tick('key-age-ci-terraform', '2026-03-03T12:00:00.000Z')),
    );
    const other = await harness.processor.process(
      makeDelivery(tick('key-age-other', '2026-03-03T12:00:00.000Z')),
    );
    // Same actor, other args: not the job's own command (e.g. a fix a scheduled reconcile submitted).
    const otherArgs = await harness.processor.process(
      makeDelivery({
        ...tick('key-age-ci-terraform', '2026-03-03T12:00:00.000Z-1'),
        args: { serviceAccount: 'gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com' },
      }),
    );
    const forced = await harness.processor.process(
      makeDelivery(
        tick('key-age-ci-terraform', 'manual-2026-03-03T12:05:00.000Z', {
          requestedBy: 'user:maria.chen@acme.ai',
        }),
      ),
    );
    // Assert
    expect((await harness.ledger.get(monday.idempotencyKey as string))?.status).toBe('running');
    expect(tuesday).toMatchObject({ ack: true, status: 'rejected' });
    expect((await harness.ledger.get('key-age-ci-terraform@2026-03-03T12:00:00.000Z'))?.error).toMatchObject({
      code: 'SCHEDULE_OVERLAP',
      message: `skipped: the previous run of schedule key-age-ci-terraform (operation ${monday.idempotencyKey}) is still running`,
    });
    expect(other).toMatchObject({ ack: true });
    expect(otherArgs).toMatchObject({ ack: true });
    expect(forced).toMatchObject({ ack: true });
    expect(applied).toEqual([
      monday.idempotencyKey,
      'key-age-other@2026-03-03T12:00:00.000Z',
      'key-age-ci-terraform@2026-03-03T12:00:00.000Z-1',
      'key-age-ci-terraform@manual-2026-03-03T12:05:00.000Z',
    ]);
  });
});
