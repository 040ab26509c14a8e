/**
 * The GKE (container v1) resources the simulator keeps, in their REST JSON shapes. Only the fields
 * the simulator reads or writes are typed; everything else from the fixture rides along untouched
 * under the index signature and is served back as it was seeded.
 */

/** `NodePoolAutoscaling.LocationPolicy`, indexed by enum number (gax sends the number). */
const LOCATION_POLICIES = ['LOCATION_POLICY_UNSPECIFIED', 'BALANCED', 'ANY'] as const;
type LocationPolicy = (typeof LOCATION_POLICIES)[number];

/** `Operation.Status`, indexed by enum number. */
const OPERATION_STATUSES = ['STATUS_UNSPECIFIED', 'PENDING', 'RUNNING', 'DONE', 'ABORTING'] as const;
type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** `Operation.Type`, indexed by enum number. */
const OPERATION_TYPES = [
  'TYPE_UNSPECIFIED',
  'CREATE_CLUSTER',
  'DELETE_CLUSTER',
  'UPGRADE_MASTER',
  'UPGRADE_NODES',
  'REPAIR_CLUSTER',
  'UPDATE_CLUSTER',
  'CREATE_NODE_POOL',
  'DELETE_NODE_POOL',
  'SET_NODE_POOL_MANAGEMENT',
  'AUTO_REPAIR_NODES',
  'AUTO_UPGRADE_NODES',
  'SET_LABELS',
  'SET_MASTER_AUTH',
  'SET_NODE_POOL_SIZE',
  'SET_NETWORK_POLICY',
  'SET_MAINTENANCE_POLICY',
  'RESIZE_CLUSTER',
  'FLEET_FEATURE_UPGRADE',
] as const;
type OperationType = (typeof OPERATION_TYPES)[number];

/** `NodePoolAutoscaling`. Per-zone (`min/maxNodeCount`) and whole-pool (`total*`) limits exclude each other. */
interface NodePoolAutoscaling {
  enabled?: boolean;
  minNodeCount?: number;
  maxNodeCount?: number;
  autoprovisioned?: boolean;
  locationPolicy?: LocationPolicy;
  totalMinNodeCount?: number;
  totalMaxNodeCount?: number;
}

/**
 * `NodePool`. Deliberately without a current-size field, as in real GKE: the size lives in the
 * instance group managers behind `instanceGroupUrls` (one per zone).
 */
interface GkeNodePool {
  name: string;
  locations?: string[];
  autoscaling?: NodePoolAutoscaling;
  instanceGroupUrls?: string[];
  selfLink?: string;
  [field: string]: unknown;
}

/** `Cluster`. `location` is a region for regional clusters, a zone for zonal ones. */
interface GkeCluster {
  name: string;
  location: string;
  nodePools: GkeNodePool[];
  [field: string]: unknown;
}

/** `google.rpc.Status`, set on a DONE operation that failed. */
interface GkeOperationError {
  code: number;
  message: string;
  details?: unknown[];
}

/** `google.container.v1.Operation` (not a google.longrunning one): `name` is the short id. */
interface GkeOperation {
  name: string;
  operationType: OperationType;
  status: OperationStatus;
  location: string;
  selfLink: string;
  targetLink: string;
  startTime: string;
  endTime?: string;
  detail?: string;
  error?: GkeOperationError;
  [field: string]: unknown;
}

/** What an operation does to the state once it completes. Data, not closures, so state stays dumpable. */
type GkeOperationEffect =
  | { kind: 'setNodePoolSize'; nodePool: string; nodeCount: number }
  | { kind: 'setNodePoolAutoscaling'; nodePool: string; autoscaling: NodePoolAutoscaling };

/** An operation plus the bookkeeping the simulator needs to finish it. */
interface GkeOperationRecord {
  /** The wire shape; `status` and `endTime` are brought up to date when the operation is settled. */
  operation: GkeOperation;
  /** Name of the cluster the operation runs on: one running operation locks the whole cluster. */
  cluster: string;
  /** ISO time at which the operation is DONE. */
  dueAt: string;
  /** Applied exactly once, when the operation turns DONE, then removed. */
  effect?: GkeOperationEffect;
  /** An injected failure: the operation ends DONE with this error and without its effect. */
  failure?: GkeOperationError;
}

/** Everything the container service owns. */
interface GkeState {
  clusters: GkeCluster[];
  /** Oldest first: seeded history, then operations in the order they were started. */
  operations: GkeOperationRecord[];
}

export type {
  GkeCluster,
  GkeNodePool,
  GkeOperation,
  GkeOperationEffect,
  GkeOperationError,
  GkeOperationRecord,
  GkeState,
  LocationPolicy,
  NodePoolAutoscaling,
  OperationStatus,
  OperationType,
};
export { LOCATION_POLICIES, OPERATION_STATUSES, OPERATION_TYPES };
