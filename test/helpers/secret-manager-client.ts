import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import type { ServiceModule } from '../../local/simulator/service';
import {
  createSecretManagerService,
  type SecretManagerServiceOptions,
} from '../../local/simulator/services/secret-manager';
import {
  defaultFixturePath,
  loadFixture,
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
} from '../../local/simulator/simulator';

import { gaxRestOptions } from './simulator';

/**
 * The official Secret Manager client (gax 6, REST fallback) pointed at the platform simulator, as
 * api-contracts §6 found to work, and a simulator that serves Secret Manager next to the built-in
 * services.
 */

/**
 * A Secret Manager client for the simulator's `secretmanager` endpoint. `apiEndpoint` takes the
 * host alone: a scheme there breaks the URL gax builds. No credentials are sent.
 *
 * @param endpoint - e.g. `simulator.endpoints.secretmanager` (`http://127.0.0.1:PORT`).
 */
const secretManagerClientFor = (endpoint: string): SecretManagerServiceClient =>
  new SecretManagerServiceClient(gaxRestOptions(endpoint));

/** A started simulator with Secret Manager, and the service itself for snapshot/restore. */
interface SecretManagerSimulator {
  simulator: RunningSimulator;
  secretManager: ServiceModule;
  /** `simulator.endpoints.secretmanager`, known to be present. */
  endpoint: string;
}

/**
 * Starts a simulator seeded from the shared acme-ml-prod fixture, on free ports, with the Secret
 * Manager service added through `extraServices` (it is not one of the built-in services yet).
 */
const startSecretManagerSimulator = async (
  options: Omit<SimulatorOptions, 'fixture' | 'extraServices'> &
    Pick<SecretManagerServiceOptions, 'payloadKey'> = {},
): Promise<SecretManagerSimulator> => {
  const { payloadKey, ...simulatorOptions } = options;
  const fixture = loadFixture(defaultFixturePath());
  const secretManager = createSecretManagerService({
    fixture,
    ...(payloadKey === undefined ? {} : { payloadKey }),
  });
  const simulator = await startSimulator({
    fixture,
    timeScale: 0,
    ...simulatorOptions,
    extraServices: [secretManager],
  });
  const endpoint = simulator.endpoints.secretmanager;
  if (endpoint === undefined) throw new Error('The simulator did not start the secretmanager listener');
  return { simulator, secretManager, endpoint };
};

export type { SecretManagerSimulator };
export { secretManagerClientFor, startSecretManagerSimulator };
