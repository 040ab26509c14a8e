import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { systemClock } from '../shared/time';
import { connectLocal } from './connect-local';
import { runCli } from './run-cli';

/** Who runs the CLI: $OPSPLANE_ACTOR, else the git user's email, else the OS user. */
const resolveActor = (): string => {
  if (process.env.OPSPLANE_ACTOR) return process.env.OPSPLANE_ACTOR;
  try {
    const email = execFileSync('git', ['config', 'user.email'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (email) return `user:${email}`;
  } catch {
    // no git, or no email configured: fall through
  }
  return `user:${userInfo().username}@localhost.localdomain`;
};

process.env.METADATA_SERVER_DETECTION ??= 'none';

runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  connect: () => connectLocal(process.cwd()),
  actor: resolveActor,
  newIdempotencyKey: () => `cli-${randomUUID()}`,
  clock: systemClock,
  pollIntervalMs: 500,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`opsplane: ${String(error)}\n`);
    process.exit(3);
  },
);
