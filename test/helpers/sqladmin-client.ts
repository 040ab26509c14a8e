import { auth as sqlAdminAuth, sqladmin, type sqladmin_v1 } from '@googleapis/sqladmin';
import type { RunningSimulator, SimulatorOptions } from '../../local/simulator/simulator';

import { fakeDiscoveryAuth, rootUrlOf, startFixtureSimulator } from './simulator';

/**
 * The Cloud SQL Admin discovery client (@googleapis/sqladmin v1) pointed at the simulator, as
 * api-contracts §6 found to work, and a simulator that serves it. Kept apart from `simulator.ts`
 * until the sqladmin service is listed among the simulator's built-in services.
 */

/**
 * A Cloud SQL Admin client for the simulator's sqladmin endpoint. Its method paths are
 * `v1/projects/…` relative to `rootUrl`, the bare endpoint plus `/`. The OAuth2 client is the
 * package's own (`auth.OAuth2`) holding a fake, unexpired token, so it never refreshes nor looks for
 * ADC; the root google-auth-library's client is not the one this package was built against.
 *
 * @param endpoint - e.g. `simulator.endpoints.sqladmin` (`http://127.0.0.1:PORT`).
 */
const sqlAdminClientFor = (endpoint: string): sqladmin_v1.Sqladmin =>
  sqladmin({ version: 'v1', auth: fakeDiscoveryAuth(sqlAdminAuth.OAuth2), rootUrl: rootUrlOf(endpoint) });

/** A simulator seeded from the shared fixture, on free ports; Cloud SQL is at `endpoints.sqladmin`. */
const startSqlAdminSimulator = (
  options: Omit<SimulatorOptions, 'fixture' | 'extraServices'> = {},
): Promise<RunningSimulator> => startFixtureSimulator(options);

export { sqlAdminClientFor, startSqlAdminSimulator };
