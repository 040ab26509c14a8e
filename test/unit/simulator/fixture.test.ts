import { existsSync } from 'node:fs';
import { defaultFixturePath, loadFixture, parseFixture } from '../../../local/simulator/fixture';
import { createSimulatorState, resetSimulatorState } from '../../../local/simulator/state';

describe('fixture', () => {
  it('points at the shared acme-ml-prod fixture', () => {
    // Act
    const path = defaultFixturePath();

    // Assess
    expect(path).toMatch(/shared\/fixtures\/acme-ml-prod\.json$/);
    expect(existsSync(path)).toBe(true);
  });

  it('seeds the project, clusters, instance groups and operation history', () => {
    // Act
    const state = createSimulatorState(parseFixture(loadFixture(defaultFixturePath())));

    // Assess
    expect(state.project).toMatchObject({ projectId: 'acme-ml-prod', projectNumber: '734118209551' });
    expect(state.gke.clusters.map((cluster) => cluster.name)).toEqual(['acme-ml-gke']);
    expect(state.compute.instanceGroupManagers).toHaveLength(4);
    expect(state.compute.regionQuotas?.region).toBe('us-central1');
    expect(state.gke.operations[0]).toMatchObject({
      cluster: 'acme-ml-gke',
      dueAt: '2025-06-01T19:03:44.902Z',
      operation: { status: 'DONE' },
    });
  });

  it('keeps the fixture node pool shape exactly, with no size field added', () => {
    // Prepare
    const raw = loadFixture(defaultFixturePath()) as { gke: { clusters: Array<{ nodePools: unknown[] }> } };

    // Act
    const state = createSimulatorState(parseFixture(raw));

    // Assess
    expect(state.gke.clusters[0]?.nodePools).toEqual(raw.gke.clusters[0]?.nodePools);
  });

  it('names every invalid path of a broken fixture', () => {
    // Act
    const parse = () => parseFixture({ project: { projectId: 'p' }, gke: { clusters: [{ name: 'c' }] } });

    // Assess
    expect(parse).toThrow(/Invalid simulator fixture[\s\S]*projectNumber[\s\S]*location/);
  });

  it('resets the state in place so existing holders see the fixture again', () => {
    // Prepare
    const seed = parseFixture(loadFixture(defaultFixturePath()));
    const state = createSimulatorState(seed);
    const held = state;
    state.compute.instanceGroupManagers[0] = {
      ...state.compute.instanceGroupManagers[0],
      targetSize: 9,
    } as never;

    // Act
    resetSimulatorState(state, seed);

    // Assess
    expect(held.compute.instanceGroupManagers[0]?.targetSize).toBe(2);
    expect(seed.compute.instanceGroupManagers[0]?.targetSize).toBe(2);
  });
});
