import type { RunningSimulator } from '../../local/simulator/simulator';
import {
  createFilestoreApi,
  createGkeApi,
  createIamApi,
  createKubeflowApi,
  createKubeflowClient,
  createSecretsApi,
  createSecretsClient,
  createSqlApi,
  lazyFilestoreClient,
  lazyGkeClients,
  lazyIamClients,
  lazySqlAdminClient,
} from '../../shared/gcp';
import type { PlatformApis } from '../../shared/operations';
import type { Clock } from '../../shared/time';

/**
 * Every platform API adapter, built with the production client factories and pointed at a running
 * simulator: what an operation gets in production, talking to the simulator instead of Google.
 *
 * @param clock - drives the IAM policy-edit backoff (a ManualClock makes it instant).
 */
const platformApisFor = (simulator: RunningSimulator, clock: Clock): PlatformApis => {
  const { endpoints } = simulator;
  const endpoint = (name: keyof typeof endpoints): string => {
    const url = endpoints[name];
    if (!url) throw new Error(`the simulator serves no ${String(name)} endpoint`);
    return url;
  };
  return {
    gke: createGkeApi(lazyGkeClients({ container: endpoint('container'), compute: endpoint('compute') })),
    sql: createSqlApi(lazySqlAdminClient(endpoint('sqladmin'))),
    filestore: createFilestoreApi(lazyFilestoreClient(endpoint('file'))),
    iam: createIamApi({
      clients: lazyIamClients({
        iam: endpoint('iam'),
        cloudresourcemanager: endpoint('cloudresourcemanager'),
        iap: endpoint('iap'),
      }),
      clock,
      policyBaseDelayMs: 5,
    }),
    secrets: createSecretsApi(createSecretsClient(endpoint('secretmanager'))),
    kubeflow: createKubeflowApi(createKubeflowClient({ server: endpoint('kubernetes'), token: 'simulator' })),
  };
};

export { platformApisFor };
