import { CloudFilestoreManagerClient } from '@google-cloud/filestore';
import type { RunningSimulator, SimulatorOptions } from '../../local/simulator/simulator';

import { gaxRestOptions, startFixtureSimulator } from './simulator';

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

/** A simulator seeded from the shared fixture, on free ports; Filestore is at `endpoints.file`. */
const startFilestoreSimulator = (
  options: Omit<SimulatorOptions, 'fixture'> = {},
): Promise<RunningSimulator> => startFixtureSimulator(options);

export { filestoreClientFor, startFilestoreSimulator };
