import type { DocumentStore, ListQuery, Versioned } from './document-store';

/**
 * In-memory DocumentStore with the same semantics as the Firestore one: documents are copied in
 * and out (so callers cannot mutate stored state) and every write bumps a version.
 */
class MemoryDocumentStore<T extends object> implements DocumentStore<T> {
  readonly #docs = new Map<string, Versioned<T>>();
  #revision = 0;

  async create(id: string, doc: T): Promise<boolean> {
    await Promise.resolve();
    if (this.#docs.has(id)) return false;
    this.#write(id, doc);
    return true;
  }

  async get(id: string): Promise<Versioned<T> | undefined> {
    await Promise.resolve();
    const stored = this.#docs.get(id);
    return stored ? { doc: structuredClone(stored.doc), version: stored.version } : undefined;
  }

  async replace(id: string, doc: T, version: string): Promise<boolean> {
    await Promise.resolve();
    if (this.#docs.get(id)?.version !== version) return false;
    this.#write(id, doc);
    return true;
  }

  async remove(id: string, version: string): Promise<boolean> {
    await Promise.resolve();
    if (this.#docs.get(id)?.version !== version) return false;
    this.#docs.delete(id);
    return true;
  }

  async list(query: ListQuery<T>): Promise<T[]> {
    await Promise.resolve();
    const sign = query.direction === 'asc' ? 1 : -1;
    return [...this.#docs.values()]
      .map((stored) => stored.doc)
      .filter((doc) =>
        (query.where ?? []).every((w) => (doc as Record<string, unknown>)[w.field] === w.equals),
      )
      .sort((a, b) => {
        const x = String((a as Record<string, unknown>)[query.orderBy] ?? '');
        const y = String((b as Record<string, unknown>)[query.orderBy] ?? '');
        return x < y ? -sign : x > y ? sign : 0;
      })
      .slice(0, query.limit)
      .map((doc) => structuredClone(doc));
  }

  #write(id: string, doc: T): void {
    this.#revision += 1;
    // JSON round trip: stored documents hold exactly what Firestore would (no undefined, no class instances).
    this.#docs.set(id, { doc: JSON.parse(JSON.stringify(doc)) as T, version: String(this.#revision) });
  }
}

export { MemoryDocumentStore };
