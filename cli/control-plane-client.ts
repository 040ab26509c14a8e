import type { Command } from '../shared/commands';
import type { DesiredStateStore, PlatformState } from '../shared/desired-state';
import type { GkeApi, NodePoolRef, NodePoolView } from '../shared/gcp';
import type { OperationLedger, OperationRecord, OperationStatus } from '../shared/ledger';

/** What the CLI needs of the control plane: submit a command, read the ledger. */
interface ControlPlaneClient {
  /** Publishes the command on ops-commands; resolves with the Pub/Sub message id. */
  submit(command: Command): Promise<string>;
  getOperation(id: string): Promise<OperationRecord | undefined>;
  listOperations(options: { limit: number; status?: OperationStatus }): Promise<OperationRecord[]>;
  /** Desired state of the platform (read-only here). */
  getPlatform(): Promise<PlatformState>;
  /** A node pool as it is live, read through the GKE and Compute APIs. */
  readNodePool(ref: NodePoolRef): Promise<NodePoolView>;
  close(): Promise<void>;
}

interface TopicLike {
  publishMessage(message: { json: unknown; attributes?: Record<string, string> }): Promise<string>;
}

const createControlPlaneClient = (deps: {
  commandsTopic: TopicLike;
  ledger: OperationLedger;
  desiredState: Pick<DesiredStateStore, 'getPlatform'>;
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
  readNodePool: (ref) => deps.gke.getNodePool(ref),
  close: deps.close,
});

export type { ControlPlaneClient, TopicLike };
export { createControlPlaneClient };
