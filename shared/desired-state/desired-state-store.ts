import { ConfigError, StateConflictError } from '../errors';
import { type DocumentStore, MAX_CONCURRENT_RETRIES } from '../store';
import { type PlatformState, PlatformStateSchema, type UserState, UserStateSchema } from './platform-state';

const PLATFORM_DOC = 'platform';

/**
 * Reads and edits desired state; every edit is validated and is a read-modify-write on its version.
 * The platform document holds policies; users are one document each, keyed by email.
 */
class DesiredStateStore {
  readonly #platform: DocumentStore<PlatformState>;
  readonly #users: DocumentStore<UserState>;

  constructor(platform: DocumentStore<PlatformState>, users: DocumentStore<UserState>) {
    this.#platform = platform;
    this.#users = users;
  }

  /** The platform's desired state; a ConfigError when none was ever seeded. */
  async getPlatform(): Promise<PlatformState> {
    const current = await this.#platform.get(PLATFORM_DOC);
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
      const current = await this.#platform.get(PLATFORM_DOC);
      if (!current) {
        if (await this.#platform.create(PLATFORM_DOC, valid)) return;
      } else if (await this.#platform.replace(PLATFORM_DOC, valid, current.version)) return;
    }
    throw new StateConflictError('could not write desired state: too much contention');
  }

  /** Read-modify-write of the platform document. */
  async updatePlatform(change: (state: PlatformState) => PlatformState): Promise<PlatformState> {
    for (let round = 0; round < MAX_CONCURRENT_RETRIES; round += 1) {
      const current = await this.#platform.get(PLATFORM_DOC);
      if (!current)
        await this.getPlatform(); // throws the "not seeded" ConfigError
      else {
        const next = PlatformStateSchema.parse(change(PlatformStateSchema.parse(current.doc)));
        if (await this.#platform.replace(PLATFORM_DOC, next, current.version)) return next;
      }
    }
    throw new StateConflictError('could not update desired state: too much contention');
  }

  async getUser(email: string): Promise<UserState | undefined> {
    const current = await this.#users.get(email);
    return current ? UserStateSchema.parse(current.doc) : undefined;
  }

  /** Every managed user, by email. */
  async listUsers(): Promise<UserState[]> {
    const users = await this.#users.list({ orderBy: 'email', direction: 'asc', limit: 100_000 });
    return users.map((user) => UserStateSchema.parse(user));
  }

  /** Creates or replaces a user's document (idempotent: the same state twice is one write's effect). */
  async putUser(user: UserState): Promise<void> {
    const valid = UserStateSchema.parse(user);
    for (let round = 0; round < MAX_CONCURRENT_RETRIES; round += 1) {
      const current = await this.#users.get(valid.email);
      if (!current) {
        if (await this.#users.create(valid.email, valid)) return;
      } else if (await this.#users.replace(valid.email, valid, current.version)) return;
    }
    throw new StateConflictError(`could not write user ${valid.email}: too much contention`);
  }

  /** Forgets a user; true when there was one. */
  async deleteUser(email: string): Promise<boolean> {
    for (let round = 0; round < MAX_CONCURRENT_RETRIES; round += 1) {
      const current = await this.#users.get(email);
      if (!current) return false;
      if (await this.#users.remove(email, current.version)) return true;
    }
    throw new StateConflictError(`could not remove user ${email}: too much contention`);
  }
}

export { DesiredStateStore };
