import type { Command } from '../shared/commands';
import type { DesiredStateStore, PlatformState, UserState } from '../shared/desired-state';
import type { GkeApi, NodePoolRef, NodePoolView } from '../shared/gcp';
import type { OperationLedger, OperationRecord, OperationStatus } from '../shared/ledger';

/**
 * What the CLI needs of the control plane: submit a command, read the ledger, read and edit desired
 * state. One interface, so tests run every CLI command against in-memory stores.
 */
interface ControlPlaneClient {
  /** Publishes the command on ops-commands; resolves with the Pub/Sub message id. */
  submit(command: Command): Promise<string>;
  getOperation(id: string): Promise<OperationRecord | undefined>;
  listOperations(options: { limit: number; status?: OperationStatus }): Promise<OperationRecord[]>;
  /** Desired state of the platform. */
  getPlatform(): Promise<PlatformState>;
  /** Replaces the whole platform document (validated by the store). */
  putPlatform(state: PlatformState): Promise<void>;
  /** Read-modify-write of the platform document; `change` may run again when it loses a race. */
  updatePlatform(change: (state: PlatformState) => PlatformState): Promise<PlatformState>;
  /** Every managed user, by email. */
  listUsers(): Promise<UserState[]>;
  getUser(email: string): Promise<UserState | undefined>;
  /** A node pool as it is live, read through the GKE and Compute APIs. */
  readNodePool(ref: NodePoolRef): Promise<NodePoolView>;
  close(): Promise<void>;
}

/** The one method of a Pub/Sub topic the CLI uses, so tests can stand in for it. */
interface TopicLike {
  publishMessage(message: { json: unknown; attributes?: Record<string, string> }): Promise<string>;
}

/** The desired-state methods the CLI calls; a DesiredStateStore has them all. */
type DesiredStateAccess = Pick<
  DesiredStateStore,
  'getPlatform' | 'putPlatform' | 'updatePlatform' | 'listUsers' | 'getUser'
>;

/** Builds the client from its parts, so the local stack and the tests differ only in what they pass. */
const createControlPlaneClient = (deps: {
  commandsTopic: TopicLike;
  ledger: OperationLedger;
  desiredState: DesiredStateAccess;
  gke: Pick<GkeApi, 'getNodePool'>;
  close: () => Promise<void>;
}): ControlPlaneClient => ({
  submit: (command) =>
    deps.commandsTopic.publishMessage({
      json: command,
      attributes: { type: command.type, source: 'opsplane-cli' },
    }),
  getOperation: (id) => deps.ledger.get(id),
  listOperations: (options) => deps.ledger.list(options),
  getPlatform: () => deps.desiredState.getPlatform(),
  putPlatform: (state) => deps.desiredState.putPlatform(state),
  updatePlatform: (change) => deps.desiredState.updatePlatform(change),
  listUsers: () => deps.desiredState.listUsers(),
  getUser: (email) => deps.desiredState.getUser(email),
  readNodePool: (ref) => deps.gke.getNodePool(ref),
  close: deps.close,
});

export type { ControlPlaneClient, DesiredStateAccess, TopicLike };
export { createControlPlaneClient };
