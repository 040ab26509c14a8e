import { createJsonLogger, SEVERITIES, type Severity } from '../../shared/logging';
import { defaultFixturePath, loadFixture, type RunningSimulator, startSimulator } from './simulator';

/**
 * `npm run simulator`: the simulator as a standalone process, for running the control plane or a
 * client script against it by hand. Configuration comes from the environment:
 *
 * - `SIM_CONTAINER_PORT` (default 8490), `SIM_COMPUTE_PORT` (default 8491); 0 picks a free port;
 * - `SIM_TIME_SCALE` (default 0.05: a 222 s resize takes about 11 s), 0 finishes operations at once;
 * - `SIM_HOST` (default 127.0.0.1), `SIM_FIXTURE` (default the shared acme-ml-prod fixture);
 * - `SIM_LOG_LEVEL` (default INFO; DEBUG logs every request).
 */

interface SimulatorEnv {
  containerPort: number;
  computePort: number;
  timeScale: number;
  host: string;
  fixturePath: string;
  logLevel: Severity;
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

/**
 * Reads the simulator's configuration from the environment.
 *
 * @throws Error naming the variable whose value is invalid.
 */
const readSimulatorEnv = (env: NodeJS.ProcessEnv): SimulatorEnv => ({
  containerPort: readPort(env, 'SIM_CONTAINER_PORT', 8490),
  computePort: readPort(env, 'SIM_COMPUTE_PORT', 8491),
  timeScale: readTimeScale(env),
  host: env.SIM_HOST || '127.0.0.1',
  fixturePath: env.SIM_FIXTURE || defaultFixturePath(),
  logLevel: readLogLevel(env),
});

/** Starts the simulator from the environment and stops it on SIGINT/SIGTERM. */
const main = async (env: NodeJS.ProcessEnv = process.env): Promise<RunningSimulator> => {
  const config = readSimulatorEnv(env);
  const logger = createJsonLogger({ minSeverity: config.logLevel, labels: { component: 'simulator' } });
  const simulator = await startSimulator({
    fixture: loadFixture(config.fixturePath),
    timeScale: config.timeScale,
    host: config.host,
    ports: { container: config.containerPort, compute: config.computePort },
    logger,
  });
  const { container, compute } = simulator.endpoints;
  logger.info(`simulator listening: container ${container}, compute ${compute}`, {
    endpoints: simulator.endpoints,
    timeScale: config.timeScale,
    fixture: config.fixturePath,
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
export { main, readSimulatorEnv };
