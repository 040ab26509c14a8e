import type { FilestoreState } from '../../../../local/simulator/services/filestore-model';
import type { RunningSimulator } from '../../../../local/simulator/simulator';

/** What the Filestore operation tests read back from the simulator. */

/** The simulator's Filestore state, as `GET /_sim/state` dumps it (settled). */
const fileStateOf = async (simulator: RunningSimulator): Promise<FilestoreState> => {
  const dump = (await (await fetch(`${simulator.endpoints.file}/_sim/state`)).json()) as {
    file: FilestoreState;
  };
  return dump.file;
};

/** Every backup whose source is the fixture's acme-kf-home. */
const kfHomeBackupsOf = async (simulator: RunningSimulator) =>
  (await fileStateOf(simulator)).backups.filter((backup) =>
    backup.sourceInstance?.endsWith('/instances/acme-kf-home'),
  );

/** Filestore calls in order, as `METHOD route` without the `file.projects.locations.` prefix. */
const fileCallsOf = (simulator: RunningSimulator): string[] =>
  simulator.requestLog
    .entries()
    .filter((entry) => entry.service === 'file')
    .map((entry) => `${entry.method} ${(entry.route ?? entry.path).replace('file.projects.locations.', '')}`);

export { fileCallsOf, fileStateOf, kfHomeBackupsOf };
