import { randomUUID } from 'node:crypto';
import { systemClock } from '../shared/time';
import { connectLocal } from './connect-local';
import { connectRunbooks } from './connect-runbooks';
import { resolveActor } from './resolve-actor';
import { runCli } from './run-cli';

process.env.METADATA_SERVER_DETECTION ??= 'none';

runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  connect: () => connectLocal(process.cwd()),
  connectRunbooks: () => connectRunbooks(process.cwd(), process.env),
  actor: () => resolveActor(),
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
