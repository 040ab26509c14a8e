import { isFinalStatus, type OperationRecord } from '../shared/ledger';
import { type BasePlan, renderPlan } from '../shared/operations';
import type { Clock } from '../shared/time';
import type { ControlPlaneClient } from './control-plane-client';

/**
 * Follows an operation in the ledger until it is final, reporting each change (status, plan,
 * Google operations started, retries) as a line.
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
      for (const op of record.googleOperations)
        report(`op:${op.name}`, `  GKE operation ${op.name} started (${op.step})`);
      if (record.lastError && record.status === 'running') {
        report(
          `retry:${record.attempts}:${record.lastError.code}`,
          `  will retry: ${record.lastError.code}: ${record.lastError.message}`,
        );
      }
      if (isFinalStatus(record.status)) return record;
    } else {
      report('queued', '  queued: waiting for the command function to pick it up');
    }
    if (options.clock.now().getTime() >= deadline) return record;
    await options.clock.sleep(options.intervalMs);
  }
};

export { waitForOutcome };
