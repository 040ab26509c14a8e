import type { ServiceModule } from '../service';
import { createComputeService } from './compute';
import { createContainerService } from './container';
import type { OperationDurations } from './container-operations';
import { createFilestoreService } from './filestore';
import { createIamService } from './iam';
import { createIapService } from './iap';
import { createKubernetesService } from './kubernetes';
import { createResourceManagerService } from './resource-manager';
import { createSecretManagerService } from './secret-manager';
import { createSqlAdminService } from './sqladmin';

interface DefaultServicesOptions {
  fixture: unknown;
  gkeOperationDurations: OperationDurations;
  /** Key that seals Secret Manager payloads in snapshots; the same key must be used to restore. */
  secretPayloadKey?: Uint8Array;
}

/**
 * Every Google service the simulator speaks, wired together: the Kubernetes profile controller
 * grants workload identity through the IAM service's service-account policies.
 */
const createDefaultServices = (options: DefaultServicesOptions): ServiceModule[] => {
  const { fixture } = options;
  const iam = createIamService({ fixture });
  return [
    createContainerService({ operationDurations: options.gkeOperationDurations }),
    createComputeService(),
    createSqlAdminService({ fixture }),
    createFilestoreService({ fixture }),
    iam.service,
    createResourceManagerService({ fixture }),
    createIapService({ fixture }),
    createSecretManagerService({
      fixture,
      ...(options.secretPayloadKey ? { payloadKey: options.secretPayloadKey } : {}),
    }),
    createKubernetesService({ fixture, serviceAccountPolicies: iam.serviceAccountPolicies }),
  ];
};

export type { DefaultServicesOptions };
export { createDefaultServices };
