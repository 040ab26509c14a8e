import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workflows as workflowsApi } from 'googleapis/build/src/apis/workflows';
import { workflowsDiscoveryOptions } from '../../shared/gcp/runbook-client';

/**
 * Deploys the runbooks (`workflows/*.workflows.yaml`) to a Workflows API — the local executor's
 * under `npm start` and in tests — through Google's own client, as a deployment to a project
 * would: create, or update when the workflow exists, and wait for the long-running operation.
 */

const RUNBOOK_SUFFIX = '.workflows.yaml';

interface RunbookSource {
  /** The workflow id: the file name without `.workflows.yaml`, e.g. `sql-restore`. */
  name: string;
  path: string;
  source: string;
  /** The first comment line of the file, as the workflow's description. */
  description: string;
}

/** The runbooks in `dir`, by name. */
const readRunbooks = (dir: string): RunbookSource[] =>
  readdirSync(dir)
    .filter((file) => file.endsWith(RUNBOOK_SUFFIX))
    .sort()
    .map((file) => {
      const path = join(dir, file);
      const source = readFileSync(path, 'utf8');
      const firstComment = /^#\s*(.+)$/m.exec(source)?.[1]?.trim() ?? '';
      return {
        name: file.slice(0, -RUNBOOK_SUFFIX.length),
        path,
        source,
        description: firstComment.slice(0, 1000),
      };
    });

interface DeployTarget {
  /** e.g. `http://127.0.0.1:8497`. */
  endpoint: string;
  projectId: string;
  location: string;
}

/** Polls a Workflows long-running operation until done; its error, if any, is thrown. */
const waitForOperation = async (
  operations: ReturnType<typeof workflowsApi>['projects']['locations']['operations'],
  name: string,
): Promise<void> => {
  for (let attempt = 0; attempt < 600; attempt++) {
    const { data } = await operations.get({ name });
    if (data.done) {
      if (data.error)
        throw new Error(`deploying failed: ${data.error.message ?? JSON.stringify(data.error)}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`deploy operation ${name} did not finish`);
};

/** Creates or updates each runbook with the given user environment variables; returns their names. */
const deployRunbooks = async (
  target: DeployTarget,
  runbooks: RunbookSource[],
  userEnvVars: Record<string, string>,
): Promise<string[]> => {
  const api = workflowsApi({ version: 'v1', ...workflowsDiscoveryOptions(target.endpoint) });
  const parent = `projects/${target.projectId}/locations/${target.location}`;
  const deployed: string[] = [];
  for (const runbook of runbooks) {
    const workflow = { sourceContents: runbook.source, description: runbook.description, userEnvVars };
    const name = `${parent}/workflows/${runbook.name}`;
    const exists = await api.projects.locations.workflows.get({ name }).then(
      () => true,
      (error: { code?: number; status?: number }) => {
        if ((error.code ?? error.status) === 404) return false;
        throw error;
      },
    );
    const { data: operation } = exists
      ? await api.projects.locations.workflows.patch({
          name,
          updateMask: 'sourceContents,description,userEnvVars',
          requestBody: workflow,
        })
      : await api.projects.locations.workflows.create({
          parent,
          workflowId: runbook.name,
          requestBody: workflow,
        });
    if (operation.name && !operation.done)
      await waitForOperation(api.projects.locations.operations, operation.name);
    else if (operation.error) throw new Error(`deploying ${runbook.name} failed: ${operation.error.message}`);
    deployed.push(runbook.name);
  }
  return deployed;
};

export type { DeployTarget, RunbookSource };
export { deployRunbooks, RUNBOOK_SUFFIX, readRunbooks };
