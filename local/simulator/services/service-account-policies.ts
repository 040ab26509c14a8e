/**
 * How one simulated service edits another's IAM: the Kubeflow profile controller (Kubernetes
 * service) grants and revokes workload identity on a Google service account (IAM service), as the
 * real controller's WorkloadIdentity plugin does through `serviceAccounts.setIamPolicy`.
 */
interface ServiceAccountPolicyEditor {
  /**
   * Adds `member` to `role` on the service account's IAM policy (a new etag, as any write).
   * Throws a SimulatorApiError NOT_FOUND when the service account does not exist.
   */
  addBinding(serviceAccountEmail: string, role: string, member: string): void;
  /** Removes `member` from `role`; removing an absent member changes nothing. */
  removeBinding(serviceAccountEmail: string, role: string, member: string): void;
}

export type { ServiceAccountPolicyEditor };
