import { createHash } from 'node:crypto';
import type { PlatformState } from '../../desired-state';
import {
  GcpError,
  NotFoundError,
  OperationFailedError,
  OperationPendingError,
  PolicyViolationError,
  ResourceBusyError,
} from '../../errors';
import {
  type FilestoreApi,
  type FilestoreBackupRef,
  type FilestoreBackupView,
  type FilestoreInstanceRef,
  type FilestoreInstanceView,
  type FilestoreOperationView,
  type FilestoreSnapshotView,
  filestoreBackupPath,
  filestoreInstancePath,
  filestoreRegionOf,
  filestoreResourceKey,
  filestoreSnapshotPath,
  type StartBackupRequest,
  type StartSnapshotRequest,
  tierSupportsInPlaceRestore,
} from '../../gcp';
import type { OperationDeps } from '../operation';
import { runFilestoreStep } from '../steps';

/**
 * Helpers the Filestore operations share: which instance a command names (desired state), its
 * lease, the preconditions every mutation checks, deterministic resource ids, and the resumable
 * steps (backup, snapshot, restore, delete) that adopt what a crashed attempt already started
 * instead of starting it twice.
 */

/** An instance opsplane operates, resolved from desired state. */
interface FilestoreTarget {
  ref: FilestoreInstanceRef;
  /** Where its backups live: the region of the instance's zone (or the instance's region). */
  region: string;
  /** The file share desired state names for it. */
  share: string;
}

/** Filestore allows about one backup creation or restore per instance every 10 minutes (ops-catalog §0, §5). */
const FILESTORE_RATE_LIMIT_MS = 10 * 60_000;

/** How long an attempt that found a half-started mutation without its operation waits before it looks again. */
const ADOPT_RETRY_MS = 60_000;

/**
 * Instance states that pass on their own (a restore, a repair, …): a mutation is retried later
 * rather than refused for good.
 */
const TRANSITIONAL_INSTANCE_STATES = new Set([
  'CREATING',
  'REPAIRING',
  'RESTORING',
  'SUSPENDING',
  'RESUMING',
  'REVERTING',
  'PROMOTING',
]);

/** Backup states of a backup still being made. */
const BACKUP_IN_PROGRESS_STATES = new Set(['CREATING', 'FINALIZING']);

/**
 * The instance a command names, as `platform.filestore.instances` records it: opsplane operates
 * those only, so anything else is refused with the list of known instances.
 */
const filestoreTarget = (platform: PlatformState, instance: string): FilestoreTarget => {
  const record = platform.filestore.instances[instance];
  if (!record) {
    const known = Object.keys(platform.filestore.instances);
    throw new PolicyViolationError(
      `Filestore instance "${instance}" is not operated by opsplane (platform.filestore.instances: ${known.join(', ') || 'none'})`,
      { instance, known },
    );
  }
  return {
    ref: { projectId: platform.projectId, location: record.location, instance },
    region: filestoreRegionOf(record.location),
    share: record.share,
  };
};

/** The lease key of an instance: every Filestore operation on it (backup, restore, prune) takes the same one. */
const filestoreLeaseResource = (ref: FilestoreInstanceRef): string =>
  `filestore/${ref.projectId}/${ref.location}/${ref.instance}`;

/** What every Filestore operation leases: the instance the command names. */
const filestoreInstanceLease = {
  resource: (args: { instance: string }, platform: PlatformState): string =>
    filestoreLeaseResource(filestoreTarget(platform, args.instance).ref),
};

/**
 * `{location}/{instance}`: how backups name their source without the project (see
 * `FilestoreBackupView.sourceInstanceKey`), so that project id and number compare equal.
 */
const filestoreInstanceKey = (ref: FilestoreInstanceRef): string => `${ref.location}/${ref.instance}`;

/** Whether two Filestore resource names are the same resource, whether they spell the project by id or number. */
const sameFilestoreResource = (a: string, b: string): boolean =>
  filestoreResourceKey(a) === filestoreResourceKey(b);

/**
 * The share a command works on: the one it names, else desired state's. It must be the instance's
 * share (Filestore has one per instance; multishare instances are not supported).
 */
const filestoreShareOf = (
  target: FilestoreTarget,
  instance: FilestoreInstanceView,
  requested: string | undefined,
): FilestoreInstanceView['shares'][number] => {
  const name = requested ?? target.share;
  if (instance.shares.length > 1) {
    throw new PolicyViolationError(
      `${target.ref.instance} has ${instance.shares.length} file shares: multishare instances are not supported by Filestore backups`,
      { shares: instance.shares.map((share) => share.name) },
    );
  }
  const share = instance.shares.find((candidate) => candidate.name === name);
  if (!share) {
    throw new PolicyViolationError(
      `${target.ref.instance} has no file share "${name}" (its share${instance.shares.length === 1 ? ' is' : 's are'}: ${
        instance.shares.map((candidate) => `"${candidate.name}"`).join(', ') || 'none'
      })`,
      { share: name },
    );
  }
  return share;
};

/**
 * An instance must be READY to be mutated. A state that passes on its own (RESTORING, REPAIRING, …)
 * is RESOURCE_BUSY, retried later; any other (ERROR, SUSPENDED, DELETING) is refused.
 */
const assertInstanceReady = (instance: FilestoreInstanceView, instanceId: string, action: string): void => {
  if (instance.state === 'READY') return;
  const details = `${instanceId} is ${instance.state}${instance.statusMessage ? ` (${instance.statusMessage})` : ''}`;
  if (TRANSITIONAL_INSTANCE_STATES.has(instance.state)) {
    throw new ResourceBusyError(`cannot ${action}: ${details}; retry once it is READY`);
  }
  throw new PolicyViolationError(`cannot ${action}: ${details}; it must be READY`, {
    instance: instanceId,
    state: instance.state,
  });
};

/**
 * Filestore's rate limit (about one backup creation or restore per instance every 10 minutes):
 * retryable, with when it may run, rather than a Google RESOURCE_EXHAUSTED halfway through.
 *
 * @param recent - what happened lately on the instance: `what` (for the message) at `at` (ISO).
 */
const assertOutsideRateLimit = (
  recent: ReadonlyArray<{ what: string; at: string }>,
  now: string,
  instanceId: string,
  action: string,
): void => {
  const nowMs = Date.parse(now);
  const last = recent
    .filter((item) => item.at !== '' && !Number.isNaN(Date.parse(item.at)))
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
  if (!last) return;
  const allowedAtMs = Date.parse(last.at) + FILESTORE_RATE_LIMIT_MS;
  if (nowMs < allowedAtMs) {
    throw new ResourceBusyError(
      `cannot ${action}: ${last.what} on ${instanceId} started at ${last.at}, less than 10 minutes ago; ` +
        `Filestore allows one backup or restore per instance every 10 minutes, retry after ${new Date(allowedAtMs).toISOString()}`,
    );
  }
};

/**
 * A backup of the instance still being made, or its newest backup being deleted, holds up a new
 * backup or restore (Google answers FAILED_PRECONDITION): RESOURCE_BUSY, retried later.
 *
 * @param backups - the instance's backups, newest first (`backupsOfInstance`).
 */
const assertNoBackupInFlight = (
  backups: readonly FilestoreBackupView[],
  instanceId: string,
  action: string,
): void => {
  const creating = backups.find((backup) => BACKUP_IN_PROGRESS_STATES.has(backup.state));
  if (creating) {
    throw new ResourceBusyError(
      `cannot ${action}: backup ${creating.id} of ${instanceId} is ${creating.state}; only one backup or restore runs on an instance at a time, retry once it is READY`,
    );
  }
  const newest = backups[0];
  if (newest?.state === 'DELETING') {
    throw new ResourceBusyError(
      `cannot ${action}: the newest backup of ${instanceId}, ${newest.id}, is being deleted; retry once the deletion finished`,
    );
  }
};

/** Whether a tier is a Basic one (BASIC_HDD, BASIC_SSD and their old names): the tiers restored in place. */
const isBasicTier = (tier: string): boolean => tierSupportsInPlaceRestore(tier);

/** `2025-06-02T08:00:00Z` → `20250602` (UTC). */
const dayStamp = (iso: string): string => iso.slice(0, 10).replace(/-/g, '');

/** Filestore backup and snapshot ids: a lowercase letter, then `[-a-z0-9]`, 63 at most, not ending in `-`. */
const FILESTORE_ID = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Characters the operation hash adds to an id prefix (`-` and 8 hex digits). */
const HASH_SUFFIX_LENGTH = 9;

/**
 * The part of a deterministic id a plan can know: the instance, shortened so that the whole id
 * fits, then `tail` (e.g. `20250602` or `pre-restore-20250602`). Apply appends the operation hash.
 */
const filestoreIdPrefix = (instance: string, tail: string): string => {
  const room = 63 - HASH_SUFFIX_LENGTH - tail.length - 1;
  const head = instance.slice(0, Math.max(1, room)).replace(/-+$/, '');
  return `${head}-${tail}`;
};

/** A short stable hash of the ledger's operation id: the same on every attempt of one operation. */
const operationHash = (operationId: string): string =>
  createHash('sha256').update(operationId).digest('hex').slice(0, 8);

/**
 * The id a backup or snapshot of this operation gets: the plan's prefix plus the operation hash.
 * Every attempt of the operation computes the same id, so a re-run finds (or gets ALREADY_EXISTS
 * for) what an earlier attempt created instead of creating a second one.
 */
const deterministicFilestoreId = (prefix: string, operationId: string): string => {
  const id = `${prefix}-${operationHash(operationId)}`;
  if (!FILESTORE_ID.test(id)) {
    throw new PolicyViolationError(`"${id}" is not a valid Filestore backup or snapshot id`, { id });
  }
  return id;
};

/** GCP label values: lowercase letters, digits, `_` and `-`, at most 63. */
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

/**
 * The labels a backup or snapshot of this operation carries: the platform's backup labels, plus
 * `opsplane-operation` when the operation id is a valid label value (ledger ids may hold
 * uppercase letters, `.`, `:` and `@`, which labels refuse).
 */
const operationLabels = (base: Record<string, string>, operationId: string): Record<string, string> =>
  LABEL_VALUE.test(operationId) ? { ...base, 'opsplane-operation': operationId } : { ...base };

/** Whether a start call was refused because the resource exists already (a retried deterministic create). */
const isAlreadyExists = (error: unknown): boolean =>
  error instanceof GcpError && error.status === 'ALREADY_EXISTS';

/** The backup, or undefined when there is none (NOT_FOUND). */
const findBackup = async (
  api: Pick<FilestoreApi, 'getBackup'>,
  ref: FilestoreBackupRef,
): Promise<FilestoreBackupView | undefined> => {
  try {
    return await api.getBackup(ref);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
};

/** The backups of one instance among a region's, newest first. */
const backupsOfInstance = (
  backups: readonly FilestoreBackupView[],
  ref: FilestoreInstanceRef,
): FilestoreBackupView[] =>
  backups
    .filter((backup) => backup.sourceInstanceKey === filestoreInstanceKey(ref))
    .sort((a, b) => Date.parse(b.createTime || '0') - Date.parse(a.createTime || '0'));

/** The restores of an instance among a location's operations, newest first. */
const restoresOfInstance = (
  operations: readonly FilestoreOperationView[],
  ref: FilestoreInstanceRef,
): FilestoreOperationView[] =>
  operations
    .filter(
      (op) =>
        op.verb === 'restore' &&
        op.target !== undefined &&
        sameFilestoreResource(op.target, filestoreInstancePath(ref)),
    )
    .sort((a, b) => Date.parse(b.createTime ?? '0') - Date.parse(a.createTime ?? '0'));

/**
 * The newest operation in `location` that does `verb` on `target` (and started at or after
 * `since`, when given): the one a crashed attempt started but never recorded.
 */
const findStartedOperation = async (
  deps: OperationDeps,
  projectId: string,
  location: string,
  target: string,
  verb: string,
  since?: string,
): Promise<FilestoreOperationView | undefined> => {
  const operations = await deps.filestore.listOperations(projectId, location);
  const sinceMs = since ? Date.parse(since) : Number.NEGATIVE_INFINITY;
  return operations
    .filter(
      (op) =>
        op.verb === verb &&
        op.target !== undefined &&
        sameFilestoreResource(op.target, target) &&
        Date.parse(op.createTime ?? '') >= sinceMs,
    )
    .sort((a, b) => Date.parse(b.createTime ?? '0') - Date.parse(a.createTime ?? '0'))[0];
};

/**
 * The operation a resource in progress was started by (an earlier attempt's, found by target), to
 * record and poll. Not listed (yet): parks and looks again, rather than starting a second one.
 */
const adoptStartedOperation = async (
  step: string,
  deps: OperationDeps,
  projectId: string,
  location: string,
  target: string,
  verb: string,
): Promise<FilestoreOperationView> => {
  const found = await findStartedOperation(deps, projectId, location, target, verb);
  if (found) return found;
  throw new OperationPendingError(step, {
    resumeAt: new Date(deps.clock.now().getTime() + ADOPT_RETRY_MS),
    message: `${target} is being changed (${verb}) by an operation an earlier attempt started and that is not listed; looking again later`,
  });
};

/** What `ensureBackup` creates: the backup's region and deterministic id among the request. */
interface EnsureBackupRequest extends StartBackupRequest {
  location: string;
}

/**
 * Creates a backup as a resumable step, exactly once: a recorded operation is polled; a backup
 * with the deterministic id that is READY is the earlier attempt's, done; one still being made is
 * adopted with its operation; otherwise it is created (and ALREADY_EXISTS adopted the same way).
 * Returns the backup's name and creation time (from the finished operation's result, else read back).
 */
const ensureBackup = async (
  step: string,
  deps: OperationDeps,
  source: FilestoreInstanceRef,
  request: EnsureBackupRequest,
): Promise<{ name: string; createTime: string }> => {
  const backupRef: FilestoreBackupRef = {
    projectId: source.projectId,
    location: request.location,
    backup: request.backupId,
  };
  const adopt = () =>
    adoptStartedOperation(
      step,
      deps,
      source.projectId,
      request.location,
      filestoreBackupPath(backupRef),
      'create',
    );
  let existing: FilestoreBackupView | undefined;
  if (!deps.progress.googleOperation(step)) {
    existing = await findBackup(deps.filestore, backupRef);
    if (existing?.state === 'READY') return { name: existing.name, createTime: existing.createTime };
    if (existing && !BACKUP_IN_PROGRESS_STATES.has(existing.state)) {
      throw new OperationFailedError(
        existing.name,
        `backup ${existing.name} of this operation is ${existing.state}; it cannot be used or created again`,
      );
    }
  }
  // With the operation recorded, runFilestoreStep polls it and never calls start.
  const done = await runFilestoreStep(step, deps, async () => {
    if (existing) return adopt();
    try {
      return await deps.filestore.startBackup(source, request);
    } catch (error) {
      if (isAlreadyExists(error)) return adopt();
      throw error;
    }
  });
  const name = done.response?.name;
  const createTime = done.response?.createTime;
  if (typeof name === 'string' && typeof createTime === 'string' && createTime !== '')
    return { name, createTime };
  const backup = await deps.filestore.getBackup(backupRef);
  return { name: backup.name, createTime: backup.createTime };
};

/** Creates a snapshot as a resumable step, exactly once (as `ensureBackup`). */
const ensureSnapshot = async (
  step: string,
  deps: OperationDeps,
  ref: FilestoreInstanceRef,
  request: StartSnapshotRequest,
): Promise<void> => {
  const path = filestoreSnapshotPath({ ...ref, snapshot: request.snapshotId });
  const read = async () =>
    (await deps.filestore.listSnapshots(ref)).find((snapshot) => snapshot.id === request.snapshotId);
  const adopt = () => adoptStartedOperation(step, deps, ref.projectId, ref.location, path, 'create');
  let existing: FilestoreSnapshotView | undefined;
  if (!deps.progress.googleOperation(step)) {
    existing = await read();
    if (existing?.state === 'READY') return;
    if (existing && existing.state !== 'CREATING') {
      throw new OperationFailedError(
        existing.name,
        `snapshot ${existing.name} of this operation is ${existing.state}; it cannot be used or created again`,
      );
    }
  }
  // With the operation recorded, runFilestoreStep polls it and never calls start.
  await runFilestoreStep(step, deps, async () => {
    if (existing) return adopt();
    try {
      return await deps.filestore.startSnapshot(ref, request);
    } catch (error) {
      if (isAlreadyExists(error)) return adopt();
      throw error;
    }
  });
};

/**
 * Restores a share in place as a resumable step, exactly once. Before starting, the instance's
 * operations are searched for a restore of it started at or after `since` (the safety backup's
 * creation): a crashed attempt may have started it without recording it, and restoring twice
 * would overwrite the share a second time.
 */
const ensureRestore = async (
  step: string,
  deps: OperationDeps,
  ref: FilestoreInstanceRef,
  request: { share: string; sourceBackup: string },
  since: string,
): Promise<FilestoreOperationView> =>
  runFilestoreStep(step, deps, async () => {
    const started = await findStartedOperation(
      deps,
      ref.projectId,
      ref.location,
      filestoreInstancePath(ref),
      'restore',
      since,
    );
    if (started) {
      deps.logger.info('adopting the restore an earlier attempt started', { operation: started.name });
      return started;
    }
    return deps.filestore.startRestore(ref, request);
  });

/**
 * Deletes a backup as a resumable step, exactly once: a recorded step is done; a backup already
 * gone is skipped; one DELETING is adopted with its operation; otherwise the delete is started.
 */
const ensureBackupDeleted = async (
  step: string,
  deps: OperationDeps,
  ref: FilestoreBackupRef,
): Promise<'deleted' | 'already-gone'> => {
  const done = deps.progress.step(step);
  if (done) return done.outcome === 'already-gone' ? 'already-gone' : 'deleted';
  const path = filestoreBackupPath(ref);
  const adopt = () => adoptStartedOperation(step, deps, ref.projectId, ref.location, path, 'delete');
  let live: FilestoreBackupView | undefined;
  if (!deps.progress.googleOperation(step)) {
    live = await findBackup(deps.filestore, ref);
    if (!live) {
      await deps.progress.recordStep(step, { backup: path, outcome: 'already-gone' });
      return 'already-gone';
    }
  }
  const deleting = live?.state === 'DELETING';
  let outcome: 'deleted' | 'already-gone' = 'deleted';
  try {
    // With the operation recorded, runFilestoreStep polls it and never calls start.
    await runFilestoreStep(step, deps, () => (deleting ? adopt() : deps.filestore.startDeleteBackup(ref)));
  } catch (error) {
    // Gone between the read and the delete call: the call failed and nothing was recorded.
    if (!(error instanceof NotFoundError) || deps.progress.googleOperation(step)) throw error;
    outcome = 'already-gone';
  }
  await deps.progress.recordStep(step, { backup: path, outcome });
  return outcome;
};

/**
 * What must hold before a backup of the instance is created (filestore.backup, and a restore's
 * safety backup): READY, no backup of it in flight, and outside the 10-minute limit on backups and
 * restores. Returns the instance's backups, newest first as listed.
 */
const assertCanCreateBackup = (
  observed: {
    instance: FilestoreInstanceView;
    backups: readonly FilestoreBackupView[];
    operations: readonly FilestoreOperationView[];
    now: string;
  },
  target: FilestoreTarget,
  action: string,
): FilestoreBackupView[] => {
  const name = target.ref.instance;
  assertInstanceReady(observed.instance, name, action);
  const backups = backupsOfInstance(observed.backups, target.ref);
  assertNoBackupInFlight(backups, name, action);
  assertOutsideRateLimit(
    [
      ...backups.map((backup) => ({ what: `backup ${backup.id}`, at: backup.createTime })),
      ...restoresOfInstance(observed.operations, target.ref).map((op) => ({
        what: `restore ${op.name}`,
        at: op.createTime ?? '',
      })),
    ],
    observed.now,
    name,
    action,
  );
  return backups;
};

export type { EnsureBackupRequest, FilestoreTarget };
export {
  assertCanCreateBackup,
  assertInstanceReady,
  assertNoBackupInFlight,
  assertOutsideRateLimit,
  BACKUP_IN_PROGRESS_STATES,
  backupsOfInstance,
  dayStamp,
  deterministicFilestoreId,
  ensureBackup,
  ensureBackupDeleted,
  ensureRestore,
  ensureSnapshot,
  FILESTORE_RATE_LIMIT_MS,
  filestoreIdPrefix,
  filestoreInstanceKey,
  filestoreInstanceLease,
  filestoreLeaseResource,
  filestoreShareOf,
  filestoreTarget,
  findBackup,
  isBasicTier,
  operationHash,
  operationLabels,
  restoresOfInstance,
  sameFilestoreResource,
};
