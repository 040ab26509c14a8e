import {
  type ErrorRecord,
  NotFoundError,
  PermissionDeniedError,
  PolicyViolationError,
  StateConflictError,
} from '../errors';
import { type DocumentStore, MAX_CONCURRENT_RETRIES, type Versioned } from '../store';
import {
  type ApprovalRecord,
  type GoogleOperationRef,
  isFinalStatus,
  type NotifyTarget,
  type OperationRecord,
  type OperationStatus,
  type WaitingRecord,
} from './operation-record';

/** How long a running, unparked, unclaimed operation may sit untouched before it counts as abandoned. */
const ABANDONED_AFTER_MS = 30 * 60_000;
/** What a delivery of a command finds when it tries to start it. */
type BeginOutcome =
  /** First delivery: this caller now holds the claim. */
  | { kind: 'started'; record: OperationRecord }
  /** An earlier holder's claim expired (it crashed or gave up): this caller took over. */
  | { kind: 'resumed'; record: OperationRecord }
  /** Someone else holds a live claim: do not apply a second time. */
  | { kind: 'in_progress'; record: OperationRecord }
  /** Already succeeded, failed or was rejected: nothing to do. */
  | { kind: 'finished'; record: OperationRecord }
  /** Waiting for a human decision. */
  | { kind: 'pending_approval'; record: OperationRecord };

/** What was asked, as the first delivery of a command carried it. */
interface OperationRequest {
  id: string;
  messageId: string;
  type: string;
  args: Record<string, unknown>;
  actor: string;
  /** The person an automated actor asks for (a runbook's starter). */
  requestedBy?: string | undefined;
  /** Where the outcomes go, when the publisher asked for it. */
  notify?: NotifyTarget | undefined;
  reason: string;
  dryRun: boolean;
}

/** What a requester's withdrawal of its request for approval found. */
type WithdrawOutcome =
  /** It was waiting: now it is rejected with the withdrawal's error. */
  | { kind: 'withdrawn'; record: OperationRecord }
  /** Withdrawn before (a retried withdrawal): unchanged. */
  | { kind: 'already_withdrawn'; record: OperationRecord }
  /** Decided, or never waiting for approval: unchanged. */
  | { kind: 'not_waiting'; record: OperationRecord };

interface BeginInput extends OperationRequest {
  holder: string;
  now: Date;
  claimTtlMs: number;
}

interface RejectInput extends OperationRequest {
  error: ErrorRecord;
  now: Date;
}

/** A first record of an operation, before anything was done for it. */
const newRecord = (input: OperationRequest, status: OperationStatus, now: string): OperationRecord => ({
  id: input.id,
  status,
  type: input.type,
  args: input.args,
  actor: input.actor,
  ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
  ...(input.notify ? { notify: { callbackUrl: input.notify.callbackUrl } } : {}),
  reason: input.reason,
  dryRun: input.dryRun,
  attempts: 1,
  googleOperations: [],
  messageIds: [input.messageId],
  resultPublished: false,
  createdAt: now,
  updatedAt: now,
});

/**
 * The operation ledger. Every transition is a read-decide-write on the operation's document, so
 * two deliveries of the same command racing each other cannot both start it: exactly one `create`
 * or one conditional `replace` wins, the other re-reads and sees the winner's claim.
 *
 *   delivery A: create ─ok─> running(claim A) ─────────────> finish ─> succeeded
 *   delivery B:    create ─exists─> read: claim A live ─> in_progress (ack, no second apply)
 *   delivery C (after A crashed):  read: claim A expired ─> replace ─> running(claim C, attempts+1)
 */
class OperationLedger {
  readonly #store: DocumentStore<OperationRecord>;

  constructor(store: DocumentStore<OperationRecord>) {
    this.#store = store;
  }

  async get(id: string): Promise<OperationRecord | undefined> {
    return (await this.#store.get(id))?.doc;
  }

  /** Newest first. */
  async list(options: { limit?: number; status?: OperationStatus } = {}): Promise<OperationRecord[]> {
    return this.#store.list({
      orderBy: 'createdAt',
      direction: 'desc',
      limit: options.limit ?? 50,
      ...(options.status ? { where: [{ field: 'status', equals: options.status }] } : {}),
    });
  }

  /** Operations not over yet, newest first per status: waiting for approval, then running (`limit` of each). */
  async listUnfinished(limit = 500): Promise<OperationRecord[]> {
    return [
      ...(await this.list({ limit, status: 'pending_approval' })),
      ...(await this.list({ limit, status: 'running' })),
    ];
  }

  /** Claims the operation for this delivery, or reports why not. */
  async begin(input: BeginInput): Promise<BeginOutcome> {
    const now = input.now.toISOString();
    const claim = {
      holder: input.holder,
      expiresAt: new Date(input.now.getTime() + input.claimTtlMs).toISOString(),
    };
    const fresh: OperationRecord = { ...newRecord(input, 'running', now), claim };
    for (let round = 0; round < MAX_CONCURRENT_RETRIES; round += 1) {
      if (await this.#store.create(input.id, fresh)) return { kind: 'started', record: fresh };
      const current = await this.#store.get(input.id);
      if (!current) continue; // deleted between create and get: try creating again
      const { doc } = current;
      if (isFinalStatus(doc.status)) return { kind: 'finished', record: doc };
      if (doc.status === 'pending_approval') return { kind: 'pending_approval', record: doc };
      if (doc.claim && doc.claim.holder !== input.holder && doc.claim.expiresAt > now) {
        return { kind: 'in_progress', record: doc };
      }
      // A parked operation resuming is not a new attempt: waiting is what it was asked to do.
      const { waiting, ...rest } = doc;
      const resumed: OperationRecord = {
        ...rest,
        status: 'running',
        attempts: waiting ? doc.attempts : doc.attempts + 1,
        claim,
        messageIds: doc.messageIds.includes(input.messageId)
          ? doc.messageIds
          : [...doc.messageIds, input.messageId],
        updatedAt: now,
      };
      if (await this.#store.replace(input.id, resumed, current.version))
        return { kind: 'resumed', record: resumed };
    }
    throw new StateConflictError(`could not claim operation ${input.id}: too much contention`);
  }

  /** Records a command that never became valid; keeps an existing record untouched. */
  async reject(input: RejectInput): Promise<OperationRecord> {
    const now = input.now.toISOString();
    const record: OperationRecord = {
      ...newRecord(input, 'rejected', now),
      error: input.error,
      finishedAt: now,
    };
    if (await this.#store.create(input.id, record)) return record;
    const existing = await this.#store.get(input.id);
    return existing?.doc ?? record;
  }

  /**
   * Changes an operation this holder has claimed. Throws StateConflictError when the claim was
   * lost (expired and taken over), so a stale holder can never overwrite the new one's progress.
   */
  async update(
    id: string,
    holder: string,
    change: (record: OperationRecord) => OperationRecord,
    now: Date,
  ): Promise<OperationRecord> {
    for (let round = 0; round < MAX_CONCURRENT_RETRIES; round += 1) {
      const current = await this.#requireClaimed(id, holder);
      const next = { ...change(current.doc), updatedAt: now.toISOString() };
      if (await this.#store.replace(id, next, current.version)) return next;
    }
    throw new StateConflictError(`could not update operation ${id}: too much contention`);
  }

  async recordPlan(id: string, holder: string, plan: Record<string, unknown>, resource: string, now: Date) {
    return this.update(id, holder, (record) => ({ ...record, plan, resource }), now);
  }

  async recordGoogleOperation(id: string, holder: string, ref: GoogleOperationRef, now: Date) {
    return this.update(
      id,
      holder,
      (record) => ({
        ...record,
        googleOperations: [...record.googleOperations.filter((op) => op.step !== ref.step), ref],
      }),
      now,
    );
  }

  async recordStep(id: string, holder: string, step: string, facts: Record<string, unknown>, now: Date) {
    return this.update(
      id,
      holder,
      (record) => ({ ...record, steps: { ...record.steps, [step]: facts } }),
      now,
    );
  }

  /** Parks a running operation: the claim is dropped, the lease kept, and the poller resumes it. */
  async park(id: string, holder: string, waiting: WaitingRecord, now: Date): Promise<OperationRecord> {
    return this.update(
      id,
      holder,
      ({ claim: _claim, lastError: _lastError, ...record }) => ({ ...record, waiting }),
      now,
    );
  }

  /** Stops the operation for a human decision on its plan; the claim is dropped. */
  async requestApproval(
    id: string,
    holder: string,
    approval: ApprovalRecord,
    now: Date,
  ): Promise<OperationRecord> {
    return this.update(
      id,
      holder,
      ({ claim: _claim, lastError: _lastError, ...record }) => ({
        ...record,
        status: 'pending_approval',
        approval,
      }),
      now,
    );
  }

  /**
   * Records an approver's decision on an operation waiting for approval. Granted: the operation is
   * running again, parked for the poller to resume at once. Denied: it ends rejected.
   *
   * @throws NotFoundError for an unknown id; PolicyViolationError when it is not waiting for approval.
   */
  async decideApproval(
    id: string,
    decision: { granted: boolean; approver: string; comment?: string | undefined; error?: ErrorRecord },
    now: Date,
  ): Promise<OperationRecord> {
    const at = now.toISOString();
    for (let round = 0; round < MAX_CONCURRENT_RETRIES; round += 1) {
      const current = await this.#store.get(id);
      if (!current) throw new NotFoundError(`no operation ${id} in the ledger`);
      const { doc } = current;
      if (doc.status !== 'pending_approval' || !doc.approval) {
        throw new PolicyViolationError(`operation ${id} is ${doc.status}, not waiting for approval`);
      }
      const approval: ApprovalRecord = {
        ...doc.approval,
        decision: decision.granted ? 'granted' : 'denied',
        approver: decision.approver,
        ...(decision.comment ? { comment: decision.comment } : {}),
        decidedAt: at,
      };
      const next: OperationRecord = decision.granted
        ? {
            ...doc,
            status: 'running',
            approval,
            waiting: { reason: `approved by ${decision.approver}`, since: at, resumeAt: at },
            updatedAt: at,
          }
        : {
            ...doc,
            status: 'rejected',
            approval,
            ...(decision.error ? { error: decision.error } : {}),
            finishedAt: at,
            updatedAt: at,
          };
      if (await this.#store.replace(id, next, current.version)) return next;
    }
    throw new StateConflictError(`could not decide on operation ${id}: too much contention`);
  }

  /**
   * The requester takes back its request while the operation waits for approval (a runbook whose
   * wait for a decision timed out): it ends rejected with `error`, the withdrawal kept in its
   * approval record. A grant or denial racing it is a conditional write too: exactly one wins.
   *
   * @throws NotFoundError for an unknown id; PermissionDeniedError when `actor` did not request it
   *   (unless `options.authorized`: the caller checked that `actor` may withdraw it anyway).
   */
  async withdrawApproval(
    id: string,
    withdrawal: { actor: string; reason: string; error: ErrorRecord },
    now: Date,
    options: { authorized?: boolean } = {},
  ): Promise<WithdrawOutcome> {
    const at = now.toISOString();
    for (let round = 0; round < MAX_CONCURRENT_RETRIES; round += 1) {
      const current = await this.#store.get(id);
      if (!current) throw new NotFoundError(`no operation ${id} in the ledger`);
      const { doc } = current;
      // `authorized`: the caller checked that this actor may withdraw another's request.
      if (doc.actor !== withdrawal.actor && !options.authorized) {
        throw new PermissionDeniedError(
          `${withdrawal.actor} did not request operation ${id} (${doc.actor} did) and may not withdraw it`,
          { actor: withdrawal.actor, operationId: id },
        );
      }
      if (doc.approval?.decision === 'withdrawn') return { kind: 'already_withdrawn', record: doc };
      if (doc.status !== 'pending_approval' || !doc.approval) return { kind: 'not_waiting', record: doc };
      const next: OperationRecord = {
        ...doc,
        status: 'rejected',
        approval: {
          ...doc.approval,
          decision: 'withdrawn',
          approver: withdrawal.actor,
          comment: withdrawal.reason,
          decidedAt: at,
        },
        error: withdrawal.error,
        finishedAt: at,
        updatedAt: at,
      };
      if (await this.#store.replace(id, next, current.version)) return { kind: 'withdrawn', record: next };
    }
    throw new StateConflictError(`could not withdraw operation ${id}: too much contention`);
  }

  /**
   * What the operations poller puts back on the command path, oldest first: parked operations whose
   * time has come, and abandoned ones. Abandoned: running, not parked, unclaimed (or the claim
   * expired) and untouched for `abandonedAfterMs`, i.e. longer than Pub/Sub's redelivery backoff
   * (at most 10 minutes), so its message is gone (dead-lettered, or lost). Resuming one makes the
   * processor retry it or, past its attempts, record it failed; without this it would stay running
   * for ever, and a schedule whose run it is would skip every later tick.
   */
  async listDue(now: Date, limit = 100, abandonedAfterMs = ABANDONED_AFTER_MS): Promise<OperationRecord[]> {
    const at = now.getTime();
    const running = await this.#store.list({
      orderBy: 'createdAt',
      direction: 'asc',
      limit: 1000,
      where: [{ field: 'status', equals: 'running' }],
    });
    return running
      .filter((record) => {
        if (record.claim && Date.parse(record.claim.expiresAt) > at) return false;
        if (record.waiting) return Date.parse(record.waiting.resumeAt) <= at;
        return Date.parse(record.updatedAt) <= at - abandonedAfterMs;
      })
      .slice(0, limit);
  }

  /** Ends the operation and drops the claim. */
  async finish(
    id: string,
    holder: string,
    outcome: {
      status: 'succeeded' | 'failed' | 'rejected';
      result?: Record<string, unknown>;
      error?: ErrorRecord;
    },
    now: Date,
  ): Promise<OperationRecord> {
    return this.update(
      id,
      holder,
      ({ claim: _claim, lastError: _lastError, waiting: _waiting, ...record }) => ({
        ...record,
        status: outcome.status,
        ...(outcome.result ? { result: outcome.result } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
        finishedAt: now.toISOString(),
      }),
      now,
    );
  }

  /**
   * Gives the operation back after a retryable failure: the claim is dropped at once so that the
   * redelivery resumes without waiting for it to expire.
   */
  async release(id: string, holder: string, lastError: ErrorRecord, now: Date): Promise<OperationRecord> {
    return this.update(id, holder, ({ claim: _claim, ...record }) => ({ ...record, lastError }), now);
  }

  async markResultPublished(id: string, now: Date): Promise<void> {
    for (let round = 0; round < MAX_CONCURRENT_RETRIES; round += 1) {
      const current = await this.#store.get(id);
      if (!current || current.doc.resultPublished) return;
      const next = { ...current.doc, resultPublished: true, updatedAt: now.toISOString() };
      if (await this.#store.replace(id, next, current.version)) return;
    }
  }

  async #requireClaimed(id: string, holder: string): Promise<Versioned<OperationRecord>> {
    const current = await this.#store.get(id);
    if (!current || current.doc.claim?.holder !== holder) {
      throw new StateConflictError(`operation ${id} is no longer claimed by ${holder}`);
    }
    return current;
  }
}

export type { BeginInput, BeginOutcome, OperationRequest, RejectInput, WithdrawOutcome };
export { OperationLedger };
