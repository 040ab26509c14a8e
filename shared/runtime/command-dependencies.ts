import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import type { Config } from '../config';
import { DesiredStateStore, type PlatformState } from '../desired-state';
import { createGkeApi, type GkeApi, lazyGkeClients } from '../gcp';
import { type Lease, LeaseManager, OperationLedger, type OperationRecord } from '../ledger';
import type { Logger } from '../logging';
import { createPubsubResultPublisher } from '../messaging';
import { OPERATIONS } from '../operations';
import { FirestoreDocumentStore } from '../store';
import { type Clock, systemClock } from '../time';
import { type CommandProcessor, createCommandProcessor } from './command-processor';

/** Firestore collections of the control plane. */
const COLLECTIONS = { operations: 'operations', leases: 'leases', desiredState: 'desiredState' } as const;

/** A Firestore client for the config: the emulator when FIRESTORE_EMULATOR_HOST is set, else Google. */
const createFirestore = (
  config: Pick<Config, 'GOOGLE_CLOUD_PROJECT' | 'FIRESTORE_EMULATOR_HOST'>,
): Firestore =>
  new Firestore({
    projectId: config.GOOGLE_CLOUD_PROJECT,
    ignoreUndefinedProperties: true,
    ...(config.FIRESTORE_EMULATOR_HOST
      ? { host: config.FIRESTORE_EMULATOR_HOST, ssl: false, customHeaders: { Authorization: 'Bearer owner' } }
      : {}),
  });

const createPubsub = (config: Pick<Config, 'GOOGLE_CLOUD_PROJECT' | 'PUBSUB_EMULATOR_HOST'>): PubSub =>
  new PubSub({
    projectId: config.GOOGLE_CLOUD_PROJECT,
    ...(config.PUBSUB_EMULATOR_HOST ? { apiEndpoint: config.PUBSUB_EMULATOR_HOST, emulatorMode: true } : {}),
  });

/** The stores over one Firestore client. */
const createStores = (firestore: Firestore) => ({
  ledger: new OperationLedger(new FirestoreDocumentStore<OperationRecord>(firestore, COLLECTIONS.operations)),
  leases: new LeaseManager(new FirestoreDocumentStore<Lease>(firestore, COLLECTIONS.leases)),
  desiredState: new DesiredStateStore(
    new FirestoreDocumentStore<PlatformState>(firestore, COLLECTIONS.desiredState),
  ),
});

/**
 * Composition root of the command function: builds every dependency from config. Clients are
 * created lazily, on first use, so that importing the module costs no network and little time.
 */
const buildCommandProcessor = (
  config: Config,
  logger: Logger,
  overrides: { clock?: Clock; gke?: GkeApi } = {},
): CommandProcessor => {
  let pubsub: PubSub | undefined;
  const stores = createStores(createFirestore(config));
  return createCommandProcessor({
    ...stores,
    operations: OPERATIONS,
    gke:
      overrides.gke ??
      createGkeApi(
        lazyGkeClients({
          ...(config.OPSPLANE_CONTAINER_ENDPOINT ? { container: config.OPSPLANE_CONTAINER_ENDPOINT } : {}),
          ...(config.OPSPLANE_COMPUTE_ENDPOINT ? { compute: config.OPSPLANE_COMPUTE_ENDPOINT } : {}),
        }),
      ),
    results: createPubsubResultPublisher(() => {
      pubsub ??= createPubsub(config);
      return pubsub;
    }, config.OPSPLANE_RESULTS_TOPIC),
    clock: overrides.clock ?? systemClock,
    logger,
    settings: {
      claimTtlMs: config.OPSPLANE_CLAIM_TTL_MS,
      leaseTtlMs: config.OPSPLANE_LEASE_TTL_MS,
      maxAttempts: config.OPSPLANE_MAX_ATTEMPTS,
      polling: { intervalMs: config.OPSPLANE_POLL_INTERVAL_MS, deadlineMs: config.OPSPLANE_POLL_DEADLINE_MS },
    },
  });
};

export { buildCommandProcessor, COLLECTIONS, createFirestore, createPubsub, createStores };
