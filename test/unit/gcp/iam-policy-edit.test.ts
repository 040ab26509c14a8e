import { fromGcpError, GcpError, ResourceBusyError } from '../../../shared/errors';
import {
  diffPolicies,
  type IamPolicy,
  MAX_POLICY_EDIT_ATTEMPTS,
  membersOf,
  type PolicyStore,
  runPolicyEdit,
  withMember,
  withoutMember,
} from '../../../shared/gcp/iam-policy-edit';
import { ManualClock } from '../../../shared/time';

/** The pure policy edits and the read-modify-write loop, against an in-memory store. */

const CONTRACT = {
  title: 'contract-ends-2026-08-31',
  expression: 'request.time < timestamp("2026-08-31T00:00:00Z")',
};

const policy = (): IamPolicy => ({
  version: 3,
  etag: 'BwY0rV3kQyE=',
  bindings: [
    {
      role: 'roles/container.clusterViewer',
      members: ['user:aiko.tanaka@acme.ai', 'user:grace.kim@acme.ai'],
    },
    { role: 'roles/container.developer', members: ['user:grace.kim@acme.ai'], condition: CONTRACT },
    { role: 'roles/viewer', members: ['user:grace.kim@acme.ai'] },
  ],
});

/** A store holding one policy, optionally refusing the next writes with ABORTED as Google does. */
const memoryStore = (initial: IamPolicy, conflicts = 0) => {
  let stored = structuredClone(initial);
  let remainingConflicts = conflicts;
  let etagCounter = 0;
  const writes: IamPolicy[] = [];
  const store: PolicyStore = {
    read: async () => structuredClone(stored),
    write: async (next) => {
      writes.push(structuredClone(next));
      if (remainingConflicts > 0 || next.etag !== stored.etag) {
        remainingConflicts -= 1;
        // What the real store throws: Google's 409 ABORTED body, translated by fromGcpError.
        const message = 'There were concurrent policy changes.';
        throw fromGcpError(
          { status: 409, message, response: { data: { error: { code: 409, status: 'ABORTED', message } } } },
          'set IAM policy',
        );
      }
      etagCounter += 1;
      stored = { ...structuredClone(next), etag: `BwY0rV3kQy${etagCounter}=` };
      return structuredClone(stored);
    },
  };
  return { store, writes, current: () => stored };
};

describe('withMember', () => {
  it('joins the binding of the same role and condition without touching its input', () => {
    // Prepare
    const before = policy();

    // Act
    const after = withMember(before, 'roles/container.clusterViewer', 'user:omar.haddad@acme.ai');

    // Assess
    expect(after.bindings[0]?.members).toEqual([
      'user:aiko.tanaka@acme.ai',
      'user:grace.kim@acme.ai',
      'user:omar.haddad@acme.ai',
    ]);
    expect(after.bindings).toHaveLength(3);
    expect(before).toEqual(policy());
  });

  it('appends a conditional binding when no binding has that role and condition', () => {
    // Act
    const after = withMember(
      policy(),
      'roles/container.clusterViewer',
      'user:ext.nina.volkova@acme.ai',
      CONTRACT,
    );

    // Assess
    expect(after.bindings[3]).toEqual({
      role: 'roles/container.clusterViewer',
      members: ['user:ext.nina.volkova@acme.ai'],
      condition: CONTRACT,
    });
    expect(after.bindings[0]?.members).not.toContain('user:ext.nina.volkova@acme.ai');
  });

  it('leaves the grants as they are when the member already holds the role', () => {
    // Act
    const after = withMember(policy(), 'roles/container.developer', 'user:grace.kim@acme.ai', CONTRACT);

    // Assess
    expect(after).toEqual(policy());
  });
});

describe('withoutMember', () => {
  it('removes the member from every binding, conditional ones too, and drops bindings left empty', () => {
    // Act
    const after = withoutMember(policy(), 'user:grace.kim@acme.ai');

    // Assess
    expect(after.bindings).toEqual([
      { role: 'roles/container.clusterViewer', members: ['user:aiko.tanaka@acme.ai'] },
    ]);
  });

  it('removes the member only from the given roles', () => {
    // Act
    const after = withoutMember(policy(), 'user:grace.kim@acme.ai', { roles: ['roles/viewer'] });

    // Assess
    expect(after.bindings.map((binding) => binding.role)).toEqual([
      'roles/container.clusterViewer',
      'roles/container.developer',
    ]);
    expect(membersOf(after)).toContain('user:grace.kim@acme.ai');
  });
});

describe('membersOf', () => {
  it('lists each member once, sorted', () => {
    // Act
    const members = membersOf(policy());

    // Assess
    expect(members).toEqual(['user:aiko.tanaka@acme.ai', 'user:grace.kim@acme.ai']);
  });
});

describe('diffPolicies', () => {
  it('lists removed then added grants with their conditions, ignoring binding order', () => {
    // Prepare
    const before = policy();
    const after = withMember(
      withoutMember(before, 'user:grace.kim@acme.ai'),
      'roles/viewer',
      'user:dev.patel@acme.ai',
    );
    after.bindings.reverse();

    // Act
    const diff = diffPolicies(before, after);

    // Assess
    expect(diff).toEqual([
      { role: 'roles/container.clusterViewer', member: 'user:grace.kim@acme.ai', change: 'removed' },
      {
        role: 'roles/container.developer',
        member: 'user:grace.kim@acme.ai',
        change: 'removed',
        condition: CONTRACT,
      },
      { role: 'roles/viewer', member: 'user:grace.kim@acme.ai', change: 'removed' },
      { role: 'roles/viewer', member: 'user:dev.patel@acme.ai', change: 'added' },
    ]);
  });

  it('counts a changed condition as a removal and an addition', () => {
    // Prepare
    const after = policy();
    after.bindings[1] = {
      ...(after.bindings[1] as IamPolicy['bindings'][number]),
      condition: { ...CONTRACT, title: 'extended' },
    };

    // Act
    const diff = diffPolicies(policy(), after);

    // Assess
    expect(diff.map((change) => [change.change, change.condition?.title])).toEqual([
      ['removed', CONTRACT.title],
      ['added', 'extended'],
    ]);
  });
});

describe('runPolicyEdit', () => {
  const clock = new ManualClock('2026-03-02T09:00:00Z');

  it('writes the change with the etag read and version 3 when a binding is conditional', async () => {
    // Prepare
    const { store, writes } = memoryStore(policy());

    // Act
    const result = await runPolicyEdit(
      store,
      (current) => withMember(current, 'roles/viewer', 'user:dev.patel@acme.ai'),
      'project acme-ml-prod',
      { clock },
    );

    // Assess
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ etag: 'BwY0rV3kQyE=', version: 3 });
    expect(result).toMatchObject({ changed: true, attempts: 1 });
    expect(result.after.etag).toBe('BwY0rV3kQy1=');
    expect(result.diff).toEqual([
      { role: 'roles/viewer', member: 'user:dev.patel@acme.ai', change: 'added' },
    ]);
  });

  it('writes version 1 once the last conditional binding is gone', async () => {
    // Prepare
    const { store, writes } = memoryStore(policy());

    // Act
    await runPolicyEdit(store, (current) => withoutMember(current, 'user:grace.kim@acme.ai'), 'p', { clock });

    // Assess
    expect(writes[0]?.version).toBe(1);
  });

  it('does not write when the change leaves the grants as they are', async () => {
    // Prepare
    const { store, writes } = memoryStore(policy());

    // Act
    const result = await runPolicyEdit(
      store,
      (current) => withMember(current, 'roles/viewer', 'user:grace.kim@acme.ai'),
      'p',
      { clock },
    );

    // Assess
    expect(writes).toEqual([]);
    expect(result).toEqual({ before: policy(), after: policy(), changed: false, attempts: 1, diff: [] });
  });

  it('plans without writing in a dry run', async () => {
    // Prepare
    const { store, writes } = memoryStore(policy());

    // Act
    const result = await runPolicyEdit(
      store,
      (current) => withMember(current, 'roles/viewer', 'user:dev.patel@acme.ai'),
      'p',
      { clock },
      { dryRun: true },
    );

    // Assess
    expect(writes).toEqual([]);
    expect(result.changed).toBe(true);
    expect(membersOf(result.after)).toContain('user:dev.patel@acme.ai');
  });

  it('redoes the whole read-modify-write after a conflict, sleeping on the clock between attempts', async () => {
    // Prepare
    const { store, current } = memoryStore(policy(), 2);
    const sleeps: number[] = [];
    const recordingClock = { now: () => clock.now(), sleep: async (ms: number) => void sleeps.push(ms) };
    let reads = 0;

    // Act
    const result = await runPolicyEdit(
      store,
      (read) => {
        reads += 1;
        return withMember(read, 'roles/viewer', 'user:dev.patel@acme.ai');
      },
      'p',
      { clock: recordingClock, random: () => 0.5, baseDelayMs: 100 },
    );

    // Assess
    expect(result.attempts).toBe(3);
    expect(reads).toBe(3);
    expect(sleeps).toEqual([50, 100]);
    expect(membersOf(current())).toContain('user:dev.patel@acme.ai');
  });

  it('starts from a basis already read without reading again, and reads afresh when its etag is stale', async () => {
    // Prepare: a store that counts reads; a current basis, and one a concurrent writer overtook.
    const current = memoryStore(policy());
    let reads = 0;
    const counting: PolicyStore = {
      read: async () => {
        reads += 1;
        return current.store.read();
      },
      write: current.store.write,
    };
    const stale = { ...policy(), etag: 'BwY0stale0=', bindings: [] };
    const add = (read: IamPolicy) => withMember(read, 'roles/viewer', 'user:dev.patel@acme.ai');

    // Act
    const fresh = await runPolicyEdit(counting, add, 'p', { clock }, { basis: policy() });
    const readsAfterFresh = reads;
    const overtaken = await runPolicyEdit(
      counting,
      (read) => withMember(read, 'roles/viewer', 'user:omar.haddad@acme.ai'),
      'p',
      { clock, random: () => 0 },
      { basis: stale },
    );

    // Assess: one write and no read; then the stale etag is refused, and the retry reads and keeps
    // what the first edit wrote (the stale basis had no bindings at all).
    expect(readsAfterFresh).toBe(0);
    expect(fresh).toMatchObject({ changed: true, attempts: 1 });
    expect(overtaken).toMatchObject({ changed: true, attempts: 2 });
    expect(reads).toBe(1);
    expect(current.writes.map((write) => write.etag)).toEqual([
      'BwY0rV3kQyE=',
      'BwY0stale0=',
      'BwY0rV3kQy1=',
    ]);
    expect(membersOf(current.current())).toEqual(
      expect.arrayContaining([
        'user:aiko.tanaka@acme.ai',
        'user:dev.patel@acme.ai',
        'user:omar.haddad@acme.ai',
      ]),
    );
  });

  it('gives up with a retryable RESOURCE_BUSY error after the bounded attempts', async () => {
    // Prepare
    const { store, writes } = memoryStore(policy(), Number.POSITIVE_INFINITY);

    // Act
    const failure = runPolicyEdit(
      store,
      (current) => withMember(current, 'roles/viewer', 'user:dev.patel@acme.ai'),
      'project acme-ml-prod',
      { clock },
    );

    // Assess
    await expect(failure).rejects.toBeInstanceOf(ResourceBusyError);
    await expect(failure).rejects.toMatchObject({ retryable: true, message: /project acme-ml-prod/ });
    expect(writes).toHaveLength(MAX_POLICY_EDIT_ATTEMPTS);
  });

  it('lets any other write failure through unretried', async () => {
    // Prepare
    const refused = new GcpError('GCP_REJECTED', 'User x does not exist.', {
      httpStatus: 400,
      status: 'INVALID_ARGUMENT',
    });
    const store: PolicyStore = {
      read: async () => policy(),
      write: async () => {
        throw refused;
      },
    };
    let reads = 0;

    // Act
    const failure = runPolicyEdit(
      store,
      (current) => {
        reads += 1;
        return withMember(current, 'roles/viewer', 'user:x@acme.ai');
      },
      'p',
      { clock },
    );

    // Assess
    await expect(failure).rejects.toBe(refused);
    expect(reads).toBe(1);
  });
});
