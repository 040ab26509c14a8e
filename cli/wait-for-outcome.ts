import { isFinalStatus, type OperationRecord } from '../shared/ledger';
// The module itself, not the operations index: the CLI needs no operation module loaded.
import { type BasePlan, renderPlan } from '../shared/operations/operation';
import type { Clock } from '../shared/time';
import type { ControlPlaneClient } from './control-plane-client';

/**
 * Whether `--wait` is over: the operation ended, or it waits for a human approval (which may take
 * hours; the CLI says how to approve rather than hang).
 */
const stopsWaiting = (record: OperationRecord): boolean =>
  isFinalStatus(record.status) || record.status === 'pending_approval';

/**
 * Follows an operation in the ledger until it is final or waits for approval, reporting each
 * change (status, plan, approval, parking, Google operations started, retries) as a line. Returns
 * the last record read (undefined if none ever appeared) when the timeout runs out first.
 */
const waitForOutcome = async (
  client: Pick<ControlPlaneClient, 'getOperation'>,
  id: string,
  options: { clock: Clock; intervalMs: number; timeoutMs: number; onProgress: (line: string) => void },
): Promise<OperationRecord | undefined> => {
  const deadline = options.clock.now().getTime() + options.timeoutMs;
  const seen = new Set<string>();
  const report = (key: string, line: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    options.onProgress(line);
  };
  for (;;) {
    const record = await client.getOperation(id);
    if (record) {
      report(
        `status:${record.status}:${record.attempts}`,
        `  ${record.status}${record.status === 'running' ? ` (attempt ${record.attempts})` : ''}`,
      );
      if (record.plan)
        report(
          'plan',
          renderPlan(record.plan as unknown as BasePlan)
            .split('\n')
            .map((l) => `  ${l}`)
            .join('\n'),
        );
      if (record.approval) {
        report('approval', `  needs approval: ${record.approval.reason}`);
        if (record.approval.decision)
          report(
            'decision',
            `  ${record.approval.decision} by ${record.approval.approver ?? 'unknown'}${record.approval.comment ? `: ${record.approval.comment}` : ''}`,
          );
      }
      if (record.waiting)
        report(
          `waiting:${record.waiting.since}`,
          `  waiting: ${record.waiting.reason} (resumes at ${record.waiting.resumeAt})`,
        );
      for (const op of record.googleOperations)
        report(`op:${op.name}`, `  Google operation ${op.name} started (${op.step})`);
      if (record.lastError && record.status === 'running') {
        report(
          `retry:${record.attempts}:${record.lastError.code}`,
          `  will retry: ${record.lastError.code}: ${record.lastError.message}`,
        );
      }
      if (stopsWaiting(record)) return record;
    } else {
      report('queued', '  queued: waiting for the command function to pick it up');
    }
    if (options.clock.now().getTime() >= deadline) return record;
    await options.clock.sleep(options.intervalMs);
  }
};

export { stopsWaiting, waitForOutcome };
