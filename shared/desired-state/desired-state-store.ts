import { ConfigError, StateConflictError } from '../errors';
import { type DocumentStore, MAX_CONCURRENT_RETRIES } from '../store';
import { type PlatformState, PlatformStateSchema } from './platform-state';

const PLATFORM_DOC = 'platform';

/** Reads and edits desired state; every edit is validated and is a read-modify-write on its version. */
class DesiredStateStore {
  readonly #store: DocumentStore<PlatformState>;

  constructor(store: DocumentStore<PlatformState>) {
    this.#store = store;
  }

  /** The platform's desired state; a ConfigError when none was ever seeded. */
  async getPlatform(): Promise<PlatformState> {
    const current = await this.#store.get(PLATFORM_DOC);
    if (!current) {
      throw new ConfigError(
        'desired state has no platform document; seed it (npm start does) or run `opsplane state set`',
      );
    }
    return PlatformStateSchema.parse(current.doc);
  }

  /** Writes the whole platform document (seeding, `opsplane state set`). */
  async putPlatform(state: PlatformState): Promise<void> {
    const valid = PlatformStateSchema.parse(state);
    for (let round = 0; round < MAX_CONCURRENT_RETRIES; round += 1) {
      const current = await this.#store.get(PLATFORM_DOC);
      if (!current) {
        if (await this.#store.create(PLATFORM_DOC, valid)) return;
      } else if (await this.#store.replace(PLATFORM_DOC, valid, current.version)) return;
    }
    throw new StateConflictError('could not write desired state: too much contention');
  }

  /** Read-modify-write of the platform document. */
  async updatePlatform(change: (state: PlatformState) => PlatformState): Promise<PlatformState> {
    for (let round = 0; round < MAX_CONCURRENT_RETRIES; round += 1) {
      const current = await this.#store.get(PLATFORM_DOC);
      if (!current)
        await this.getPlatform(); // throws the "not seeded" ConfigError
      else {
        const next = PlatformStateSchema.parse(change(PlatformStateSchema.parse(current.doc)));
        if (await this.#store.replace(PLATFORM_DOC, next, current.version)) return next;
      }
    }
    throw new StateConflictError('could not update desired state: too much contention');
  }
}

export { DesiredStateStore };
