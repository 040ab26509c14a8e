import type { RunningSimulator } from './simulator';

/** The function environment that points every Google client at the simulator. */
const simulatorEndpointEnv = (simulator: RunningSimulator): Record<string, string> => {
  const { endpoints } = simulator;
  const env: Record<string, string> = {
    OPSPLANE_CONTAINER_ENDPOINT: endpoints.container,
    OPSPLANE_COMPUTE_ENDPOINT: endpoints.compute,
  };
  const optional = {
    OPSPLANE_SQLADMIN_ENDPOINT: endpoints.sqladmin,
    OPSPLANE_FILE_ENDPOINT: endpoints.file,
    OPSPLANE_IAM_ENDPOINT: endpoints.iam,
    OPSPLANE_CLOUDRESOURCEMANAGER_ENDPOINT: endpoints.cloudresourcemanager,
    OPSPLANE_IAP_ENDPOINT: endpoints.iap,
    OPSPLANE_SECRETMANAGER_ENDPOINT: endpoints.secretmanager,
    OPSPLANE_KUBERNETES_ENDPOINT: endpoints.kubernetes,
  };
  for (const [name, url] of Object.entries(optional)) if (url) env[name] = url;
  return env;
};

export { simulatorEndpointEnv };
