/**
 * The one persistence interface of the control plane: a collection of JSON documents with
 * optimistic concurrency. Every write that must not lose a race (claiming an operation, taking a
 * lease, editing desired state) is "read, decide, write if still at the version read". The ledger,
 * the leases and desired state are written once against this interface; the Firestore and
 * in-memory implementations only do I/O, and one contract suite runs against both.
 */

interface Versioned<T> {
  doc: T;
  /** Opaque token of the stored revision; pass it back to replace/remove. */
  version: string;
}

interface ListQuery<T> {
  orderBy: keyof T & string;
  direction: 'asc' | 'desc';
  limit: number;
  /** Equality filters on top-level fields. */
  where?: ReadonlyArray<{ field: keyof T & string; equals: string | number | boolean }>;
}

interface DocumentStore<T extends object> {
  /** Creates the document; resolves false, writing nothing, when it already exists. */
  create(id: string, doc: T): Promise<boolean>;
  get(id: string): Promise<Versioned<T> | undefined>;
  /** Replaces the whole document if it is still at `version`; false when it changed or vanished. */
  replace(id: string, doc: T, version: string): Promise<boolean>;
  /** Deletes the document if it is still at `version`; false when it changed or vanished. */
  remove(id: string, version: string): Promise<boolean>;
  list(query: ListQuery<T>): Promise<T[]>;
}

/** How many times a read-decide-write loop re-reads after losing a race before giving up. */
const MAX_CONCURRENT_RETRIES = 25;

export type { DocumentStore, ListQuery, Versioned };
export { MAX_CONCURRENT_RETRIES };
