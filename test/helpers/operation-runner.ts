import type { CommandArgs, OperationCommandType } from '../../shared/commands';
import {
  DesiredStateStore,
  desiredStateFromFixture,
  type PlatformState,
  type UserState,
  usersFromFixture,
} from '../../shared/desired-state';
import { OperationPendingError } from '../../shared/errors';
import type { GoogleOperationRef } from '../../shared/ledger';
import { silentLogger } from '../../shared/logging';
import type {
  BasePlan,
  OperationDeps,
  OperationModule,
  OperationProgress,
  PlatformApis,
} from '../../shared/operations';
import { MemoryDocumentStore } from '../../shared/store';
import type { ManualClock } from '../../shared/time';
import { loadFixture } from './factories';

/**
 * Drives one operation module the way the command processor does (observe → plan → apply →
 * verify), without the ledger: progress is kept in memory, and a parked wait (a Google operation
 * still running, a grace period) is resumed by moving the manual clock on, as the poller would.
 * For operation tests; the full command path has its own harness.
 */

/** OperationProgress over plain arrays, so a test can inspect or carry it into a second run. */
class InMemoryProgress implements OperationProgress {
  readonly googleOperations: GoogleOperationRef[] = [];
  readonly steps: Record<string, Record<string, unknown>> = {};

  constructor(private readonly clock: ManualClock) {}

  googleOperation(step: string): GoogleOperationRef | undefined {
    return this.googleOperations.find((op) => op.step === step);
  }

  async recordGoogleOperation(ref: Omit<GoogleOperationRef, 'startedAt'>): Promise<void> {
    await Promise.resolve();
    const index = this.googleOperations.findIndex((op) => op.step === ref.step);
    const full = { ...ref, startedAt: this.clock.now().toISOString() };
    if (index >= 0) this.googleOperations[index] = full;
    else this.googleOperations.push(full);
  }

  step(step: string): Record<string, unknown> | undefined {
    return this.steps[step];
  }

  async recordStep(step: string, facts: Record<string, unknown>): Promise<void> {
    await Promise.resolve();
    this.steps[step] = structuredClone(facts);
  }
}

interface OperationContext {
  platform: PlatformState;
  apis: PlatformApis;
  desiredState: DesiredStateStore;
  clock: ManualClock;
  progress?: InMemoryProgress;
  operationId?: string;
  actor?: string;
}

/** Desired state in memory, seeded from the fixture (platform and users). */
const desiredStateForTest = async (
  now: Date,
): Promise<{ desiredState: DesiredStateStore; platform: PlatformState }> => {
  const desiredState = new DesiredStateStore(
    new MemoryDocumentStore<PlatformState>(),
    new MemoryDocumentStore<UserState>(),
  );
  const fixture = loadFixture();
  const platform = desiredStateFromFixture(fixture);
  await desiredState.putPlatform(platform);
  for (const user of usersFromFixture(fixture, now)) await desiredState.putUser(user);
  return { desiredState, platform };
};

const depsOf = (context: OperationContext, progress: InMemoryProgress): OperationDeps => ({
  ...context.apis,
  desiredState: context.desiredState,
  clock: context.clock,
  logger: silentLogger,
  polling: { intervalMs: 1000, deadlineMs: 5000 },
  progress,
  operationId: context.operationId ?? 'op-test',
  actor: context.actor ?? 'user:dev.patel@acme.ai',
});

/** observe → plan, as the processor plans a command. */
const planOperation = async <T extends OperationCommandType, O, P extends BasePlan>(
  operation: OperationModule<T, O, P>,
  args: CommandArgs<T>,
  context: OperationContext,
): Promise<P> => {
  const progress = context.progress ?? new InMemoryProgress(context.clock);
  const observed = await operation.observe(args, context.platform, depsOf(context, progress));
  return operation.plan(context.platform, observed, args);
};

/**
 * apply → verify for a plan, resuming parked waits by advancing the clock (at most `maxResumes`
 * times). Returns verify's result and the progress (Google operations and steps recorded).
 */
const applyPlan = async <T extends OperationCommandType, O, P extends BasePlan>(
  operation: OperationModule<T, O, P>,
  plan: P,
  context: OperationContext,
  maxResumes = 50,
): Promise<{ result: Record<string, unknown>; progress: InMemoryProgress; resumes: number }> => {
  const progress = context.progress ?? new InMemoryProgress(context.clock);
  const deps = depsOf(context, progress);
  for (let resumes = 0; ; resumes += 1) {
    try {
      await operation.apply(plan, deps);
      return { result: await operation.verify(plan, deps), progress, resumes };
    } catch (error) {
      if (!(error instanceof OperationPendingError) || resumes >= maxResumes) throw error;
      const resumeAt = error.resumeAt?.getTime() ?? context.clock.now().getTime() + 1000;
      context.clock.advance(Math.max(1, resumeAt - context.clock.now().getTime()));
    }
  }
};

/** The whole run: plan, then apply and verify. */
const runOperation = async <T extends OperationCommandType, O, P extends BasePlan>(
  operation: OperationModule<T, O, P>,
  args: CommandArgs<T>,
  context: OperationContext,
) => {
  const plan = await planOperation(operation, args, context);
  return { plan, ...(await applyPlan(operation, plan, context)) };
};

export type { OperationContext };
export { applyPlan, desiredStateForTest, InMemoryProgress, planOperation, runOperation };
