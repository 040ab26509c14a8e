import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { PubSub } from '@google-cloud/pubsub';
import { OPS_API_FUNCTION, registerOpsApiFunction } from '../../functions/ops-api';
import { OPS_COMMAND_FUNCTION, registerOpsCommandFunction } from '../../functions/ops-command';
import { OPS_NOTIFY_FUNCTION, registerOpsNotifyFunction } from '../../functions/ops-notify';
import { OPS_POLLER_FUNCTION, registerOpsPollerFunction } from '../../functions/ops-poller';
import { loadConfig } from '../../shared/config';
import { desiredStateFromFixture, usersFromFixture, withOperator } from '../../shared/desired-state';
import { createRunbookClient } from '../../shared/gcp/runbook-client';
import { type Logger, silentLogger } from '../../shared/logging';
import { createFirestore, createPubsub, createStores } from '../../shared/runtime';
import { SCHEDULE_RUNS_COLLECTION, ScheduleRunLog, scheduleManifestFor } from '../../shared/schedules';
import { FirestoreDocumentStore } from '../../shared/store';
import { systemClock } from '../../shared/time';
import { startEmulators } from '../emulators';
import { startLocalScheduler } from '../scheduler';
import {
  type RunningSimulator,
  type SimulatorPorts,
  simulatorEndpointEnv,
  startSimulator,
} from '../simulator';
import { startLocalWorkflowsServer } from '../workflows/api';
import { createSimulatorConnectors } from '../workflows/connectors';
import { deployRunbooks, readRunbooks } from '../workflows/deploy-runbooks';
import { createScaledClock } from '../workflows/engine';
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
  /** Port of the opsApi function, the URL runbooks call (`info.functions.opsApi`); 0 = any free port. */
  opsApiPort?: number;
  /** Simulated GKE durations × this factor. */
  timeScale: number;
  /**
   * Runbook time (sys.sleep, callback timeouts, connector polling) × this factor; default the
   * simulator's time scale, at least 0.01 so that a runbook's waits never spin.
   */
  workflowTimeScale?: number;
  /** Port of the local Workflows and Executions APIs; 0 = any free port. */
  workflowsPort?: number;
  /** Runbooks deployed at start; default: the checkout's `workflows/`. */
  runbooksDir?: string;
  /**
   * Run the schedules (shared/schedules) on the wall clock, as Cloud Scheduler would: `npm start`
   * does; tests leave it off, so that no backup or report starts in the middle of what they check.
   */
  runSchedules?: boolean;
  /** Extra function environment (poll interval, TTLs, LOG_LEVEL…). */
  functionEnv?: Record<string, string>;
  /**
   * Actors given every permission (desired state's `operators` group): the local operator, i.e. the
   * actor the CLI sends commands as, so that local commands are not refused.
   */
  operators?: string[];
  /** How often the operations poller runs (Cloud Scheduler runs it every minute); 0: never. */
  pollerTickMs?: number;
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

/** Where the runbooks are deployed (Cloud Workflows is regional). */
const WORKFLOWS_LOCATION = 'us-central1';

/** Push subscriptions of the local stack, deleted first when it stops. */
const PUSH_SUBSCRIPTIONS = [`${LOCAL_TOPICS.commands}-push`, `${LOCAL_TOPICS.results}-notify`] as const;

/**
 * Pub/Sub wiring as production has it: ops-commands pushes to the command function (retry with
 * backoff, dead-lettering after 10 attempts), ops-results pushes to the notify function (retry with
 * backoff; the notifier gives up on its own after a while), and ops-results and the dead-letter
 * topic keep pull subscriptions so that nothing published there is lost.
 */
const wirePubsub = async (
  pubsub: PubSub,
  projectId: string,
  urls: { command: string; notify: string },
): Promise<void> => {
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
    pushConfig: { pushEndpoint: `${urls.command}/projects/${projectId}/topics/${LOCAL_TOPICS.commands}` },
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
  await ensureSubscription(LOCAL_TOPICS.results, `${LOCAL_TOPICS.results}-notify`, {
    pushConfig: { pushEndpoint: `${urls.notify}/projects/${projectId}/topics/${LOCAL_TOPICS.results}` },
    ackDeadlineSeconds: 60,
    retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 10 } },
  });
};

/** Serves a registered function on a loopback port; its stop lets requests in flight finish first. */
const serveFunction = async (
  name: string,
  port: number,
  stops: Array<() => Promise<void>>,
): Promise<string> => {
  const server = getTestServer(name);
  const bound = await listen(server, port);
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
  return `http://127.0.0.1:${bound}`;
};

/**
 * Calls the poller function every `tickMs`, as Cloud Scheduler would (one tick at a time).
 * Returns its stop.
 */
const startPollerTicks = (pollerUrl: string, tickMs: number, logger: Logger): (() => Promise<void>) => {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = fetch(pollerUrl, { method: 'POST' })
      .then(async (response) => {
        if (!response.ok)
          logger.warn('poller tick failed', { status: response.status, body: await response.text() });
      })
      .catch((error: unknown) => logger.warn('poller tick failed', { error: String(error) }))
      .finally(() => {
        running = undefined;
      });
  }, tickMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
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
      ...simulatorEndpointEnv(simulator),
      OPSPLANE_KUBERNETES_TOKEN: 'local',
      OPSPLANE_POLL_INTERVAL_MS: '500',
      OPSPLANE_POLL_DEADLINE_MS: '20000',
      OPSPLANE_PARKED_POLL_MS: '2000',
      OPSPLANE_CLAIM_TTL_MS: '120000',
      OPSPLANE_LEASE_TTL_MS: '120000',
      OPSPLANE_MAX_ATTEMPTS: '8',
      // Callbacks go to the local Workflows executor: no Google token.
      OPSPLANE_CALLBACK_AUTH: 'none',
      ...options.functionEnv,
    };
    const config = loadConfig(env);

    // Desired state starts from the fixture's (the emulator keeps nothing across restarts).
    const firestore = createFirestore(config);
    stops.push(() => firestore.terminate());
    const { desiredState, ledger } = createStores(firestore);
    const seeded = (options.operators ?? []).reduce(withOperator, desiredStateFromFixture(options.fixture));
    await desiredState.putPlatform(seeded);
    for (const user of usersFromFixture(options.fixture, new Date())) await desiredState.putUser(user);

    registerOpsCommandFunction(env);
    const functionUrl = await serveFunction(OPS_COMMAND_FUNCTION, options.functionPort ?? 0, stops);
    registerOpsPollerFunction(env);
    const pollerUrl = await serveFunction(OPS_POLLER_FUNCTION, 0, stops);
    registerOpsApiFunction(env);
    const opsApiUrl = await serveFunction(OPS_API_FUNCTION, options.opsApiPort ?? 0, stops);
    registerOpsNotifyFunction(env);
    const notifyUrl = await serveFunction(OPS_NOTIFY_FUNCTION, 0, stops);

    const pubsub = createPubsub(config);
    stops.push(() => pubsub.close());
    // Stopping begins by deleting the push subscriptions, so no new delivery starts mid-shutdown.
    stops.push(async () => {
      for (const name of PUSH_SUBSCRIPTIONS)
        await pubsub
          .subscription(name)
          .delete()
          .catch(() => undefined);
    });
    await wirePubsub(pubsub, options.projectId, { command: functionUrl, notify: notifyUrl });
    const tickMs = options.pollerTickMs ?? 2000;
    if (tickMs > 0) stops.push(startPollerTicks(pollerUrl, tickMs, logger));

    // The local Workflows executor, with every runbook deployed as infra-bootstrap deploys them.
    const workflowClock = createScaledClock(options.workflowTimeScale ?? Math.max(options.timeScale, 0.01));
    const workflows = await startLocalWorkflowsServer({
      projectId: options.projectId,
      location: WORKFLOWS_LOCATION,
      port: options.workflowsPort ?? 0,
      clock: workflowClock,
      connectors: createSimulatorConnectors({ endpoints: simulator.endpoints, clock: workflowClock }),
      logger,
    });
    stops.push(() => workflows.stop());
    const runbooks = await deployRunbooks(
      { endpoint: workflows.url, projectId: options.projectId, location: WORKFLOWS_LOCATION },
      readRunbooks(options.runbooksDir ?? join(__dirname, '..', '..', 'workflows')),
      { OPSPLANE_OPS_API_URL: opsApiUrl, OPSPLANE_PLATFORM_PROJECT: seeded.projectId },
    );

    if (options.runSchedules) {
      const executions = createRunbookClient({
        projectId: options.projectId,
        location: WORKFLOWS_LOCATION,
        endpoint: workflows.url,
      });
      stops.push(() => executions.close());
      const shortId = (name: string) => name.split('/workflows/')[1]?.replace('/executions/', '/') ?? name;
      const scheduler = startLocalScheduler({
        manifest: scheduleManifestFor(seeded),
        clock: systemClock,
        publish: (message) =>
          pubsub.topic(message.topic).publishMessage({ json: message.json, attributes: message.attributes }),
        startExecution: async (workflow, argument) => ({
          name: (await executions.start(workflow, argument)).name,
        }),
        executionActive: async (name) => (await executions.getExecution(shortId(name))).state === 'ACTIVE',
        ledger,
        runs: new ScheduleRunLog(new FirestoreDocumentStore(firestore, SCHEDULE_RUNS_COLLECTION)),
        logger,
        checkIntervalMs: 1000,
      });
      stops.push(() => scheduler.stop());
    }

    const platform = seeded;
    const info: LocalStackInfo = {
      projectId: options.projectId,
      firestore: hosts.firestoreHost,
      pubsub: hosts.pubsubHost,
      simulator: simulator.endpoints,
      functions: {
        [OPS_COMMAND_FUNCTION]: functionUrl,
        [OPS_POLLER_FUNCTION]: pollerUrl,
        [OPS_API_FUNCTION]: opsApiUrl,
        [OPS_NOTIFY_FUNCTION]: notifyUrl,
      },
      workflows: { endpoint: workflows.url, location: WORKFLOWS_LOCATION, runbooks },
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
