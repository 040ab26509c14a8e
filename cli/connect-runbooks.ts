import type { LocalStackInfo } from '../local/stack/local-stack-info';
import { ConfigError } from '../shared/errors';
import { createRunbookClient, type RunbookClient } from '../shared/gcp/runbook-client';
import { findLocalStackInfo } from './connect-local';

/**
 * The Workflows APIs the runbooks run on. `OPSPLANE_WORKFLOWS_PROJECT` (and optionally
 * `OPSPLANE_WORKFLOWS_LOCATION`, default us-central1) points the CLI at Google's, with Application
 * Default Credentials; otherwise it uses the local stack's, found as `connectLocal` finds the stack.
 */
const connectRunbooks = async (
  cwd: string,
  env: Record<string, string | undefined>,
): Promise<RunbookClient> => {
  const project = env.OPSPLANE_WORKFLOWS_PROJECT;
  if (project) {
    return createRunbookClient({
      projectId: project,
      location: env.OPSPLANE_WORKFLOWS_LOCATION ?? 'us-central1',
    });
  }
  return runbookClientForStack(findLocalStackInfo(cwd));
};

/** A client of a running local stack's Workflows and Executions APIs, from its description. */
const runbookClientForStack = (info: LocalStackInfo): RunbookClient => {
  if (!info.workflows) {
    throw new ConfigError('the local stack runs no Workflows executor; restart `npm start`');
  }
  return createRunbookClient({
    projectId: info.projectId,
    location: info.workflows.location,
    endpoint: info.workflows.endpoint,
  });
};

export { connectRunbooks, runbookClientForStack };
