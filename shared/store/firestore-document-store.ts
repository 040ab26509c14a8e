import { FieldValue, type Firestore, type Precondition, Timestamp } from '@google-cloud/firestore';
import { StateConflictError } from '../errors';
import type { DocumentStore, ListQuery, Versioned } from './document-store';

/** gRPC codes the Firestore client reports for lost races. */
const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
const NOT_FOUND = 5;
const ABORTED = 10;

const grpcCode = (error: unknown): number | undefined =>
  typeof (error as { code?: unknown })?.code === 'number' ? (error as { code: number }).code : undefined;

/** The version token is the document's update time, to the nanosecond. */
const versionOf = (time: Timestamp): string => `${time.seconds}.${String(time.nanoseconds).padStart(9, '0')}`;
const preconditionOf = (version: string): Precondition => {
  const [seconds, nanos] = version.split('.');
  return { lastUpdateTime: new Timestamp(Number(seconds), Number(nanos)) };
};

/**
 * DocumentStore over one Firestore collection. Conditional writes use update-time preconditions
 * rather than transactions: they cost one round trip and never hold locks, which matters on the
 * emulator, whose pessimistic transactions serialize badly under contention.
 */
class FirestoreDocumentStore<T extends object> implements DocumentStore<T> {
  readonly #firestore: Firestore;
  readonly #collection: string;

  constructor(firestore: Firestore, collection: string) {
    this.#firestore = firestore;
    this.#collection = collection;
  }

  #ref(id: string) {
    return this.#firestore.collection(this.#collection).doc(encodeURIComponent(id));
  }

  async create(id: string, doc: T): Promise<boolean> {
    try {
      await this.#ref(id).create(toFirestore(doc));
      return true;
    } catch (error) {
      if (grpcCode(error) === ALREADY_EXISTS) return false;
      throw wrap(error, `create ${this.#collection}/${id}`);
    }
  }

  async get(id: string): Promise<Versioned<T> | undefined> {
    const snapshot = await this.#ref(id).get();
    if (!snapshot.exists || !snapshot.updateTime) return undefined;
    return { doc: snapshot.data() as T, version: versionOf(snapshot.updateTime) };
  }

  async replace(id: string, doc: T, version: string): Promise<boolean> {
    const current = await this.#ref(id).get();
    if (!current.exists || !current.updateTime || versionOf(current.updateTime) !== version) return false;
    // update() replaces each named top-level field; fields the new document lacks are deleted, so
    // the result is the whole document, not a merge.
    const data: Record<string, unknown> = toFirestore(doc);
    for (const key of Object.keys(current.data() ?? {})) {
      if (!(key in data)) data[key] = FieldValue.delete();
    }
    try {
      await this.#ref(id).update(data, preconditionOf(version));
      return true;
    } catch (error) {
      if ([FAILED_PRECONDITION, NOT_FOUND, ABORTED].includes(grpcCode(error) ?? -1)) return false;
      throw wrap(error, `replace ${this.#collection}/${id}`);
    }
  }

  async remove(id: string, version: string): Promise<boolean> {
    try {
      await this.#ref(id).delete(preconditionOf(version));
      return true;
    } catch (error) {
      if ([FAILED_PRECONDITION, NOT_FOUND, ABORTED].includes(grpcCode(error) ?? -1)) return false;
      throw wrap(error, `remove ${this.#collection}/${id}`);
    }
  }

  async list(query: ListQuery<T>): Promise<T[]> {
    let ref = this.#firestore
      .collection(this.#collection)
      .orderBy(query.orderBy, query.direction)
      .limit(query.limit);
    for (const filter of query.where ?? []) ref = ref.where(filter.field, '==', filter.equals);
    const snapshot = await ref.get();
    return snapshot.docs.map((d) => d.data() as T);
  }
}

/** Firestore rejects `undefined`; JSON round trip drops it and any class instance sneaking in. */
const toFirestore = (doc: object): Record<string, unknown> =>
  JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;

const wrap = (error: unknown, what: string): Error =>
  grpcCode(error) === ABORTED
    ? new StateConflictError(`${what} lost a race`, { cause: error })
    : (error as Error);

export { FirestoreDocumentStore };
