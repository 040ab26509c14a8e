import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { PubSub } from '@google-cloud/pubsub';
import { OPS_COMMAND_FUNCTION, registerOpsCommandFunction } from '../../functions/ops-command';
import { loadConfig } from '../../shared/config';
import { desiredStateFromFixture } from '../../shared/desired-state';
import { type Logger, silentLogger } from '../../shared/logging';
import { createFirestore, createPubsub, createStores } from '../../shared/runtime';
import { startEmulators } from '../emulators';
import { type RunningSimulator, type SimulatorPorts, startSimulator } from '../simulator';
import { LOCAL_TOPICS, type LocalStackInfo } from './local-stack-info';

/**
 * The local stack: emulators, the platform simulator, the functions and the Pub/Sub wiring between
 * them, as `npm start` runs it and as the end-to-end tests run it.
 */

interface LocalStackOptions {
  projectId: string;
  /** The simulator's seed (fixture JSON). */
  fixture: unknown;
  /** Reuse running emulators (`host:port`); otherwise they are started on `emulatorPorts`. */
  emulators?: { firestoreHost: string; pubsubHost: string };
  emulatorPorts?: { firestore: { host: string; port: number }; pubsub: { host: string; port: number } };
  simulatorPorts?: SimulatorPorts;
  /** Keep the simulated platform in this file across restarts. */
  simulatorStateFile?: string;
  /** Port of the opsCommand function; 0 = any free port. */
  functionPort?: number;
  /** Simulated GKE durations × this factor. */
  timeScale: number;
  /** Extra function environment (poll interval, TTLs, LOG_LEVEL…). */
  functionEnv?: Record<string, string>;
  /** Where to write the endpoints for other tools (the CLI); omitted: not written. */
  infoFile?: string;
  logger?: Logger;
  emulatorLogDir?: string;
}

interface RunningLocalStack {
  info: LocalStackInfo;
  simulator: RunningSimulator;
  pubsub: PubSub;
  stop(): Promise<void>;
}

const listen = (server: Server, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

/**
 * Pub/Sub wiring as production has it: ops-commands pushes to the function (retry with backoff,
 * dead-lettering after 10 attempts), ops-results and the dead-letter topic keep pull subscriptions
 * so that nothing published there is lost.
 */
const wirePubsub = async (pubsub: PubSub, projectId: string, functionUrl: string): Promise<void> => {
  for (const name of Object.values(LOCAL_TOPICS)) {
    const [exists] = await pubsub.topic(name).exists();
    if (!exists) await pubsub.createTopic(name);
  }
  const ensureSubscription = async (topic: string, name: string, options: Record<string, unknown>) => {
    const subscription = pubsub.subscription(name);
    const [exists] = await subscription.exists();
    if (exists) await subscription.delete();
    await pubsub.topic(topic).createSubscription(name, options);
  };
  await ensureSubscription(LOCAL_TOPICS.commands, `${LOCAL_TOPICS.commands}-push`, {
    // The framework derives the CloudEvent source from the push path.
    pushConfig: { pushEndpoint: `${functionUrl}/projects/${projectId}/topics/${LOCAL_TOPICS.commands}` },
    // As long as a function may run, so a slow delivery is not redelivered while still running.
    ackDeadlineSeconds: 600,
    retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 10 } },
    deadLetterPolicy: {
      deadLetterTopic: `projects/${projectId}/topics/${LOCAL_TOPICS.deadLetter}`,
      maxDeliveryAttempts: 10,
    },
  });
  await ensureSubscription(LOCAL_TOPICS.deadLetter, `${LOCAL_TOPICS.deadLetter}-keep`, {});
  await ensureSubscription(LOCAL_TOPICS.results, `${LOCAL_TOPICS.results}-keep`, {});
};

const startLocalStack = async (options: LocalStackOptions): Promise<RunningLocalStack> => {
  const logger = options.logger ?? silentLogger;
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
    stops.length = 0;
    if (options.infoFile) rmSync(options.infoFile, { force: true });
  };
  try {
    let hosts = options.emulators;
    if (!hosts) {
      const ports = options.emulatorPorts ?? {
        firestore: { host: '127.0.0.1', port: 0 },
        pubsub: { host: '127.0.0.1', port: 0 },
      };
      const started = await startEmulators({
        projectId: options.projectId,
        firestore: ports.firestore,
        pubsub: ports.pubsub,
        logger,
        ...(options.emulatorLogDir ? { logDir: options.emulatorLogDir } : {}),
      });
      stops.push(() => started.stop());
      hosts = { firestoreHost: started.firestoreHost ?? '', pubsubHost: started.pubsubHost ?? '' };
    }

    const simulator = await startSimulator({
      fixture: options.fixture,
      timeScale: options.timeScale,
      ...(options.simulatorPorts ? { ports: options.simulatorPorts } : {}),
      ...(options.simulatorStateFile ? { stateFile: options.simulatorStateFile } : {}),
      logger,
    });
    stops.push(() => simulator.close());

    const env: Record<string, string> = {
      GOOGLE_CLOUD_PROJECT: options.projectId,
      FIRESTORE_EMULATOR_HOST: hosts.firestoreHost,
      PUBSUB_EMULATOR_HOST: hosts.pubsubHost,
      OPSPLANE_CONTAINER_ENDPOINT: simulator.endpoints.container,
      OPSPLANE_COMPUTE_ENDPOINT: simulator.endpoints.compute,
      OPSPLANE_POLL_INTERVAL_MS: '500',
      OPSPLANE_POLL_DEADLINE_MS: '60000',
      OPSPLANE_CLAIM_TTL_MS: '120000',
      OPSPLANE_LEASE_TTL_MS: '120000',
      OPSPLANE_MAX_ATTEMPTS: '8',
      ...options.functionEnv,
    };
    const config = loadConfig(env);

    // Desired state starts from the fixture's (the emulator keeps nothing across restarts).
    const firestore = createFirestore(config);
    stops.push(() => firestore.terminate());
    await createStores(firestore).desiredState.putPlatform(desiredStateFromFixture(options.fixture));

    registerOpsCommandFunction(env);
    const server = getTestServer(OPS_COMMAND_FUNCTION);
    const functionPort = await listen(server, options.functionPort ?? 0);
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          // Let deliveries in flight finish (they write to Firestore, closed after this), then
          // cut whatever is still open after a grace period.
          const force = setTimeout(() => server.closeAllConnections(), 5000);
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          server.closeIdleConnections();
        }),
    );
    const functionUrl = `http://127.0.0.1:${functionPort}`;

    const pubsub = createPubsub(config);
    stops.push(() => pubsub.close());
    // Stopping begins by deleting the push subscription, so no new delivery starts mid-shutdown.
    stops.push(async () => {
      await pubsub.subscription(`${LOCAL_TOPICS.commands}-push`).delete();
    });
    await wirePubsub(pubsub, options.projectId, functionUrl);

    const platform = desiredStateFromFixture(options.fixture);
    const info: LocalStackInfo = {
      projectId: options.projectId,
      firestore: hosts.firestoreHost,
      pubsub: hosts.pubsubHost,
      simulator: simulator.endpoints,
      functions: { [OPS_COMMAND_FUNCTION]: functionUrl },
      topics: LOCAL_TOPICS,
      platform: {
        projectId: platform.projectId,
        location: platform.gke.location,
        cluster: platform.gke.cluster,
      },
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    if (options.infoFile) {
      mkdirSync(dirname(options.infoFile), { recursive: true });
      writeFileSync(options.infoFile, `${JSON.stringify(info, null, 2)}\n`);
    }
    return { info, simulator, pubsub, stop };
  } catch (error) {
    await stop();
    throw error;
  }
};

/** `.opsplane/local.json` under a checkout root. */
const localInfoPath = (root: string): string => join(root, '.opsplane', 'local.json');

export type { LocalStackOptions, RunningLocalStack };
export { localInfoPath, startLocalStack };
