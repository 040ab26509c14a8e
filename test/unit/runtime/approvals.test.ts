import type { BasePlan, OperationModule } from '../../../shared/operations';
import { makeDelivery } from '../../helpers/factories';
import { makeProcessorHarness } from '../../helpers/processor-harness';

/**
 * The approval gate of the command processor, driven with a small in-memory operation standing in
 * for `sql.restore` (approval class A3): what it would restore is a variable the test changes to
 * make the platform "move" between approval and apply.
 */

interface FakeRestorePlan extends BasePlan {
  backupId: string;
  instanceVersion: number;
}

const makeFakeRestore = () => {
  const platform = { instanceVersion: 1, applied: [] as string[] };
  const operation: OperationModule<'sql.restore', { version: number }, FakeRestorePlan> = {
    type: 'sql.restore',
    resource: (args) => `sql/${args.instance}`,
    observe: async () => {
      await Promise.resolve();
      return { version: platform.instanceVersion };
    },
    plan: (_platform, observed, args) => ({
      summary: `restore ${args.instance} from backup ${args.backupId}`,
      changes: [
        {
          resource: args.instance,
          field: 'data',
          from: `v${observed.version}`,
          to: `backup ${args.backupId}`,
        },
      ],
      warnings: [],
      noop: false,
      backupId: args.backupId,
      instanceVersion: observed.version,
    }),
    apply: async (plan) => {
      await Promise.resolve();
      platform.applied.push(plan.backupId);
    },
    verify: async (plan) => {
      await Promise.resolve();
      return { restored: plan.backupId };
    },
  };
  return { platform, operation };
};

const restoreCommand = (overrides: Record<string, unknown> = {}) => ({
  type: 'sql.restore',
  args: { instance: 'acme-kfp-mysql-7f3a9c1e', backupId: '1717300000000' },
  actor: 'user:sofia.rossi@acme.ai',
  reason: 'corrupted run table after bad migration',
  idempotencyKey: 'restore-1',
  ...overrides,
});

const decision = (
  type: 'approval.grant' | 'approval.deny' | 'approval.withdraw',
  actor: string,
  key: string,
  comment?: string,
) => ({
  type,
  args: { operationId: 'restore-1', ...(comment ? { comment } : {}) },
  actor,
  reason: 'reviewed the plan',
  idempotencyKey: key,
});

const setup = async () => {
  const fake = makeFakeRestore();
  const h = await makeProcessorHarness({}, { operations: { 'sql.restore': fake.operation as never } });
  return { ...h, fake };
};

describe('approvals', () => {
  it('stops a destructive command at pending_approval with its plan, touching nothing', async () => {
    // Prepare
    const h = await setup();
    // Act
    const outcome = await h.processor.process(makeDelivery(restoreCommand()));
    // Assert
    expect(outcome).toMatchObject({ ack: true, status: 'pending_approval' });
    expect(h.fake.platform.applied).toEqual([]);
    const record = await h.ledger.get('restore-1');
    expect(record?.plan?.summary).toBe('restore acme-kfp-mysql-7f3a9c1e from backup 1717300000000');
    expect(record?.approval).toMatchObject({
      reason: expect.stringContaining('A3'),
      planHash: expect.any(String),
    });
    expect(h.results.published.map((r) => r.status)).toEqual(['pending_approval']);
    expect(await h.leases.get('sql/acme-kfp-mysql-7f3a9c1e')).toBeUndefined();
  });

  it('applies the approved plan once an approver who is not the requester grants it', async () => {
    // Prepare
    const h = await setup();
    await h.processor.process(makeDelivery(restoreCommand()));
    // Act
    const grant = await h.processor.process(
      makeDelivery(decision('approval.grant', 'user:maria.chen@acme.ai', 'grant-1', 'checked the backup')),
    );
    const resumed = h.resumer.resumed.map((record) => record.id);
    const applied = await h.processor.process(makeDelivery(restoreCommand()));
    // Assert
    expect(grant).toMatchObject({ ack: true, status: 'succeeded' });
    expect(resumed).toEqual(['restore-1']);
    expect(applied).toMatchObject({ ack: true, status: 'succeeded', operationId: 'restore-1' });
    expect(h.fake.platform.applied).toEqual(['1717300000000']);
    expect(await h.ledger.get('restore-1')).toMatchObject({
      status: 'succeeded',
      approval: { decision: 'granted', approver: 'user:maria.chen@acme.ai', comment: 'checked the backup' },
      result: { restored: '1717300000000' },
    });
  });

  it('refuses an approval by the requester and leaves the operation waiting', async () => {
    // Prepare: maria is an approver, and here also the requester.
    const h = await setup();
    await h.processor.process(makeDelivery(restoreCommand({ actor: 'user:maria.chen@acme.ai' })));
    // Act
    const grant = await h.processor.process(
      makeDelivery(decision('approval.grant', 'user:maria.chen@acme.ai', 'self-grant')),
    );
    // Assert
    expect(grant).toMatchObject({ ack: true, status: 'rejected' });
    expect(await h.ledger.get('self-grant')).toMatchObject({
      error: { code: 'PERMISSION_DENIED', message: expect.stringContaining('may not approve it') },
    });
    expect((await h.ledger.get('restore-1'))?.status).toBe('pending_approval');
    expect(h.fake.platform.applied).toEqual([]);
  });

  it('refuses an approval by someone who is not an approver', async () => {
    // Prepare
    const h = await setup();
    await h.processor.process(makeDelivery(restoreCommand()));
    // Act: sofia is in the platform group (every permission) but not an approver.
    await h.processor.process(
      makeDelivery(decision('approval.grant', 'user:dev.patel@acme.ai', 'ok-approver')),
    );
    const outsider = await h.processor.process(
      makeDelivery(decision('approval.grant', 'user:james.okafor@acme.ai', 'not-approver')),
    );
    // Assert
    expect(outsider).toMatchObject({ ack: true, status: 'rejected' });
    expect(await h.ledger.get('not-approver')).toMatchObject({
      error: { code: 'PERMISSION_DENIED', message: expect.stringContaining('is not an approver') },
    });
  });

  it('ends a denied operation rejected and publishes its outcome', async () => {
    // Prepare
    const h = await setup();
    await h.processor.process(makeDelivery(restoreCommand()));
    // Act
    const deny = await h.processor.process(
      makeDelivery(decision('approval.deny', 'user:dev.patel@acme.ai', 'deny-1', 'use a clone instead')),
    );
    const redelivered = await h.processor.process(makeDelivery(restoreCommand()));
    // Assert
    expect(deny).toMatchObject({ ack: true, status: 'succeeded' });
    expect(redelivered).toMatchObject({ ack: true, duplicate: true, status: 'rejected' });
    expect(await h.ledger.get('restore-1')).toMatchObject({
      status: 'rejected',
      error: { code: 'APPROVAL_DENIED', message: 'denied by user:dev.patel@acme.ai: use a clone instead' },
      approval: { decision: 'denied', approver: 'user:dev.patel@acme.ai' },
    });
    expect(h.fake.platform.applied).toEqual([]);
    expect(h.results.published.filter((r) => r.id === 'restore-1').map((r) => r.status)).toEqual([
      'pending_approval',
      'rejected',
    ]);
  });

  it('lets the requester withdraw a request nobody decided yet; it ends rejected, and cannot be approved after', async () => {
    // Prepare
    const h = await setup();
    await h.processor.process(makeDelivery(restoreCommand()));
    // Act
    const withdrawn = await h.processor.process(
      makeDelivery(
        decision('approval.withdraw', 'user:sofia.rossi@acme.ai', 'withdraw-1', 'runbook cancelled'),
      ),
    );
    const grant = await h.processor.process(
      makeDelivery(decision('approval.grant', 'user:dev.patel@acme.ai', 'grant-1')),
    );
    // Assert
    expect(withdrawn).toMatchObject({ ack: true, status: 'succeeded' });
    expect(await h.ledger.get('restore-1')).toMatchObject({
      status: 'rejected',
      error: {
        code: 'APPROVAL_EXPIRED',
        message: 'withdrawn by user:sofia.rossi@acme.ai before anyone decided: runbook cancelled',
      },
      approval: { decision: 'withdrawn', approver: 'user:sofia.rossi@acme.ai' },
    });
    expect(grant).toMatchObject({ ack: true, status: 'rejected' });
    expect((await h.ledger.get('grant-1'))?.error?.message).toMatch(/not waiting for approval/);
    expect(h.fake.platform.applied).toEqual([]);
    expect(h.results.published.filter((r) => r.id === 'restore-1').map((r) => r.status)).toEqual([
      'pending_approval',
      'rejected',
    ]);
  });

  it('lets only the requester, the person behind it, or a holder of approval.withdraw withdraw a request', async () => {
    // Prepare: sofia's request; lena (ml-users) holds no approval.withdraw, dev (platform) holds '*'.
    const h = await setup();
    await h.processor.process(makeDelivery(restoreCommand()));
    // Act
    const stranger = await h.processor.process(
      makeDelivery(decision('approval.withdraw', 'user:lena.muller@acme.ai', 'withdraw-lena')),
    );
    const waitingAfterStranger = (await h.ledger.get('restore-1'))?.status;
    const platformMember = await h.processor.process(
      makeDelivery(decision('approval.withdraw', 'user:dev.patel@acme.ai', 'withdraw-dev')),
    );
    // Assert
    expect(stranger).toMatchObject({ ack: true, status: 'rejected' });
    expect((await h.ledger.get('withdraw-lena'))?.error).toMatchObject({
      code: 'PERMISSION_DENIED',
      message:
        'user:lena.muller@acme.ai neither requested operation restore-1 (user:sofia.rossi@acme.ai did) nor holds permission "approval.withdraw"',
    });
    expect(waitingAfterStranger).toBe('pending_approval');
    expect(platformMember).toMatchObject({ ack: true, status: 'succeeded' });
    expect((await h.ledger.get('restore-1'))?.status).toBe('rejected');
  });

  it('refuses to apply when the plan changed between approval and apply', async () => {
    // Prepare
    const h = await setup();
    await h.processor.process(makeDelivery(restoreCommand()));
    await h.processor.process(makeDelivery(decision('approval.grant', 'user:maria.chen@acme.ai', 'grant-2')));
    h.fake.platform.instanceVersion = 2; // someone wrote to the instance after the approval
    // Act
    const outcome = await h.processor.process(makeDelivery(restoreCommand()));
    // Assert
    expect(outcome).toMatchObject({ ack: true, status: 'rejected' });
    expect(await h.ledger.get('restore-1')).toMatchObject({
      error: { code: 'APPROVAL_STALE', message: expect.stringContaining('no longer holds') },
    });
    expect(h.fake.platform.applied).toEqual([]);
  });

  it('returns the plan and the approval it would need for a dry run, and waits for nothing', async () => {
    // Prepare
    const h = await setup();
    // Act
    const outcome = await h.processor.process(makeDelivery(restoreCommand({ dryRun: true })));
    // Assert
    expect(outcome).toMatchObject({ ack: true, status: 'succeeded' });
    expect((await h.ledger.get('restore-1'))?.result).toMatchObject({
      dryRun: true,
      diff: expect.stringContaining('restore acme-kfp-mysql-7f3a9c1e'),
      approvalRequired: expect.stringContaining('destructive'),
    });
    expect(h.fake.platform.applied).toEqual([]);
  });

  it('refuses a decision on an operation that is not waiting for approval', async () => {
    // Prepare
    const h = await setup();
    // Act
    const outcome = await h.processor.process(
      makeDelivery(decision('approval.grant', 'user:maria.chen@acme.ai', 'grant-unknown')),
    );
    // Assert
    expect(outcome).toMatchObject({ ack: true, status: 'rejected' });
    expect(await h.ledger.get('grant-unknown')).toMatchObject({
      error: { code: 'INVALID_COMMAND', message: expect.stringContaining('no operation restore-1') },
    });
  });
});

describe('authorization', () => {
  it('rejects a command from an actor without the permission, changing nothing', async () => {
    // Prepare: grace.kim (ml-users) may take backups, not restore.
    const h = await setup();
    // Act
    const outcome = await h.processor.process(
      makeDelivery(restoreCommand({ actor: 'user:grace.kim@acme.ai' })),
    );
    // Assert
    expect(outcome).toMatchObject({ ack: true, status: 'rejected' });
    expect(await h.ledger.get('restore-1')).toMatchObject({
      error: {
        code: 'PERMISSION_DENIED',
        message: expect.stringContaining('does not hold permission "sql.restore"'),
      },
    });
    expect(h.fake.platform.applied).toEqual([]);
    expect((await h.ledger.get('restore-1'))?.plan).toBeUndefined();
  });
});
