import type { DocumentStore } from '../../shared/store';

interface Doc {
  name: string;
  rank: number;
  kind: string;
  nested?: { a: number };
}

/**
 * The DocumentStore contract. Every implementation (in-memory, Firestore) must pass it; the ledger
 * and leases rely on nothing else.
 */
const describeDocumentStore = (name: string, makeStore: () => DocumentStore<Doc>): void => {
  describe(`DocumentStore contract: ${name}`, () => {
    it('creates a document once and refuses a second create', async () => {
      // Prepare
      const store = makeStore();
      // Act
      const first = await store.create('a', { name: 'a', rank: 1, kind: 'x' });
      const second = await store.create('a', { name: 'other', rank: 2, kind: 'x' });
      // Assess
      expect(first).toBe(true);
      expect(second).toBe(false);
      expect((await store.get('a'))?.doc.name).toBe('a');
    });

    it('returns undefined for a missing document', async () => {
      expect(await makeStore().get('missing')).toBeUndefined();
    });

    it('replaces only at the version read, and the whole document', async () => {
      // Prepare
      const store = makeStore();
      await store.create('a', { name: 'a', rank: 1, kind: 'x', nested: { a: 1 } });
      const read = await store.get('a');
      // Act
      const replaced = await store.replace('a', { name: 'b', rank: 2, kind: 'x' }, read?.version ?? '');
      const stale = await store.replace('a', { name: 'c', rank: 3, kind: 'x' }, read?.version ?? '');
      // Assess
      expect(replaced).toBe(true);
      expect(stale).toBe(false);
      expect((await store.get('a'))?.doc).toEqual({ name: 'b', rank: 2, kind: 'x' });
    });

    it('lets exactly one of two racing replaces win', async () => {
      // Prepare
      const store = makeStore();
      await store.create('a', { name: 'a', rank: 0, kind: 'x' });
      const read = await store.get('a');
      // Act
      const results = await Promise.all(
        [1, 2].map((rank) => store.replace('a', { name: 'a', rank, kind: 'x' }, read?.version ?? '')),
      );
      // Assess
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('removes only at the version read', async () => {
      // Prepare
      const store = makeStore();
      await store.create('a', { name: 'a', rank: 1, kind: 'x' });
      const read = await store.get('a');
      await store.replace('a', { name: 'a', rank: 2, kind: 'x' }, read?.version ?? '');
      // Act
      const staleRemove = await store.remove('a', read?.version ?? '');
      const current = await store.get('a');
      const remove = await store.remove('a', current?.version ?? '');
      // Assess
      expect(staleRemove).toBe(false);
      expect(remove).toBe(true);
      expect(await store.get('a')).toBeUndefined();
    });

    it('accepts ids with slashes and colons', async () => {
      const store = makeStore();
      expect(await store.create('gke/projects/p/nodePools/x:1', { name: 'n', rank: 1, kind: 'x' })).toBe(
        true,
      );
      expect((await store.get('gke/projects/p/nodePools/x:1'))?.doc.name).toBe('n');
    });

    it('lists ordered, limited and filtered', async () => {
      // Prepare
      const store = makeStore();
      for (const [id, rank, kind] of [
        ['a', 3, 'x'],
        ['b', 1, 'y'],
        ['c', 2, 'x'],
        ['d', 4, 'x'],
      ] as const) {
        await store.create(id, { name: id, rank, kind });
      }
      // Act
      const top = await store.list({ orderBy: 'rank', direction: 'desc', limit: 2 });
      const xs = await store.list({
        orderBy: 'rank',
        direction: 'asc',
        limit: 10,
        where: [{ field: 'kind', equals: 'x' }],
      });
      // Assess
      expect(top.map((d) => d.name)).toEqual(['d', 'a']);
      expect(xs.map((d) => d.name)).toEqual(['c', 'a', 'd']);
    });
  });
};

export type { Doc };
export { describeDocumentStore };
