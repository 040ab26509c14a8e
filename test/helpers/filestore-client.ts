import { CloudFilestoreManagerClient } from '@google-cloud/filestore';
import { createFilestoreService } from '../../local/simulator/services/filestore';
import {
  defaultFixturePath,
  loadFixture,
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
} from '../../local/simulator/simulator';

import { gaxRestOptions } from './simulator';

/**
 * The Filestore client (@google-cloud/filestore 5, gax 6, REST fallback) pointed at the simulator,
 * configured as api-contracts §6 found to work, and a simulator that serves Filestore beside the
 * built-in services.
 */

/**
 * A Filestore client for the simulator's `file` endpoint. `apiEndpoint` takes the host alone: a
 * scheme there breaks the URL gax builds. No credentials are sent.
 *
 * @param endpoint - e.g. `simulator.endpoints.file` (`http://127.0.0.1:PORT`).
 */
const filestoreClientFor = (endpoint: string): CloudFilestoreManagerClient =>
  new CloudFilestoreManagerClient(gaxRestOptions(endpoint));

/**
 * Starts a simulator seeded from the shared acme-ml-prod fixture, with the Filestore service added
 * (it is not yet among the simulator's defaults), on free ports.
 */
const startFilestoreSimulator = (
  options: Omit<SimulatorOptions, 'fixture'> = {},
): Promise<RunningSimulator> => {
  const fixture = loadFixture(defaultFixturePath());
  return startSimulator({
    fixture,
    ...options,
    extraServices: [createFilestoreService({ fixture }), ...(options.extraServices ?? [])],
  });
};

export { filestoreClientFor, startFilestoreSimulator };
