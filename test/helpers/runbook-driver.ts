import { randomUUID } from 'node:crypto';
import { workflows as workflowsApi } from 'googleapis/build/src/apis/workflows';
import type { CliContext } from '../../cli/cli-context';
import { connectToStack } from '../../cli/connect-local';
import { runbookClientForStack } from '../../cli/connect-runbooks';
import type { RunningSimulator } from '../../local/simulator';
import {
  type ExecutionView,
  type RunbookClient,
  workflowsDiscoveryOptions,
} from '../../shared/gcp/runbook-client';
import type { OperationLedger, OperationRecord } from '../../shared/ledger';
import { systemClock } from '../../shared/time';
import { type LocalStackDriver, startLocalStackDriver } from './local-stack-driver';

/**
 * The local stack with its runbooks, driven as the CLI drives them: executions started and read
 * through the official Workflows clients (`createRunbookClient`) against the stack's local
 * Workflows API, the operations they submit read from the ledger, and human decisions sent as
 * `approval.grant` / `approval.deny` commands from an approver, as `opsplane approve` sends them.
 */

/** Who starts the runbooks: the platform team, with every permission, but not an approver. */
const RUNBOOK_REQUESTER = 'user:sofia.rossi@acme.ai';
/** An approver other than the requester (desired state's approvers). */
const RUNBOOK_APPROVER = 'user:maria.chen@acme.ai';

const FINAL_STATES = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** What the runbook end-to-end tests drive and read; made by {@link startRunbookDriver}. */
interface RunbookDriver {
  /** The stack, its ledger and its command publisher. */
  stackDriver: LocalStackDriver;
  /** The operations ledger (Firestore emulator). */
  ledger: OperationLedger;
  /** The platform simulator the functions act on: its state, request log and faults. */
  simulator: RunningSimulator;
  /** The CLI's own client, on the stack's Workflows endpoint. */
  runbooks: RunbookClient;
  /** The googleapis Workflows (deploy) API on the stack's endpoint, as infra-bootstrap deploys. */
  workflowsApi: ReturnType<typeof workflowsApi>;
  /** `projects/P/locations/L` of the deployed runbooks. */
  parent: string;
  /** Starts `runbook`; `requestedBy` defaults to {@link RUNBOOK_REQUESTER}, as the CLI defaults it to you. */
  start(runbook: string, argument: Record<string, unknown>): Promise<ExecutionView>;
  /** Reads the execution until it has ended (SUCCEEDED, FAILED or CANCELLED). */
  finished(execution: ExecutionView, timeoutMs?: number): Promise<ExecutionView>;
  /** The ledger id of the operation a step submitted: the runbooks key them `<execution id>-<step>`. */
  operationIdOf(execution: ExecutionView, step: string): string;
  /** Waits until the step's operation exists and stops for a human approval. */
  pendingApproval(execution: ExecutionView, step: string, timeoutMs?: number): Promise<OperationRecord>;
  /** An approver grants the operation; resolves once the grant command succeeded. */
  approve(operationId: string, approver?: string): Promise<void>;
  /** An approver denies the operation; resolves once the deny command succeeded. */
  deny(operationId: string, comment: string, approver?: string): Promise<void>;
  /** Every operation the execution submitted, oldest first. */
  operationsOf(execution: ExecutionView): Promise<OperationRecord[]>;
  /**
   * A CLI context on this stack, as `opsplane` builds one from `.opsplane/local.json`: the control
   * plane through the emulators (cli/connect-local.ts), the runbooks through the stack's
   * Workflows endpoint; what the commands print is collected in `out` and `err`.
   */
  cli(actor: string): { ctx: CliContext; out: string[]; err: string[] };
  /** The workflow's own clock (`sys.now()`, in ms), read by running a one-step workflow. */
  workflowNow(): Promise<number>;
  stop(): Promise<void>;
}

const executionIdOf = (execution: ExecutionView): string => execution.name.split('/').pop() ?? '';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A one-step workflow that returns the workflow clock's now (`sys.now()`, seconds). */
const CLOCK_PROBE = 'clock-probe';
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Workflows ${...} expression, not a template.
const CLOCK_PROBE_SOURCE = 'main:\n  steps:\n    - done:\n        return: ${sys.now()}\n';

/**
 * Starts a local stack (one per test file: it takes seconds) with the runbooks deployed, and the
 * clients the CLI uses pointed at it, so that a test runs a runbook exactly as a person would.
 */
const startRunbookDriver = async (
  options: Parameters<typeof startLocalStackDriver>[0] = {},
): Promise<RunbookDriver> => {
  const driver = await startLocalStackDriver(options);
  const workflows = driver.stack.info.workflows;
  if (!workflows) {
    await driver.stop();
    throw new Error('the local stack runs no Workflows API');
  }
  const runbooks = runbookClientForStack(driver.stack.info);
  const api = workflowsApi({ version: 'v1', ...workflowsDiscoveryOptions(workflows.endpoint) });
  const parent = `projects/${driver.stack.info.projectId}/locations/${workflows.location}`;

  const decide = async (
    type: 'approval.grant' | 'approval.deny',
    operationId: string,
    approver: string,
    comment: string,
  ) => {
    const id = await driver.send({
      type,
      args: { operationId, comment },
      actor: approver,
      reason: `end-to-end test: ${type} of a runbook step`,
    });
    const decision = await driver.until(id);
    if (decision.status !== 'succeeded') {
      throw new Error(
        `${type} of ${operationId} ended ${decision.status}: ${JSON.stringify(decision.error)}`,
      );
    }
  };

  const finished = async (execution: ExecutionView, timeoutMs = 45_000): Promise<ExecutionView> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await runbooks.getExecution(execution.id);
      if (FINAL_STATES.has(current.state)) return current;
      if (Date.now() > deadline) {
        throw new Error(`execution ${execution.id} still ${current.state}: ${JSON.stringify(current)}`);
      }
      await sleep(200);
    }
  };

  const operationIdOf = (execution: ExecutionView, step: string) => `${executionIdOf(execution)}-${step}`;

  return {
    stackDriver: driver,
    ledger: driver.ledger,
    simulator: driver.stack.simulator,
    runbooks,
    workflowsApi: api,
    parent,
    start: (runbook, argument) => runbooks.start(runbook, { requestedBy: RUNBOOK_REQUESTER, ...argument }),
    finished,
    operationIdOf,
    async pendingApproval(execution, step, timeoutMs = 30_000) {
      const id = operationIdOf(execution, step);
      const deadline = Date.now() + timeoutMs;
      // The step submits its operation some time after the execution starts (if it gets there).
      while (!(await driver.ledger.get(id))) {
        const current = await runbooks.getExecution(execution.id);
        if (FINAL_STATES.has(current.state) || Date.now() > deadline) {
          throw new Error(`no operation ${id}; the execution is ${JSON.stringify(current)}`);
        }
        await sleep(150);
      }
      return driver.until(id, ['pending_approval'], Math.max(1000, deadline - Date.now()));
    },
    approve: (operationId, approver = RUNBOOK_APPROVER) =>
      decide('approval.grant', operationId, approver, 'checked by the end-to-end test'),
    deny: (operationId, comment, approver = RUNBOOK_APPROVER) =>
      decide('approval.deny', operationId, approver, comment),
    async operationsOf(execution) {
      const prefix = `${executionIdOf(execution)}-`;
      const records = await driver.ledger.list({ limit: 500 });
      return records
        .filter((record) => record.id.startsWith(prefix))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
    cli(actor) {
      const out: string[] = [];
      const err: string[] = [];
      const info = driver.stack.info;
      const ctx: CliContext = {
        out: (text) => out.push(text),
        err: (text) => err.push(text),
        connect: async () => connectToStack(info),
        connectRunbooks: async () => runbookClientForStack(info),
        actor: () => actor,
        newIdempotencyKey: () => `cli-${randomUUID()}`,
        clock: systemClock,
        pollIntervalMs: 200,
      };
      return { ctx, out, err };
    },
    async workflowNow() {
      const name = `${parent}/workflows/${CLOCK_PROBE}`;
      await api.projects.locations.workflows.create({
        parent,
        workflowId: CLOCK_PROBE,
        requestBody: { sourceContents: CLOCK_PROBE_SOURCE },
      });
      try {
        const probe = await finished(await runbooks.start(CLOCK_PROBE, {}), 10_000);
        if (typeof probe.result !== 'number')
          throw new Error(`the clock probe ended ${JSON.stringify(probe)}`);
        return probe.result * 1000;
      } finally {
        await api.projects.locations.workflows.delete({ name });
      }
    },
    async stop() {
      await runbooks.close();
      await driver.stop();
    },
  };
};

export type { RunbookDriver };
export { RUNBOOK_APPROVER, RUNBOOK_REQUESTER, startRunbookDriver };
