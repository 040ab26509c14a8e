import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Clock, ManualClock } from '../../shared/time';
import type { ServiceModule } from './service';
import type { SimulatorState } from './state';

/**
 * The simulator's state in a file, so a restarted `npm run simulator` (or a second simulator in a
 * test) carries on where the last one stopped instead of going back to the fixture. The file holds
 * everything the simulated platform holds, including Secret Manager payloads: fake data of the
 * local platform, but still kept private (mode 0600) and best placed under the git-ignored
 * `.opsplane/` directory.
 */

/** Identifies the file's layout; a file with another one is refused rather than half-read. */
const STATE_FILE_FORMAT = 'opsplane-simulator-state';
const STATE_FILE_VERSION = 1;

/** The file's contents. */
interface PersistedSimulator {
  format: typeof STATE_FILE_FORMAT;
  version: typeof STATE_FILE_VERSION;
  /** The simulator's clock when saved; a virtual clock resumes from here rather than go back in time. */
  savedAt: string;
  /** The shared state (GKE, Compute). */
  state: SimulatorState;
  /** Each state-owning service's `snapshot()`, by service name. */
  services: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Reads a state file.
 *
 * @returns `undefined` if the file does not exist.
 * @throws Error if it exists but is not a state file of this version.
 */
const readStateFile = (file: string): PersistedSimulator | undefined => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`Simulator state file ${file} is not JSON: ${(error as Error).message}`);
  }
  if (
    !isObject(parsed) ||
    parsed.format !== STATE_FILE_FORMAT ||
    parsed.version !== STATE_FILE_VERSION ||
    !isObject(parsed.state) ||
    !isObject(parsed.state.project) ||
    !isObject(parsed.services) ||
    typeof parsed.savedAt !== 'string'
  ) {
    throw new Error(
      `${file} is not a version ${STATE_FILE_VERSION} simulator state file; delete it to start from the fixture`,
    );
  }
  return parsed as unknown as PersistedSimulator;
};

/**
 * Writes a state file atomically: a temporary file beside it, then a rename, so a crash mid-write
 * leaves the previous file intact and a reader never sees half a file.
 */
const writeStateFile = (file: string, contents: PersistedSimulator): void => {
  const directory = dirname(file);
  mkdirSync(directory, { recursive: true });
  const temporary = join(
    directory,
    `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    writeFileSync(temporary, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
};

interface StatePersistenceOptions {
  file: string;
  /** The live shared state: restored in place, so every holder of the object sees it. */
  state: SimulatorState;
  services: readonly ServiceModule[];
  clock: Clock;
  /** Brings time-driven state up to date before a save. */
  settle(): void;
}

/** Saving and restoring one simulator's state; created by {@link createStatePersistence}. */
interface StatePersistence {
  readonly file: string;
  /**
   * Replaces the state with the file's, if the file exists. A virtual clock behind the file's
   * `savedAt` is moved forward to it.
   *
   * @returns whether a file was restored.
   * @throws Error if the file is unreadable or was written for another project.
   */
  restore(): boolean;
  /** Writes the current state (settled first). */
  save(): void;
}

const createStatePersistence = (options: StatePersistenceOptions): StatePersistence => {
  const { file, state, services, clock } = options;
  return {
    file,
    restore() {
      const persisted = readStateFile(file);
      if (!persisted) return false;
      const projectId = (persisted.state.project as { projectId?: unknown }).projectId;
      if (projectId !== state.project.projectId) {
        throw new Error(
          `Simulator state file ${file} holds project ${String(projectId)}, but the fixture is ` +
            `${state.project.projectId}; delete the file or point to another one`,
        );
      }
      Object.assign(state, structuredClone(persisted.state));
      for (const service of services) {
        const snapshot = persisted.services[service.name];
        if (snapshot !== undefined && service.restore) service.restore(structuredClone(snapshot));
      }
      if (clock instanceof ManualClock && Date.parse(persisted.savedAt) > clock.now().getTime()) {
        clock.set(persisted.savedAt);
      }
      return true;
    },
    save() {
      options.settle();
      const owned = services
        .filter((service) => service.snapshot)
        .map((service) => [service.name, service.snapshot?.()] as const);
      writeStateFile(file, {
        format: STATE_FILE_FORMAT,
        version: STATE_FILE_VERSION,
        savedAt: clock.now().toISOString(),
        state,
        services: Object.fromEntries(owned),
      });
    },
  };
};

export type { PersistedSimulator, StatePersistence, StatePersistenceOptions };

/**
 * Reads a 32-byte key from `file`, creating it (random, mode 0600) when absent. Kept beside the
 * state file, not in it, so the state file alone never yields sealed payloads.
 */
const loadOrCreateKey = (file: string): Uint8Array => {
  if (existsSync(file)) {
    const key = readFileSync(file);
    if (key.length !== 32) throw new Error(`${file} must hold exactly 32 bytes, has ${key.length}`);
    return key;
  }
  const key = randomBytes(32);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, key, { mode: 0o600 });
  return key;
};

export {
  createStatePersistence,
  loadOrCreateKey,
  readStateFile,
  STATE_FILE_FORMAT,
  STATE_FILE_VERSION,
  writeStateFile,
};
