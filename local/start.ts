import { join } from 'node:path';
import { resolveActor } from '../cli/resolve-actor';
import { createJsonLogger } from '../shared/logging';
import { readFirebaseEmulatorPorts } from './emulators';
import { defaultFixturePath, loadFixture, simulatorPortsFromEnv } from './simulator';
import { localInfoPath, startLocalStack } from './stack';

/**
 * `npm start`: the whole control plane on this machine, no Google account. Emulators on the ports
 * in firebase.json, the platform simulator seeded with acme-ml-prod, the opsCommand function, and
 * the Pub/Sub wiring; endpoints in .opsplane/local.json; Ctrl-C stops everything.
 */

const ROOT = join(__dirname, '..');
const PROJECT_ID = process.env.OPSPLANE_LOCAL_PROJECT ?? 'opsplane-local';
const envPort = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

const main = async (): Promise<void> => {
  // Locally there is no metadata server; without this the Google clients probe for one and warn.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const began = Date.now();
  const logger = createJsonLogger({ minSeverity: 'INFO', labels: { component: 'local-stack' } });
  const fixturePath = process.env.OPSPLANE_FIXTURE ?? defaultFixturePath();
  console.log(`opsplane: starting the local stack (fixture ${fixturePath}) …`);
  const stack = await startLocalStack({
    projectId: PROJECT_ID,
    fixture: loadFixture(fixturePath),
    emulatorPorts: readFirebaseEmulatorPorts(join(ROOT, 'firebase.json')),
    simulatorPorts: simulatorPortsFromEnv(process.env),
    // OPSPLANE_PERSIST=1 keeps the simulated platform across restarts (the emulators start empty).
    ...(process.env.OPSPLANE_PERSIST === '1'
      ? { simulatorStateFile: join(ROOT, '.opsplane', 'simulator-state.json') }
      : {}),
    functionPort: envPort('OPSPLANE_FUNCTION_PORT', 8495),
    opsApiPort: envPort('OPSPLANE_OPS_API_PORT', 8488),
    // OPSPLANE_SCHEDULES=0 keeps the schedules (backups, prunes, key checks, off-hours, reports) off.
    runSchedules: process.env.OPSPLANE_SCHEDULES !== '0',
    workflowsPort: envPort('OPSPLANE_WORKFLOWS_PORT', 8489),
    timeScale: Number(process.env.SIM_TIME_SCALE ?? 0.05),
    functionEnv: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'INFO' },
    // The actor `npx opsplane` sends commands as may do everything locally.
    operators: [resolveActor()],
    infoFile: localInfoPath(ROOT),
    logger,
    emulatorLogDir: join(ROOT, '.opsplane', 'logs'),
  });
  const { info } = stack;
  console.log(`
opsplane local stack is up (${((Date.now() - began) / 1000).toFixed(1)} s)

  project          ${info.projectId}
  firestore        ${info.firestore}
  pubsub           ${info.pubsub}   topics: ${Object.values(info.topics).join(', ')}
  simulator        ${Object.entries(info.simulator)
    .map(([service, url]) => `${service} ${url}`)
    .join('\n                   ')}
  opsCommand       ${info.functions.opsCommand}
  opsPoller        ${info.functions.opsPoller} (resumes parked operations every 2 s)
  opsApi           ${info.functions.opsApi} (what runbook steps call)
  opsNotify        ${info.functions.opsNotify} (calls runbooks back with outcomes)
  workflows        ${info.workflows?.endpoint} (Workflows + Executions APIs, ${info.workflows?.location})
  runbooks         ${info.workflows?.runbooks.join(', ')}
  local operator   ${resolveActor()} (every permission; approvers: maria.chen@acme.ai, dev.patel@acme.ai)
  managed platform ${info.platform.projectId} / ${info.platform.location} / ${info.platform.cluster}
  endpoints file   ${localInfoPath(ROOT)}

Try, in another terminal:
  npx opsplane gpu status
  npx opsplane gpu scale --nodes 2 --dry-run --wait
  npx opsplane gpu scale --nodes 2 --wait
  npx opsplane gpu autoscaling --min 0 --max 2 --wait
  npx opsplane sql backup acme-kfp-mysql-7f3a9c1e --wait
  npx opsplane user remove liam.obrien@acme.ai --wait        # stops for approval (exit 4)
  OPSPLANE_ACTOR=user:maria.chen@acme.ai npx opsplane approve <operation id> --wait
  npx opsplane ops list
  npx opsplane runbook list
  npx opsplane schedules                                     # the schedules the local scheduler runs
  npx opsplane runbook start sql-restore --arg instance=acme-kfp-mysql-7f3a9c1e --arg backupId=<id> --wait
  npx opsplane workflow run ../shared/conformance/workflows/workflows-samples/src/iterate_list.workflows.yaml

Function logs follow below as JSON lines. Ctrl-C stops everything.
`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nopsplane: ${signal}: stopping the local stack …`);
    stack
      .stop()
      .then(() => {
        console.log('opsplane: stopped.');
        process.exit(0);
      })
      .catch((error: unknown) => {
        console.error('opsplane: error while stopping:', error);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
};

main().catch((error: unknown) => {
  console.error(
    `opsplane: could not start the local stack: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
