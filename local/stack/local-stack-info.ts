import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../shared/errors';

/** Topic names of the local stack (the same names infra-bootstrap creates in a project). */
const LOCAL_TOPICS = {
  commands: 'ops-commands',
  results: 'ops-results',
  deadLetter: 'ops-commands-dead-letter',
} as const;

/** What `npm start` writes to `.opsplane/local.json` so other tools (the CLI) find the stack. */
const LocalStackInfoSchema = z.object({
  projectId: z.string(),
  firestore: z.string(),
  pubsub: z.string(),
  /** Endpoint per simulated Google service (container, compute, sqladmin, …). */
  simulator: z.object({ container: z.string(), compute: z.string() }).catchall(z.string()),
  /** URL per served function: opsCommand, opsPoller, opsApi (what runbooks call), opsNotify. */
  functions: z.object({ opsApi: z.string() }).catchall(z.string()),
  /** The local Workflows and Workflow Executions APIs (one endpoint) the runbooks are deployed to. */
  workflows: z
    .object({ endpoint: z.string(), location: z.string(), runbooks: z.array(z.string()) })
    .optional(),
  topics: z.object({ commands: z.string(), results: z.string(), deadLetter: z.string() }),
  platform: z.object({ projectId: z.string(), location: z.string(), cluster: z.string() }),
  pid: z.number(),
  startedAt: z.string(),
});

type LocalStackInfo = z.infer<typeof LocalStackInfoSchema>;

const readLocalStackInfo = (path: string): LocalStackInfo => {
  if (!existsSync(path)) {
    throw new ConfigError(`the local stack is not running (no ${path}); start it with \`npm start\``);
  }
  const parsed = LocalStackInfoSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success)
    throw new ConfigError(`${path} is not a local stack description; restart \`npm start\``);
  return parsed.data;
};

export type { LocalStackInfo };
export { LOCAL_TOPICS, LocalStackInfoSchema, readLocalStackInfo };
