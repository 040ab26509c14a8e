import { CloudFilestoreManagerClient } from '@google-cloud/filestore';
import { PassThroughClient } from 'google-auth-library';
import { createFilestoreService } from '../../local/simulator/services/filestore';
import {
  defaultFixturePath,
  loadFixture,
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
} from '../../local/simulator/simulator';

/**
 * The Filestore client (@google-cloud/filestore 5, gax 6, REST fallback) pointed at the simulator,
 * configured as api-contracts §6 found to work, and a simulator that serves Filestore beside the
 * built-in services.
 */

/**
 * Node's built-in fetch for the auth client's transport. gaxios otherwise loads node-fetch (ESM
 * only) with a dynamic `import()`, which jest's CommonJS sandbox refuses; see test/helpers/simulator.ts,
 * whose twin of this function is not exported.
 */
const clientFetch: typeof fetch = (input, init) => globalThis.fetch(input, init);

/**
 * A Filestore client for the simulator's `file` endpoint. `apiEndpoint` takes the host alone: a
 * scheme there breaks the URL gax builds. No credentials are sent.
 *
 * @param endpoint - e.g. `simulator.endpoints.file` (`http://127.0.0.1:PORT`).
 */
const filestoreClientFor = (endpoint: string): CloudFilestoreManagerClient => {
  const url = new URL(endpoint);
  return new CloudFilestoreManagerClient({
    apiEndpoint: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    fallback: true,
    authClient: new PassThroughClient({ transporterOptions: { fetchImplementation: clientFetch } }),
  });
};

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
