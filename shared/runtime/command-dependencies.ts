import { randomUUID } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { GoogleAuth } from 'google-auth-library';
import type { Config } from '../config';
import { DesiredStateStore, type PlatformState, type UserState } from '../desired-state';
import { ConfigError } from '../errors';
import {
  createFilestoreApi,
  createGkeApi,
  createIamApi,
  createKubeflowApi,
  createKubeflowClient,
  createKubernetesWorkloadsApi,
  createKubernetesWorkloadsClient,
  createSecretsApi,
  createSecretsClient,
  createSqlApi,
  lazyFilestoreClient,
  lazyGkeClients,
  lazyIamClients,
  lazySqlAdminClient,
} from '../gcp';
import { type Lease, LeaseManager, OperationLedger, type OperationRecord } from '../ledger';
import type { Logger } from '../logging';
import { createPubsubResultPublisher } from '../messaging';
import { type CommandSubmit, OPERATIONS, type PlatformApis } from '../operations';
import { FirestoreDocumentStore } from '../store';
import { type Clock, systemClock } from '../time';
import { type CommandProcessor, createCommandProcessor } from './command-processor';
import { createPubsubResumer } from './operation-resumer';
import { createOperationsPoller, type OperationsPoller } from './operations-poller';
import { createOpsApi, createPubsubCommandPublisher, type OpsApi } from './ops-api';
import { createCallbackTokenSource, createOutcomeNotifier, type OutcomeNotifier } from './outcome-notifier';

/** Firestore collections of the control plane. */
const COLLECTIONS = {
  operations: 'operations',
  leases: 'leases',
  desiredState: 'desiredState',
  desiredUsers: 'desiredUsers',
} as const;

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
    new FirestoreDocumentStore<UserState>(firestore, COLLECTIONS.desiredUsers),
  ),
});

/**
 * The platform APIs from config: each client pointed at its configured endpoint (the simulator
 * locally), else at Google. Clients are built on first use.
 */
const createPlatformApis = (config: Config, clock: Clock): PlatformApis => {
  const kubernetes = config.OPSPLANE_KUBERNETES_ENDPOINT;
  return {
    gke: createGkeApi(
      lazyGkeClients({
        ...(config.OPSPLANE_CONTAINER_ENDPOINT ? { container: config.OPSPLANE_CONTAINER_ENDPOINT } : {}),
        ...(config.OPSPLANE_COMPUTE_ENDPOINT ? { compute: config.OPSPLANE_COMPUTE_ENDPOINT } : {}),
      }),
    ),
    sql: createSqlApi(lazySqlAdminClient(config.OPSPLANE_SQLADMIN_ENDPOINT)),
    filestore: createFilestoreApi(lazyFilestoreClient(config.OPSPLANE_FILE_ENDPOINT)),
    iam: createIamApi({
      clients: lazyIamClients({
        ...(config.OPSPLANE_IAM_ENDPOINT ? { iam: config.OPSPLANE_IAM_ENDPOINT } : {}),
        ...(config.OPSPLANE_CLOUDRESOURCEMANAGER_ENDPOINT
          ? { cloudresourcemanager: config.OPSPLANE_CLOUDRESOURCEMANAGER_ENDPOINT }
          : {}),
        ...(config.OPSPLANE_IAP_ENDPOINT ? { iap: config.OPSPLANE_IAP_ENDPOINT } : {}),
      }),
      clock,
    }),
    secrets: createSecretsApi(createSecretsClient(config.OPSPLANE_SECRETMANAGER_ENDPOINT)),
    kubeflow: createKubeflowApi(
      kubernetes
        ? createKubeflowClient({
            server: kubernetes,
            ...(config.OPSPLANE_KUBERNETES_TOKEN ? { token: config.OPSPLANE_KUBERNETES_TOKEN } : {}),
            ...(config.OPSPLANE_KUBERNETES_CA ? { caCertificate: config.OPSPLANE_KUBERNETES_CA } : {}),
          })
        : () => {
            throw new ConfigError(
              'OPSPLANE_KUBERNETES_ENDPOINT is not set: Kubeflow profiles need the GKE cluster API server',
            );
          },
    ),
    // The GPU busy check (gpu.workloads, gpu.scale to zero) reads nodes and pods of the same cluster.
    workloads: createKubernetesWorkloadsApi(
      kubernetes
        ? createKubernetesWorkloadsClient({
            server: kubernetes,
            ...(config.OPSPLANE_KUBERNETES_TOKEN ? { token: config.OPSPLANE_KUBERNETES_TOKEN } : {}),
            ...(config.OPSPLANE_KUBERNETES_CA ? { caCertificate: config.OPSPLANE_KUBERNETES_CA } : {}),
          })
        : () => {
            throw new ConfigError(
              'OPSPLANE_KUBERNETES_ENDPOINT is not set: the GPU busy check needs the GKE cluster API server',
            );
          },
    ),
  };
};

/**
 * Submits commands on ops-commands for operations that submit others (reconcile's fixes). The
 * ledger id is the idempotency key, so every submission carries one.
 */
const createPubsubCommandSubmit =
  (pubsub: () => PubSub, topic: string): CommandSubmit =>
  async (command) => {
    const submitted = { ...command, idempotencyKey: command.idempotencyKey ?? randomUUID() };
    await pubsub()
      .topic(topic)
      .publishMessage({
        json: submitted,
        attributes: { type: submitted.type, source: 'opsplane-reconcile' },
      });
    return submitted.idempotencyKey;
  };

/**
 * Composition root of the command function: builds every dependency from config. Clients are
 * created lazily, on first use, so that importing the module costs no network and little time.
 */
const buildCommandProcessor = (
  config: Config,
  logger: Logger,
  overrides: { clock?: Clock; apis?: Partial<PlatformApis> } = {},
): CommandProcessor => {
  let pubsub: PubSub | undefined;
  const lazyPubsub = (): PubSub => {
    pubsub ??= createPubsub(config);
    return pubsub;
  };
  const clock = overrides.clock ?? systemClock;
  const stores = createStores(createFirestore(config));
  return createCommandProcessor({
    ...stores,
    operations: OPERATIONS,
    apis: { ...createPlatformApis(config, clock), ...overrides.apis },
    results: createPubsubResultPublisher(lazyPubsub, config.OPSPLANE_RESULTS_TOPIC),
    resumer: createPubsubResumer(lazyPubsub, config.OPSPLANE_COMMANDS_TOPIC),
    submit: createPubsubCommandSubmit(lazyPubsub, config.OPSPLANE_COMMANDS_TOPIC),
    clock,
    logger,
    settings: {
      claimTtlMs: config.OPSPLANE_CLAIM_TTL_MS,
      leaseTtlMs: config.OPSPLANE_LEASE_TTL_MS,
      maxAttempts: config.OPSPLANE_MAX_ATTEMPTS,
      polling: { intervalMs: config.OPSPLANE_POLL_INTERVAL_MS, deadlineMs: config.OPSPLANE_POLL_DEADLINE_MS },
      parkedPollMs: config.OPSPLANE_PARKED_POLL_MS,
    },
  });
};

/** Composition root of the operations poller function. */
const buildOperationsPoller = (
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
): OperationsPoller => {
  let pubsub: PubSub | undefined;
  return createOperationsPoller({
    ledger: createStores(createFirestore(config)).ledger,
    resumer: createPubsubResumer(() => {
      pubsub ??= createPubsub(config);
      return pubsub;
    }, config.OPSPLANE_COMMANDS_TOPIC),
    clock,
    logger,
  });
};

/** Composition root of the ops-api function: the ledger to read, the topics to publish on. */
const buildOpsApi = (config: Config, logger: Logger, clock: Clock = systemClock): OpsApi => {
  let pubsub: PubSub | undefined;
  const lazyPubsub = (): PubSub => {
    pubsub ??= createPubsub(config);
    return pubsub;
  };
  return createOpsApi({
    ledger: createStores(createFirestore(config)).ledger,
    commands: createPubsubCommandPublisher(lazyPubsub, config.OPSPLANE_COMMANDS_TOPIC),
    results: createPubsubResultPublisher(lazyPubsub, config.OPSPLANE_RESULTS_TOPIC),
    clock,
    logger,
  });
};

/**
 * Composition root of the notify function. The Google credentials (the function's service
 * account, which holds `workflows.callbacks.send`) are only looked up for a callback that gets a token.
 */
const buildOutcomeNotifier = (
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
): OutcomeNotifier => {
  let auth: GoogleAuth | undefined;
  return createOutcomeNotifier({
    tokens: createCallbackTokenSource({
      mode: config.OPSPLANE_CALLBACK_AUTH,
      hosts: config.OPSPLANE_CALLBACK_TOKEN_HOSTS.split(','),
      accessToken: () => {
        auth ??= new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
        return auth.getAccessToken();
      },
    }),
    clock,
    logger,
    settings: {
      timeoutMs: config.OPSPLANE_CALLBACK_TIMEOUT_MS,
      maxAgeMs: config.OPSPLANE_CALLBACK_MAX_AGE_MS,
    },
  });
};

export {
  buildCommandProcessor,
  buildOperationsPoller,
  buildOpsApi,
  buildOutcomeNotifier,
  COLLECTIONS,
  createFirestore,
  createPlatformApis,
  createPubsub,
  createPubsubCommandSubmit,
  createStores,
};
