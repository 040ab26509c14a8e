import type { CommandEnvelope } from '../../../shared/commands';
import { desiredStateFromFixture, type PlatformState, type UserState } from '../../../shared/desired-state';
import { ConfigError, VerificationFailedError } from '../../../shared/errors';
import type { IamPolicy, PolicyChange, PolicyEditOptions, PolicyTarget } from '../../../shared/gcp';
import { silentLogger } from '../../../shared/logging';
import { reconcileRun, submissionKey } from '../../../shared/operations/drift/reconcile-run';
import {
  iamBindingsReconcile,
  MAX_UNAPPROVED_MEMBER_REMOVALS,
} from '../../../shared/operations/iam/iam-bindings-reconcile';
import type { OperationDeps } from '../../../shared/operations/operation';
import { ManualClock } from '../../../shared/time';
import { loadFixture } from '../../helpers/factories';

/** The two operation modules of reconcile, driven directly with small fakes. */

const NOW = '2025-06-02T09:00:00.000Z';
const PLATFORM: PlatformState = {
  ...desiredStateFromFixture(loadFixture()),
  authoritativeBindings: [],
  reconcile: { defaultMode: 'observe', resources: { 'gpu-pool/*': 'enforce' } },
};
const ada: UserState = { email: 'ada@acme.ai', role: 'data-scientist', updatedAt: NOW };

/** An IAM fake holding one policy: counts reads and writes. */
const fakeIam = (initial: IamPolicy) => {
  let policy = initial;
  const calls: string[] = [];
  return {
    calls,
    current: () => policy,
    iam: {
      getPolicy: async (_target: PolicyTarget) => {
        await Promise.resolve();
        calls.push('getPolicy');
        return structuredClone(policy);
      },
      editPolicy: async (_target: PolicyTarget, change: PolicyChange, options?: PolicyEditOptions) => {
        await Promise.resolve();
        calls.push(options?.basis ? `editPolicy from ${options.basis.etag}` : 'editPolicy');
        const before = structuredClone(policy);
        policy = { ...change(structuredClone(policy)), etag: `${policy.etag}+` };
        return { before, after: policy, changed: true, attempts: 1, diff: [] };
      },
    },
  };
};

/** Progress kept in memory, as the ledger would. */
const memoryProgress = () => {
  const steps: Record<string, Record<string, unknown>> = {};
  return {
    steps,
    progress: {
      googleOperation: () => undefined,
      recordGoogleOperation: async () => undefined,
      step: (step: string) => steps[step],
      recordStep: async (step: string, facts: Record<string, unknown>) => {
        await Promise.resolve();
        steps[step] = facts;
      },
    },
  };
};

const depsWith = (parts: Partial<OperationDeps>): OperationDeps =>
  ({
    clock: new ManualClock(NOW),
    logger: silentLogger,
    polling: { intervalMs: 10, deadlineMs: 100 },
    operationId: 'reconcile@2025-06-02T09:00:00.000Z',
    actor: 'schedule:reconcile',
    ...memoryProgress(),
    ...parts,
  }) as OperationDeps;

const projectPolicy = (bindings: IamPolicy['bindings']): IamPolicy => ({ version: 1, etag: 'e1', bindings });

describe('iam.bindings.reconcile', () => {
  /** A project policy with these bindings behind a fake IAM, and what observe would read of it. */
  const policyWith = async (bindings: IamPolicy['bindings']) => {
    const fake = fakeIam(projectPolicy(bindings));
    const deps = depsWith({ iam: fake.iam as unknown as OperationDeps['iam'] });
    const observed = {
      users: [ada],
      policy: await fake.iam.getPolicy({ kind: 'project', projectId: 'p' }),
      now: NOW,
    };
    return { fake, deps, observed };
  };

  it('plans before → after per member and writes once, whatever the number of members', async () => {
    // Prepare
    const strays = Array.from({ length: 3 }, (_, index) => `user:stray${index}@acme.ai`);
    const { fake, deps, observed } = await policyWith([
      { role: 'roles/container.clusterViewer', members: ['user:ada@acme.ai'] },
      { role: 'roles/container.developer', members: ['user:ada@acme.ai', ...strays] },
    ]);
    // Act
    const plan = iamBindingsReconcile.plan(PLATFORM, observed, { policy: 'project' });
    await iamBindingsReconcile.apply(plan, deps, observed);
    const result = await iamBindingsReconcile.verify(plan, deps);
    // Assert
    expect(plan.changes).toHaveLength(4);
    expect(plan.changes[0]).toEqual({
      resource: 'projects/acme-ml-prod',
      field: 'user:ada@acme.ai',
      from: 'roles/container.developer',
      to: null,
    });
    expect(iamBindingsReconcile.approvalReason?.(plan, { policy: 'project' }, PLATFORM)).toBeUndefined();
    // One read (observe's, the write's basis) and one write; verify checks the policy it returned.
    expect(fake.calls).toEqual(['getPolicy', 'editPolicy from e1']);
    expect(fake.current().bindings).toEqual([
      { role: 'roles/container.clusterViewer', members: ['user:ada@acme.ai'] },
    ]);
    expect(result).toMatchObject({ policy: 'projects/acme-ml-prod', removed: 4, added: 0 });
  });

  it('reads before writing when resumed without an observation, and verifies by reading when apply recorded nothing', async () => {
    // Prepare
    const { fake, deps, observed } = await policyWith([
      { role: 'roles/container.developer', members: ['user:ada@acme.ai', 'user:stray@acme.ai'] },
    ]);
    const plan = iamBindingsReconcile.plan(PLATFORM, observed, { policy: 'project' });
    fake.calls.length = 0;
    // Act: a resumed apply (no observation), then a verify in a run whose progress is empty.
    await iamBindingsReconcile.apply(plan, deps);
    await iamBindingsReconcile.verify(plan, depsWith({ iam: fake.iam as unknown as OperationDeps['iam'] }));
    // Assert
    expect(fake.calls).toEqual(['editPolicy', 'getPolicy']);
    expect(fake.current().bindings).toEqual([
      { role: 'roles/container.clusterViewer', members: ['user:ada@acme.ai'] },
    ]);
  });

  it('asks for approval to take owner or editor from a human, or grants from many members', () => {
    // Prepare
    const many = Array.from(
      { length: MAX_UNAPPROVED_MEMBER_REMOVALS + 1 },
      (_, index) => `user:u${index}@acme.ai`,
    );
    const observedWith = (bindings: IamPolicy['bindings']) => ({
      users: [],
      policy: projectPolicy(bindings),
      now: NOW,
    });
    // Act
    const editor = iamBindingsReconcile.plan(
      PLATFORM,
      observedWith([{ role: 'roles/editor', members: ['user:x@acme.ai'] }]),
      { policy: 'project' },
    );
    const crowd = iamBindingsReconcile.plan(
      PLATFORM,
      observedWith([{ role: 'roles/container.developer', members: many }]),
      { policy: 'project' },
    );
    // Assert
    expect(iamBindingsReconcile.approvalReason?.(editor, { policy: 'project' }, PLATFORM)).toBe(
      'removes roles/editor from user:x@acme.ai',
    );
    expect(iamBindingsReconcile.approvalReason?.(crowd, { policy: 'project' }, PLATFORM)).toMatch(
      /grants of 6 members at once/,
    );
  });

  it('fails verification when the grant is back after the write', async () => {
    // Prepare
    const fake = fakeIam(projectPolicy([{ role: 'roles/container.developer', members: ['user:x@acme.ai'] }]));
    const plan = iamBindingsReconcile.plan(
      PLATFORM,
      { users: [], policy: fake.current(), now: NOW },
      { policy: 'project' },
    );
    // Act: nothing applied, so the grant is still there.
    const verify = iamBindingsReconcile.verify(
      plan,
      depsWith({ iam: fake.iam as unknown as OperationDeps['iam'] }),
    );
    // Assert
    await expect(verify).rejects.toThrow(VerificationFailedError);
  });
});

describe('reconcile.run', () => {
  /** Observed drift: the GPU pool's bounds (enforced) and an IAM stray (observed). */
  const observed = () => ({
    users: [],
    live: {
      now: NOW,
      nodePools: {
        'gpu-a100-pool': {
          name: 'gpu-a100-pool',
          status: 'RUNNING',
          locations: [],
          autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 3 },
          sizeByZone: {},
        },
      },
      sql: {},
      filestore: {},
      keys: {},
      unreadable: [],
    },
  });

  it('plans read-only without apply: what would be submitted, and submits nothing', async () => {
    // Prepare
    const submitted: CommandEnvelope[] = [];
    const deps = depsWith({
      submit: async (command) => {
        submitted.push(command);
        return 'x';
      },
    });
    // Act
    const plan = reconcileRun.plan(PLATFORM, observed(), { apply: false });
    await reconcileRun.apply(plan, deps);
    const result = await reconcileRun.verify(plan, deps);
    // Assert
    expect(plan.noop).toBe(true);
    expect(plan.reconcile.commands.map((command) => command.cli)).toEqual([
      'opsplane gpu autoscaling --min 0 --max 2 --pool gpu-a100-pool --off-hours',
    ]);
    expect(submitted).toEqual([]);
    expect(result).toMatchObject({ apply: false, submitted: [], commands: plan.reconcile.commands });
  });

  it('submits each planned command once, under its own key, and skips what an earlier attempt recorded', async () => {
    // Prepare
    const submitted: CommandEnvelope[] = [];
    const deps = depsWith({
      submit: async (command) => {
        submitted.push(command);
        return String(command.idempotencyKey);
      },
    });
    const plan = reconcileRun.plan(PLATFORM, observed(), { apply: true });
    // Act: apply twice (a redelivery after it finished submitting).
    await reconcileRun.apply(plan, deps);
    await reconcileRun.apply(plan, deps);
    const result = await reconcileRun.verify(plan, deps);
    // Assert
    expect(plan.noop).toBe(false);
    expect(submitted).toEqual([
      {
        type: 'gpu.autoscaling.set',
        args: { pool: 'gpu-a100-pool', min: 0, max: 2, offHours: true },
        actor: 'schedule:reconcile',
        reason: 'reconcile reconcile@2025-06-02T09:00:00.000Z: gpu-pool/gpu-a100-pool:autoscaling-bounds',
        dryRun: false,
        idempotencyKey: 'reconcile@2025-06-02T09:00:00.000Z-1',
      },
    ]);
    expect(result.submitted).toEqual([
      {
        operationId: 'reconcile@2025-06-02T09:00:00.000Z-1',
        type: 'gpu.autoscaling.set',
        cli: 'opsplane gpu autoscaling --min 0 --max 2 --pool gpu-a100-pool --off-hours',
      },
    ]);
  });

  it('does not submit a fix again while the copy an earlier reconcile submitted is still open (e.g. waiting for approval)', async () => {
    // Prepare: the previous tick's gpu.autoscaling.set waits for its approver (args in Firestore's key order).
    const submitted: CommandEnvelope[] = [];
    const deps = depsWith({
      submit: async (command) => {
        submitted.push(command);
        return String(command.idempotencyKey);
      },
      openOperations: async () => [
        {
          id: 'reconcile@2025-06-02T08:45:00.000Z-1',
          type: 'gpu.autoscaling.set',
          args: { max: 2, min: 0, offHours: true, pool: 'gpu-a100-pool' },
        },
      ],
    });
    const plan = reconcileRun.plan(PLATFORM, observed(), { apply: true });
    // Act
    await reconcileRun.apply(plan, deps);
    const result = await reconcileRun.verify(plan, deps);
    // Assert
    expect(submitted).toEqual([]);
    expect(result.submitted).toEqual([
      {
        operationId: 'reconcile@2025-06-02T08:45:00.000Z-1',
        type: 'gpu.autoscaling.set',
        cli: 'opsplane gpu autoscaling --min 0 --max 2 --pool gpu-a100-pool --off-hours',
      },
    ]);
  });

  it('refuses to apply without a way to submit', async () => {
    // Prepare
    const plan = reconcileRun.plan(PLATFORM, observed(), { apply: true });
    // Act
    const apply = reconcileRun.apply(plan, depsWith({}));
    // Assert
    await expect(apply).rejects.toThrow(ConfigError);
  });

  it('keeps submission keys valid ledger ids even for a long reconcile id', () => {
    // Act
    const short = submissionKey('reconcile@2025-06-02T09:00:00.000Z', 3);
    const long = submissionKey('x'.repeat(199), 12);
    // Assert
    expect(short).toBe('reconcile@2025-06-02T09:00:00.000Z-3');
    expect(long).toMatch(/^reconcile-[0-9a-f]{40}-12$/);
    expect(submissionKey('x'.repeat(199), 12)).toBe(long);
  });
});
