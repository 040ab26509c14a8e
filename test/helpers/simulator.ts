import { ClusterManagerClient } from '@google-cloud/container';
import { compute, type compute_v1, auth as computeAuth } from '@googleapis/compute';
import { PassThroughClient } from 'google-auth-library';
import {
  defaultFixturePath,
  loadFixture,
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
} from '../../local/simulator/simulator';

/**
 * Official Google clients pointed at the platform simulator, configured as api-contracts §6 found
 * to work, so integration tests exercise the same wire format (numeric enums, `$alt` query, error
 * mapping) production code gets from Google.
 */

/**
 * The HTTP stack the clients get. gaxios's default is node-fetch (ESM only), loaded with a dynamic
 * `import()` on first use, which jest's CommonJS sandbox refuses unless Node runs with
 * --experimental-vm-modules ("A dynamic import callback was invoked without
 * --experimental-vm-modules"); jest also blocks loading it through `createRequire`. So the clients
 * get Node's built-in fetch, which gaxios supports as `fetchImplementation`. Both stacks were run
 * against the simulator and surface the same results and the same gax error codes and messages.
 */
const clientFetch: typeof fetch = (input, init) => globalThis.fetch(input, init);

/**
 * Constructor options for any gax (GAPIC) client talking REST to a simulator endpoint.
 * `apiEndpoint` takes the host alone: a scheme there breaks the URL gax builds. No credentials are
 * sent.
 *
 * @param endpoint - e.g. `simulator.endpoints.container` (`http://127.0.0.1:PORT`).
 */
const gaxRestOptions = (endpoint: string) => {
  const url = new URL(endpoint);
  return {
    apiEndpoint: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    fallback: true,
    authClient: new PassThroughClient({ transporterOptions: { fetchImplementation: clientFetch } }),
  };
};

/**
 * Auth for a discovery client (`@googleapis/*`): an OAuth2 client holding a fake, unexpired token,
 * so it never refreshes nor looks for ADC. Pass the package's own `auth.OAuth2` class: each
 * @googleapis package is built on its own google-auth-library, which the root one does not satisfy.
 */
const fakeDiscoveryAuth = <
  T extends { setCredentials(credentials: { access_token: string; expiry_date: number }): void },
>(
  OAuth2: new (options: { transporterOptions: { fetchImplementation: typeof fetch } }) => T,
): T => {
  const auth = new OAuth2({ transporterOptions: { fetchImplementation: clientFetch } });
  auth.setCredentials({ access_token: 'fake-simulator-token', expiry_date: Date.now() + 3_600_000 });
  return auth;
};

/** A discovery client's `rootUrl` for a simulator endpoint: its method paths are relative to it. */
const rootUrlOf = (endpoint: string): string => `${endpoint.replace(/\/+$/, '')}/`;

/** A GKE client (gax 6, REST fallback) for the simulator's container endpoint. */
const gkeClientFor = (endpoint: string): ClusterManagerClient =>
  new ClusterManagerClient(gaxRestOptions(endpoint));

/**
 * A Compute discovery client for the simulator's compute endpoint. Its method paths are
 * `compute/v1/projects/…` relative to `rootUrl`, which therefore is the bare endpoint plus `/`.
 * The OAuth2 client holds a fake, unexpired token so it never tries to refresh or find ADC. It is
 * the package's own `OAuth2Client` class (`auth.OAuth2`): @googleapis/compute is built on
 * google-auth-library 10, whose client the project's google-auth-library 11 one does not satisfy.
 *
 * @param endpoint - e.g. `simulator.endpoints.compute`.
 */
const computeClientFor = (endpoint: string): compute_v1.Compute =>
  compute({ version: 'v1', auth: fakeDiscoveryAuth(computeAuth.OAuth2), rootUrl: rootUrlOf(endpoint) });

/** Starts a simulator seeded from the shared acme-ml-prod fixture, on free ports. */
const startFixtureSimulator = (options: Omit<SimulatorOptions, 'fixture'> = {}): Promise<RunningSimulator> =>
  startSimulator({ fixture: loadFixture(defaultFixturePath()), ...options });

export {
  computeClientFor,
  fakeDiscoveryAuth,
  gaxRestOptions,
  gkeClientFor,
  rootUrlOf,
  startFixtureSimulator,
};
