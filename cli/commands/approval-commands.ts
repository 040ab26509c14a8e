import type { OperationRecord } from '../../shared/ledger';
import { type CliContext, EXIT } from '../cli-context';
import type { ControlPlaneClient } from '../control-plane-client';
import { renderRecord } from '../render';
import { HELP_WORDS, runSubcommandSpec, type SubcommandSpec, wantsHelp } from './subcommand-spec';
import { SUBMIT_HELP, type SubmitFlags } from './submit-command';

/** Usage of `opsplane approve`, `deny` and `withdraw`, without the submit flags, as the top-level help lists it. */
const APPROVAL_USAGE = `usage:
  opsplane approve ID [--comment TEXT]
  opsplane deny ID [--comment TEXT]
  opsplane withdraw ID [--comment TEXT]

  Decide on an operation waiting for approval (opsplane ops list --status pending_approval). Only
  an approver of desired state (opsplane state get access.approvers) may, and never on their own
  request. An approved operation goes on with the plan it was approved with; a denied one ends
  rejected. withdraw takes back a request nobody decided yet (yours, one a runbook made for you,
  or any with the approval.withdraw permission); it ends rejected APPROVAL_EXPIRED. With --wait,
  the decision is followed to its end and the operation decided on is shown.`;

/** Usage of `opsplane approve|deny`, with the flags every submitting command takes. */
const APPROVAL_HELP = `${APPROVAL_USAGE}\n${SUBMIT_HELP}`;

/**
 * With --wait, once the decision itself is recorded: the operation it decided on, as it is now
 * (running again after a grant, rejected after a denial). Exit 0 when the decision was recorded.
 */
const reportDecision = async (
  ctx: CliContext,
  client: ControlPlaneClient,
  record: OperationRecord,
  flags: SubmitFlags,
): Promise<number> => {
  const targetId = typeof record.args.operationId === 'string' ? record.args.operationId : undefined;
  const decided: OperationRecord | undefined = targetId ? await client.getOperation(targetId) : undefined;
  const code = record.status === 'succeeded' ? EXIT.ok : EXIT.operationFailed;
  if (flags.json) {
    ctx.out(JSON.stringify({ decision: record, operation: decided ?? null }, null, 2));
    return code;
  }
  if (record.status !== 'succeeded') {
    ctx.out(`\nthe decision was not recorded:\n${renderRecord(record)}`);
    return code;
  }
  const verb =
    record.type === 'approval.grant' ? 'approve' : record.type === 'approval.withdraw' ? 'withdraw' : 'deny';
  if (record.dryRun) ctx.out(`\ndry run: you may ${verb} operation ${targetId}; nothing was decided`);
  if (!decided) {
    ctx.out(`\noperation ${targetId ?? '?'} is no longer in the ledger`);
    return code;
  }
  if (!record.dryRun) {
    const what =
      decided.approval?.decision ??
      (verb === 'approve' ? 'granted' : verb === 'withdraw' ? 'withdrawn' : 'denied');
    ctx.out(
      `\n${what}: operation ${decided.id} (${decided.type}, requested by ${decided.actor}) is now ${decided.status}`,
    );
  }
  ctx.out(`\n${renderRecord(decided)}`);
  if (decided.status === 'running') ctx.out(`\nfollow it with: opsplane ops show ${decided.id}`);
  return code;
};

/** `approve|deny|withdraw ID` → approval.grant|deny|withdraw with {operationId, comment?}. */
const approvalSpec = (type: 'approval.grant' | 'approval.deny' | 'approval.withdraw'): SubcommandSpec => ({
  type,
  positional: { name: 'ID', field: 'operationId' },
  flags: { comment: { field: 'comment', kind: 'string' } },
  reportFinished: reportDecision,
});

const APPROVAL_SPECS = {
  approve: approvalSpec('approval.grant'),
  deny: approvalSpec('approval.deny'),
  withdraw: approvalSpec('approval.withdraw'),
} as const;

/** `opsplane approve|deny|withdraw ID`: a decision on an operation that waits for one. */
const runApprovalCommand =
  (verb: 'approve' | 'deny' | 'withdraw') =>
  async (ctx: CliContext, argv: string[]): Promise<number> => {
    if (argv.length === 0) {
      ctx.out(APPROVAL_HELP);
      return EXIT.usage;
    }
    if (HELP_WORDS.has(argv[0] ?? '') || wantsHelp(argv)) {
      ctx.out(APPROVAL_HELP);
      return EXIT.ok;
    }
    return runSubcommandSpec(ctx, [verb], APPROVAL_SPECS[verb], argv, APPROVAL_HELP);
  };

export { APPROVAL_HELP, APPROVAL_USAGE, runApprovalCommand };
