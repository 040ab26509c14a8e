import { resolve } from 'node:path';
import { createJsonLogger, SEVERITIES, type Severity } from '../../shared/logging';
import { ManualClock, systemClock } from '../../shared/time';
import { SERVICE_NAMES, type ServiceName } from './service';
import { defaultFixturePath, loadFixture, type RunningSimulator, startSimulator } from './simulator';

/**
 * `npm run simulator`: the simulator as a standalone process, for running the control plane or a
 * client script against it by hand. Configuration comes from the environment:
 *
 * - `SIM_<SERVICE>_PORT` per service (`SIM_CONTAINER_PORT` 8490, `SIM_COMPUTE_PORT` 8491,
 *   `SIM_SQLADMIN_PORT` 8492, `SIM_FILE_PORT` 8493, `SIM_IAM_PORT` 8494,
 *   `SIM_CLOUDRESOURCEMANAGER_PORT` 8496, `SIM_IAP_PORT` 8497, `SIM_SECRETMANAGER_PORT` 8498,
 *   `SIM_KUBERNETES_PORT` 8499; 8495 is left to the opsCommand function); 0 picks a free port;
 * - `SIM_TIME_SCALE` (default 0.05: a 222 s resize takes about 11 s), 0 finishes operations at once;
 * - `SIM_HOST` (default 127.0.0.1), `SIM_FIXTURE` (default the shared acme-ml-prod fixture);
 * - `SIM_LOG_LEVEL` (default INFO; DEBUG logs every request);
 * - `SIM_VIRTUAL_CLOCK=<ISO time>`: run on a virtual clock starting then, which moves only through
 *   `POST /_sim/clock {"advanceMs": 222000}` or `{"to": "2026-03-02T19:30:00Z"}` (default: real time);
 * - `SIM_STATE_FILE=<path>`: keep the state in this file, so a restart carries on where the last run
 *   stopped (default: none, every start is the fixture). The file holds every payload of the
 *   simulated platform, Secret Manager secrets included: fake data, but put it under the
 *   git-ignored `.opsplane/` directory, e.g. `SIM_STATE_FILE=.opsplane/simulator-state.json`.
 */

/** Where each service listens by default, locally (`npm start`, `npm run simulator`). */
const DEFAULT_SIMULATOR_PORTS: Readonly<Record<ServiceName, number>> = {
  container: 8490,
  compute: 8491,
  sqladmin: 8492,
  file: 8493,
  iam: 8494,
  cloudresourcemanager: 8496,
  iap: 8497,
  secretmanager: 8498,
  kubernetes: 8499,
};

interface SimulatorEnv {
  ports: Record<ServiceName, number>;
  timeScale: number;
  host: string;
  fixturePath: string;
  logLevel: Severity;
  /** ISO start of the virtual clock; absent runs on real time. */
  virtualClockStart?: string;
  /** Absolute path of the state file; absent keeps no state across runs. */
  stateFile?: string;
}

const readPort = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`${name} must be a port number, got ${raw}`);
  return port;
};

const readTimeScale = (env: NodeJS.ProcessEnv): number => {
  const raw = env.SIM_TIME_SCALE;
  if (raw === undefined || raw === '') return 0.05;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale < 0)
    throw new Error(`SIM_TIME_SCALE must be a number >= 0, got ${raw}`);
  return scale;
};

const readLogLevel = (env: NodeJS.ProcessEnv): Severity => {
  const raw = (env.SIM_LOG_LEVEL ?? 'INFO').toUpperCase();
  const level = SEVERITIES.find((severity) => severity === raw);
  if (!level) throw new Error(`SIM_LOG_LEVEL must be one of ${SEVERITIES.join(', ')}, got ${raw}`);
  return level;
};

const readVirtualClockStart = (env: NodeJS.ProcessEnv): string | undefined => {
  const raw = env.SIM_VIRTUAL_CLOCK;
  if (raw === undefined || raw === '') return undefined;
  const time = Date.parse(raw);
  if (Number.isNaN(time)) throw new Error(`SIM_VIRTUAL_CLOCK must be an ISO time, got ${raw}`);
  return new Date(time).toISOString();
};

/** Every service's port: `SIM_<SERVICE>_PORT`, else its default. */
const simulatorPortsFromEnv = (env: NodeJS.ProcessEnv): Record<ServiceName, number> =>
  Object.fromEntries(
    SERVICE_NAMES.map((name) => [
      name,
      readPort(env, `SIM_${name.toUpperCase()}_PORT`, DEFAULT_SIMULATOR_PORTS[name]),
    ]),
  ) as Record<ServiceName, number>;

/**
 * Reads the simulator's configuration from the environment.
 *
 * @throws Error naming the variable whose value is invalid.
 */
const readSimulatorEnv = (env: NodeJS.ProcessEnv): SimulatorEnv => {
  const virtualClockStart = readVirtualClockStart(env);
  return {
    ports: simulatorPortsFromEnv(env),
    timeScale: readTimeScale(env),
    host: env.SIM_HOST || '127.0.0.1',
    fixturePath: env.SIM_FIXTURE || defaultFixturePath(),
    logLevel: readLogLevel(env),
    ...(virtualClockStart === undefined ? {} : { virtualClockStart }),
    // Resolved now, so the file stays the same if something later changes the working directory.
    ...(env.SIM_STATE_FILE ? { stateFile: resolve(env.SIM_STATE_FILE) } : {}),
  };
};

/** Starts the simulator from the environment and stops it on SIGINT/SIGTERM. */
const main = async (env: NodeJS.ProcessEnv = process.env): Promise<RunningSimulator> => {
  const config = readSimulatorEnv(env);
  const logger = createJsonLogger({ minSeverity: config.logLevel, labels: { component: 'simulator' } });
  const simulator = await startSimulator({
    fixture: loadFixture(config.fixturePath),
    timeScale: config.timeScale,
    clock: config.virtualClockStart === undefined ? systemClock : new ManualClock(config.virtualClockStart),
    host: config.host,
    ports: config.ports,
    logger,
    ...(config.stateFile === undefined ? {} : { stateFile: config.stateFile }),
  });
  logger.info('simulator listening', {
    endpoints: simulator.endpoints,
    timeScale: config.timeScale,
    fixture: config.fixturePath,
    // The restored state may have moved a virtual clock past its configured start.
    clock:
      config.virtualClockStart === undefined
        ? 'system'
        : `virtual, now ${simulator.clock.now().toISOString()}`,
    ...(config.stateFile === undefined ? {} : { stateFile: config.stateFile }),
  });

  const stop = (signal: NodeJS.Signals): void => {
    logger.info('simulator stopping', { signal });
    // `once`: a second Ctrl-C gets Node's default handling and ends the process even if close hangs.
    simulator.close().catch((error: unknown) => {
      logger.error('simulator did not close cleanly', { error });
      process.exitCode = 1;
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return simulator;
};

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

export type { SimulatorEnv };
export { DEFAULT_SIMULATOR_PORTS, main, readSimulatorEnv, simulatorPortsFromEnv };
