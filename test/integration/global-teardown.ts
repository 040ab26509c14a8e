/**
 * Jest global teardown of the integration tier: stops the emulators that `global-setup.ts` started.
 * Runs in the same main process as the setup, which is why the handle can travel on `globalThis`.
 */

import type { RunningEmulators } from '../../local/emulators';
import { EMULATORS_HANDLE_KEY } from './global-setup';

/** Stops the shared emulators, if the setup got as far as starting them. */
const globalTeardown = async (): Promise<void> => {
  const slot = globalThis as Record<symbol, unknown>;
  const emulators = slot[EMULATORS_HANDLE_KEY] as RunningEmulators | undefined;
  if (!emulators) return;
  delete slot[EMULATORS_HANDLE_KEY];
  await emulators.stop();
};

// The project's one allowed kind of default export: jest's globalTeardown option loads the default export.
export default globalTeardown;
