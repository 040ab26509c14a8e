/**
 * Jest global setup of the integration tier: starts one Firestore and one Pub/Sub emulator for the
 * whole run, on free ports so concurrent runs (and emulators other people keep on the fixed
 * `firebase.json` ports) do not collide.
 *
 * Jest runs this in its main process before it forks the workers, so the environment variables set
 * here are inherited by every worker; the stop handle stays in the main process for
 * `global-teardown.ts`. If the main process is killed instead of tearing down, the launcher's
 * watchdogs stop the emulators.
 */

import { startEmulators } from '../../local/emulators';
import { createJsonLogger } from '../../shared/logging';

/** Key on `globalThis` under which the `RunningEmulators` handle waits for the teardown. */
const EMULATORS_HANDLE_KEY = Symbol.for('opsplane.test.integration.emulators');

/** Project id the shared emulators are started with; tests still isolate by `uniqueProjectId`. */
const INTEGRATION_PROJECT_ID = 'opsplane-test';

/**
 * Starts the emulators and exports `FIRESTORE_EMULATOR_HOST`, `PUBSUB_EMULATOR_HOST` and
 * `METADATA_SERVER_DETECTION=none` (so the Google client libraries never probe the GCE metadata
 * server for credentials, which costs seconds off Google Cloud).
 */
const globalSetup = async (): Promise<void> => {
  const emulators = await startEmulators({
    projectId: INTEGRATION_PROJECT_ID,
    firestore: { port: 0 },
    pubsub: { port: 0 },
    // Only problems are worth a line in the test output.
    logger: createJsonLogger({ minSeverity: 'WARNING', write: (line) => process.stderr.write(`${line}\n`) }),
  });
  (globalThis as Record<symbol, unknown>)[EMULATORS_HANDLE_KEY] = emulators;
  process.env.FIRESTORE_EMULATOR_HOST = emulators.firestoreHost;
  process.env.PUBSUB_EMULATOR_HOST = emulators.pubsubHost;
  process.env.METADATA_SERVER_DETECTION = 'none';
};

export { EMULATORS_HANDLE_KEY, INTEGRATION_PROJECT_ID };
// The project's one allowed default export: jest's globalSetup option loads the module's default export.
export default globalSetup;
