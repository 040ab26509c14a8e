import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';

/**
 * Who runs the CLI: $OPSPLANE_ACTOR, else the git user's email, else the OS user. `npm start`
 * grants this actor every permission locally (the `operators` group), so it resolves it the same way.
 */
const resolveActor = (env: Record<string, string | undefined> = process.env): string => {
  if (env.OPSPLANE_ACTOR) return env.OPSPLANE_ACTOR;
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

export { resolveActor };
