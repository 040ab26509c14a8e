import type { OperationCommandType } from '../commands';
import { driftReport } from './drift/drift-report';
import { reconcileRun } from './drift/reconcile-run';
import { filestoreBackup } from './filestore/filestore-backup';
import { filestoreBackupsPrune } from './filestore/filestore-backups-prune';
import { filestoreRestore } from './filestore/filestore-restore';
import { filestoreSnapshot } from './filestore/filestore-snapshot';
import { gpuAutoscalingSet } from './gpu/gpu-autoscaling-set';
import { gpuScale } from './gpu/gpu-scale';
import { gpuWorkloads } from './gpu/gpu-workloads';
import { iamBindingsReconcile } from './iam/iam-bindings-reconcile';
import { keysCheck } from './keys/keys-check';
import { keysPrune } from './keys/keys-prune';
import { keysRotate } from './keys/keys-rotate';
import type { BasePlan, OperationModule } from './operation';
import { sqlBackup } from './sql/sql-backup';
import { sqlBackupsPrune } from './sql/sql-backups-prune';
import { sqlClone } from './sql/sql-clone';
import { sqlProtect } from './sql/sql-protect';
import { sqlRestore } from './sql/sql-restore';
import { userAdd } from './users/user-add';
import { userRemove } from './users/user-remove';
import { userRoleSet } from './users/user-role-set';

/**
 * Every catalog command carried out by an operation has exactly one module; the mapped type makes
 * a missing one a compile error. (Approval commands are handled by the command processor.)
 */
type OperationRegistry = { [T in OperationCommandType]: OperationModule<T, unknown, BasePlan> };

/** Erases a module's observed and plan types for the registry; the processor only passes them through. */
const entry = <T extends OperationCommandType, O, P extends BasePlan>(
  operation: OperationModule<T, O, P>,
): OperationModule<T, unknown, BasePlan> => operation as unknown as OperationModule<T, unknown, BasePlan>;

const OPERATIONS: OperationRegistry = {
  'gpu.scale': entry(gpuScale),
  'gpu.autoscaling.set': entry(gpuAutoscalingSet),
  'gpu.workloads': entry(gpuWorkloads),
  'user.add': entry(userAdd),
  'user.role.set': entry(userRoleSet),
  'user.remove': entry(userRemove),
  'keys.rotate': entry(keysRotate),
  'keys.prune': entry(keysPrune),
  'keys.check': entry(keysCheck),
  'sql.backup': entry(sqlBackup),
  'sql.restore': entry(sqlRestore),
  'sql.clone': entry(sqlClone),
  'sql.backups.prune': entry(sqlBackupsPrune),
  'sql.protect': entry(sqlProtect),
  'filestore.backup': entry(filestoreBackup),
  'filestore.snapshot': entry(filestoreSnapshot),
  'filestore.restore': entry(filestoreRestore),
  'filestore.backups.prune': entry(filestoreBackupsPrune),
  'drift.report': entry(driftReport),
  'reconcile.run': entry(reconcileRun),
  'iam.bindings.reconcile': entry(iamBindingsReconcile),
};

export type { OperationRegistry };
export { OPERATIONS };
