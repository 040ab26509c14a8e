import { StateConflictError } from '../errors';
import { type DocumentStore, MAX_CONCURRENT_RETRIES } from '../store';

/** A lease on one resource (a node pool, an instance, an IAM policy). */
interface Lease {
  resource: string;
  /** The operation id holding it. */
  holder: string;
  acquiredAt: string;
  expiresAt: string;
}

type AcquireOutcome = { acquired: true; lease: Lease } | { acquired: false; heldBy: Lease };

/**
 * Per-resource leases. A lease has an expiry so that a crashed holder blocks others for at most
 * its TTL; a holder re-acquiring its own lease renews it (a redelivered operation takes back the
 * lease it held before it crashed).
 *
 *   op A: acquire ─> [A holds until t+ttl] ──> release
 *   op B:     acquire ─> held by A ─> LEASE_HELD (retry later)
 *   op B (after t+ttl, A crashed): acquire ─> expired ─> replace ─> B holds
 */
class LeaseManager {
  readonly #store: DocumentStore<Lease>;

  constructor(store: DocumentStore<Lease>) {
    this.#store = store;
  }

  async acquire(resource: string, holder: string, ttlMs: number, now: Date): Promise<AcquireOutcome> {
    const lease: Lease = {
      resource,
      holder,
      acquiredAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    };
    for (let round = 0; round < MAX_CONCURRENT_RETRIES; round += 1) {
      if (await this.#store.create(resource, lease)) return { acquired: true, lease };
      const current = await this.#store.get(resource);
      if (!current) continue;
      if (current.doc.holder !== holder && current.doc.expiresAt > lease.acquiredAt) {
        return { acquired: false, heldBy: current.doc };
      }
      if (await this.#store.replace(resource, lease, current.version)) return { acquired: true, lease };
    }
    throw new StateConflictError(`could not acquire lease on ${resource}: too much contention`);
  }

  /** Releases the lease if this holder still has it; a lease taken over by someone else is left alone. */
  async release(resource: string, holder: string): Promise<void> {
    for (let round = 0; round < MAX_CONCURRENT_RETRIES; round += 1) {
      const current = await this.#store.get(resource);
      if (!current || current.doc.holder !== holder) return;
      if (await this.#store.remove(resource, current.version)) return;
    }
  }

  async get(resource: string): Promise<Lease | undefined> {
    return (await this.#store.get(resource))?.doc;
  }
}

export type { AcquireOutcome, Lease };
export { LeaseManager };
