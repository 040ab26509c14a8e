import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultFixturePath, loadFixture, parseFixture } from '../../../local/simulator/fixture';
import {
  createStatePersistence,
  type PersistedSimulator,
  readStateFile,
  STATE_FILE_FORMAT,
  writeStateFile,
} from '../../../local/simulator/persistence';
import type { ServiceModule } from '../../../local/simulator/service';
import { createSimulatorState } from '../../../local/simulator/state';
import { ManualClock } from '../../../shared/time';

/** A state-owning service with one counter, standing in for Cloud SQL, IAM, Secret Manager…. */
const counterService = (): ServiceModule & { count: number } => {
  const service = {
    name: 'iap' as const,
    routes: [],
    count: 0,
    reset: () => {
      service.count = 0;
    },
    snapshot: () => ({ count: service.count }),
    restore: (snapshot: unknown) => {
      service.count = (snapshot as { count: number }).count;
    },
  };
  return service;
};

describe('persistence', () => {
  const seed = parseFixture(loadFixture(defaultFixturePath()));
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'opsplane-sim-state-'));
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('restores the shared state and owned services a previous simulator saved', () => {
    // Prepare
    const file = join(directory, 'nested', 'state.json');
    const before = createSimulatorState(seed);
    const beforeService = counterService();
    const igm = before.compute.instanceGroupManagers[2];
    if (igm) igm.targetSize = 4;
    beforeService.count = 7;
    createStatePersistence({
      file,
      state: before,
      services: [beforeService],
      clock: new ManualClock('2026-03-02T19:05:00Z'),
      settle: () => undefined,
    }).save();
    const after = createSimulatorState(seed);
    const afterService = counterService();
    const clock = new ManualClock('2026-03-02T19:00:00Z');

    // Act
    const restored = createStatePersistence({
      file,
      state: after,
      services: [afterService],
      clock,
      settle: () => undefined,
    }).restore();

    // Assess
    expect(restored).toBe(true);
    expect(after).toEqual(before);
    expect(afterService.count).toBe(7);
    expect(clock.now().toISOString()).toBe('2026-03-02T19:05:00.000Z');
  });

  it('restores nothing when the file does not exist yet', () => {
    // Prepare
    const state = createSimulatorState(seed);

    // Act
    const restored = createStatePersistence({
      file: join(directory, 'missing.json'),
      state,
      services: [],
      clock: new ManualClock(),
      settle: () => undefined,
    }).restore();

    // Assess
    expect(restored).toBe(false);
    expect(state).toEqual(createSimulatorState(seed));
  });

  it('refuses a file written for another project', () => {
    // Prepare
    const file = join(directory, 'state.json');
    const other = createSimulatorState(seed);
    other.project.projectId = 'other-project';
    writeStateFile(file, {
      format: STATE_FILE_FORMAT,
      version: 1,
      savedAt: '2026-03-02T19:00:00Z',
      state: other,
      services: {},
    });
    const persistence = createStatePersistence({
      file,
      state: createSimulatorState(seed),
      services: [],
      clock: new ManualClock(),
      settle: () => undefined,
    });

    // Act
    const restore = () => persistence.restore();

    // Assess
    expect(restore).toThrow('holds project other-project, but the fixture is acme-ml-prod');
  });

  it('writes through a temporary file, readable by the owner only', () => {
    // Prepare
    const file = join(directory, 'state.json');
    const contents: PersistedSimulator = {
      format: STATE_FILE_FORMAT,
      version: 1,
      savedAt: '2026-03-02T19:00:00.000Z',
      state: createSimulatorState(seed),
      services: { iap: { count: 1 } },
    };

    // Act
    writeStateFile(file, contents);
    writeStateFile(file, { ...contents, services: { iap: { count: 2 } } });

    // Assess
    expect(readStateFile(file)?.services).toEqual({ iap: { count: 2 } });
    expect(readdirSync(directory)).toEqual(['state.json']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['not JSON', '{"format":', 'is not JSON'],
    ['another format', '{"format":"x","version":1}', 'is not a version 1 simulator state file'],
  ])('refuses a state file that is %s', (_case, text, message) => {
    // Prepare
    const file = join(directory, 'state.json');
    writeFileSync(file, text);

    // Act
    const read = () => readStateFile(file);

    // Assess
    expect(read).toThrow(message);
  });
});
