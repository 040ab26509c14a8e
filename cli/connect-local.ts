import { join } from 'node:path';
import { type LocalStackInfo, readLocalStackInfo } from '../local/stack/local-stack-info';
import { createGkeApi, lazyGkeClients } from '../shared/gcp';
import { createFirestore, createPubsub, createStores } from '../shared/runtime';
import { type ControlPlaneClient, createControlPlaneClient } from './control-plane-client';

/**
 * The local stack's description, `.opsplane/local.json` (written by `npm start`), looked up from
 * the working directory, then from this checkout.
 */
const findLocalStackInfo = (cwd: string): LocalStackInfo => {
  try {
    return readLocalStackInfo(join(cwd, '.opsplane', 'local.json'));
  } catch {
    // Not started from this directory: the checkout's own stack, or its "not running" error.
    return readLocalStackInfo(join(__dirname, '..', '.opsplane', 'local.json'));
  }
};

/** Connects to the local stack that `findLocalStackInfo` finds. */
const connectLocal = async (cwd: string): Promise<ControlPlaneClient> =>
  connectToStack(findLocalStackInfo(cwd));

/** A control-plane client for a running local stack, from its description. */
const connectToStack = (info: LocalStackInfo): ControlPlaneClient => {
  const config = {
    GOOGLE_CLOUD_PROJECT: info.projectId,
    FIRESTORE_EMULATOR_HOST: info.firestore,
    PUBSUB_EMULATOR_HOST: info.pubsub,
  };
  const firestore = createFirestore(config);
  const pubsub = createPubsub(config);
  // desiredState holds both stores (platform, and users in COLLECTIONS.desiredUsers): state get|set use both.
  const { ledger, desiredState } = createStores(firestore);
  return createControlPlaneClient({
    commandsTopic: pubsub.topic(info.topics.commands),
    ledger,
    desiredState,
    gke: createGkeApi(lazyGkeClients(info.simulator)),
    close: async () => {
      await pubsub.close();
      await firestore.terminate();
    },
  });
};

export { connectLocal, connectToStack, findLocalStackInfo };
