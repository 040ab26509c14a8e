import { simulatorEndpointEnv } from '../../local/simulator/endpoint-env';
import type { RunningSimulator } from '../../local/simulator/simulator';
import { loadConfig } from '../../shared/config';
import type { PlatformApis } from '../../shared/operations';
import { createPlatformApis } from '../../shared/runtime';
import type { Clock } from '../../shared/time';

/**
 * Every platform API adapter, built by the functions' own composition root from the environment
 * the local stack gives them, pointed at a running simulator: what an operation gets in
 * production, talking to the simulator instead of Google.
 *
 * @param clock - drives the IAM policy-edit backoff (a ManualClock makes it instant).
 */
const platformApisFor = (simulator: RunningSimulator, clock: Clock): PlatformApis =>
  createPlatformApis(
    loadConfig({
      GOOGLE_CLOUD_PROJECT: 'opsplane-test',
      ...simulatorEndpointEnv(simulator),
      OPSPLANE_KUBERNETES_TOKEN: 'simulator',
    }),
    clock,
  );

export { platformApisFor };
