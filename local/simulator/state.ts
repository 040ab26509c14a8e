import type { ProjectState, SimulatorSeed } from './fixture';
import type { ComputeState } from './services/compute-model';
import type { GkeOperation, GkeOperationRecord, GkeState } from './services/container-model';

/**
 * The simulated platform: one object per simulator, shared by every service listener because the
 * services see each other's effects (a GKE setSize changes Compute instance group managers). Each
 * Google service owns one top-level key; a new service adds its key here and its seeding below.
 */
interface SimulatorState {
  project: ProjectState;
  gke: GkeState;
  compute: ComputeState;
}

/** The cluster a seeded operation ran on, read from its `targetLink` (`…/clusters/{c}[/…]`). */
const clusterOfTargetLink = (targetLink: string): string => /\/clusters\/([^/]+)/.exec(targetLink)?.[1] ?? '';

/** Seeded operations are history: they are due when they ended (or started, if no end is recorded). */
const seededOperationRecord = (operation: GkeOperation): GkeOperationRecord => ({
  operation,
  cluster: clusterOfTargetLink(operation.targetLink),
  dueAt: operation.endTime ?? operation.startTime,
});

/** A fresh state from a seed. The seed is deep-copied, so the state can be mutated freely. */
const createSimulatorState = (seed: SimulatorSeed): SimulatorState => {
  const copy = structuredClone(seed);
  return {
    project: copy.project,
    gke: { clusters: copy.gke.clusters, operations: copy.gke.operations.map(seededOperationRecord) },
    compute: copy.compute,
  };
};

/** Google accepts a project by id or by number in paths; so does the simulator. */
const isSimulatedProject = (state: SimulatorState, project: string): boolean =>
  project === state.project.projectId || project === state.project.projectNumber;

/**
 * Puts `state` back to the seed in place. In place, not by replacing the object, so that every
 * holder of the state (listeners, tests holding `simulator.state`) sees the reset.
 */
const resetSimulatorState = (state: SimulatorState, seed: SimulatorSeed): void => {
  Object.assign(state, createSimulatorState(seed));
};

export type { SimulatorState };
export { clusterOfTargetLink, createSimulatorState, isSimulatedProject, resetSimulatorState };
