import { desiredStateFromFixture, type PlatformState, type UserState } from '../../../shared/desired-state';
import {
  applyHumanBindingEdits,
  type DriftFinding,
  desiredHumanBindings,
  fixWith,
  planHumanBindingEdits,
  planReconcile,
} from '../../../shared/drift';
import type { IamPolicy } from '../../../shared/gcp';
import { loadFixture } from '../../helpers/factories';

/** The pure edit behind iam.bindings.reconcile: only humans, only managed roles. */

const NOW = '2025-06-02T09:00:00.000Z';
const PLATFORM: PlatformState = { ...desiredStateFromFixture(loadFixture()), authoritativeBindings: [] };
const SA = 'serviceAccount:ci-terraform@acme-ml-prod.iam.gserviceaccount.com';

const user = (email: string, role: string, extra: Partial<UserState> = {}): UserState => ({
  email,
  role,
  updatedAt: NOW,
  ...extra,
});

const policy = (bindings: IamPolicy['bindings']): IamPolicy => ({ version: 1, etag: 'e', bindings });

const ada = user('ada@acme.ai', 'data-scientist');

describe('planHumanBindingEdits', () => {
  it('removes a managed role a human holds outside desired state and leaves service accounts, groups and other roles alone', () => {
    // Prepare
    const live = policy([
      { role: 'roles/container.clusterViewer', members: ['user:ada@acme.ai', SA] },
      { role: 'roles/container.developer', members: ['user:ada@acme.ai', 'group:ml@acme.ai', SA] },
      { role: 'roles/editor', members: [SA] },
      { role: 'roles/bigquery.admin', members: ['user:ada@acme.ai'] },
    ]);
    const desired = desiredHumanBindings(PLATFORM, [ada], 'project', NOW);
    // Act
    const { edits } = planHumanBindingEdits(live, desired);
    const after = applyHumanBindingEdits(live, edits);
    // Assert
    expect(edits).toEqual([
      {
        member: 'user:ada@acme.ai',
        remove: [{ role: 'roles/container.developer' }],
        add: [],
        before: ['roles/container.clusterViewer', 'roles/container.developer'],
        after: ['roles/container.clusterViewer'],
      },
    ]);
    expect(after.bindings).toEqual([
      { role: 'roles/container.clusterViewer', members: ['user:ada@acme.ai', SA] },
      { role: 'roles/container.developer', members: ['group:ml@acme.ai', SA] },
      { role: 'roles/editor', members: [SA] },
      { role: 'roles/bigquery.admin', members: ['user:ada@acme.ai'] },
    ]);
  });

  it('adds the missing desired grants, with the expiry condition, but never roles/owner', () => {
    // Prepare
    const nina = user('nina@acme.ai', 'contractor', { expiresAt: '2025-07-31T00:00:00Z' });
    const maria = user('maria@acme.ai', 'platform-admin');
    const desired = desiredHumanBindings(PLATFORM, [nina, maria], 'project', NOW);
    // Act
    const { edits, ungrantable } = planHumanBindingEdits(policy([]), desired);
    // Assert
    const condition = {
      title: 'expires-2025-07-31',
      expression: 'request.time < timestamp("2025-07-31T00:00:00Z")',
    };
    expect(edits.find((edit) => edit.member === 'user:nina@acme.ai')?.add).toEqual([
      { role: 'roles/container.clusterViewer', condition },
      { role: 'roles/container.developer', condition },
    ]);
    expect(edits.find((edit) => edit.member === 'user:maria@acme.ai')?.add).toEqual([
      { role: 'roles/container.admin' },
    ]);
    expect(ungrantable).toEqual(['user:maria@acme.ai roles/owner']);
  });

  it('removes every managed grant of an expired user and of an unmanaged person, but keeps authoritative members', () => {
    // Prepare
    const expired = user('old@acme.ai', 'contractor', { expiresAt: '2025-01-01T00:00:00Z' });
    const platform: PlatformState = {
      ...PLATFORM,
      authoritativeBindings: [
        { policy: 'project', role: 'roles/editor', members: ['user:tf@acme.ai'], source: 'terraform' },
      ],
    };
    const live = policy([
      { role: 'roles/container.developer', members: ['user:old@acme.ai', 'user:gone@acme.ai'] },
      { role: 'roles/editor', members: ['user:tf@acme.ai', 'user:gone@acme.ai'] },
    ]);
    // Act
    const { edits } = planHumanBindingEdits(live, desiredHumanBindings(platform, [expired], 'project', NOW));
    // Assert
    expect(edits.map((edit) => [edit.member, edit.remove.map((grant) => grant.role)])).toEqual([
      ['user:gone@acme.ai', ['roles/container.developer', 'roles/editor']],
      ['user:old@acme.ai', ['roles/container.developer']],
    ]);
    expect(applyHumanBindingEdits(live, edits).bindings).toEqual([
      { role: 'roles/editor', members: ['user:tf@acme.ai'] },
    ]);
  });

  it('touches only the members asked for, and never a user whose role template is unknown', () => {
    // Prepare
    const stray = user('stray@acme.ai', 'no-such-template');
    const live = policy([
      { role: 'roles/editor', members: ['user:a@acme.ai', 'user:b@acme.ai', 'user:stray@acme.ai'] },
    ]);
    const desired = desiredHumanBindings(PLATFORM, [stray], 'project', NOW);
    // Act
    const narrow = planHumanBindingEdits(live, desired, ['user:b@acme.ai']);
    const wide = planHumanBindingEdits(live, desired);
    // Assert
    expect(narrow.edits.map((edit) => edit.member)).toEqual(['user:b@acme.ai']);
    expect(wide.edits.map((edit) => edit.member)).toEqual(['user:a@acme.ai', 'user:b@acme.ai']);
  });

  it('is idempotent: replaying the edits on the edited policy changes nothing', () => {
    // Prepare
    const live = policy([{ role: 'roles/editor', members: ['user:x@acme.ai'] }]);
    const { edits } = planHumanBindingEdits(live, desiredHumanBindings(PLATFORM, [ada], 'project', NOW));
    const once = applyHumanBindingEdits(live, edits);
    // Act
    const twice = applyHumanBindingEdits(once, edits);
    // Assert
    expect(twice).toEqual(once);
    expect(once.bindings).toEqual([{ role: 'roles/container.clusterViewer', members: ['user:ada@acme.ai'] }]);
  });

  it('manages only the IAP accessor role in the IAP policy', () => {
    // Prepare
    const live = policy([
      { role: 'roles/iap.httpsResourceAccessor', members: ['user:x@acme.ai', 'user:ada@acme.ai'] },
      { role: 'roles/iap.admin', members: ['user:x@acme.ai'] },
    ]);
    // Act
    const { edits } = planHumanBindingEdits(live, desiredHumanBindings(PLATFORM, [ada], 'iap', NOW));
    // Assert
    expect(edits.map((edit) => [edit.member, edit.remove.map((grant) => grant.role)])).toEqual([
      ['user:x@acme.ai', ['roles/iap.httpsResourceAccessor']],
    ]);
  });
});

describe('planReconcile with IAM policy fixes', () => {
  const finding = (
    resource: string,
    members?: string[],
    policyKind: 'project' | 'iap' = 'project',
  ): DriftFinding => ({
    resource,
    kind: 'unexpected-grant',
    severity: 'medium',
    desired: null,
    actual: null,
    message: resource,
    mode: 'enforce',
    fix: fixWith('iam.bindings.reconcile', { policy: policyKind, ...(members ? { members } : {}) }),
  });

  it('merges the fixes of one policy into one command with every member', () => {
    // Act
    const plan = planReconcile({
      findings: [
        finding('user/b@acme.ai', ['user:b@acme.ai']),
        finding('user/a@acme.ai', ['user:a@acme.ai']),
        finding('project-iam/p', ['user:a@acme.ai', 'user:c@acme.ai']),
        finding('iap/1', ['user:a@acme.ai'], 'iap'),
      ],
    });
    // Assert
    expect(plan.commands.map((command) => [command.type, command.args])).toEqual([
      ['iam.bindings.reconcile', { policy: 'iap', members: ['user:a@acme.ai'] }],
      [
        'iam.bindings.reconcile',
        { policy: 'project', members: ['user:a@acme.ai', 'user:b@acme.ai', 'user:c@acme.ai'] },
      ],
    ]);
    expect(plan.commands[1]?.fixes).toEqual([
      'user/b@acme.ai:unexpected-grant',
      'user/a@acme.ai:unexpected-grant',
      'project-iam/p:unexpected-grant',
    ]);
  });

  it('covers the whole policy when one of its fixes does', () => {
    // Act
    const plan = planReconcile({
      findings: [finding('user/a@acme.ai', ['user:a@acme.ai']), finding('project-iam/p')],
    });
    // Assert
    expect(plan.commands.map((command) => command.args)).toEqual([{ policy: 'project' }]);
  });

  it('submits nothing for observed findings', () => {
    // Act
    const plan = planReconcile({ findings: [{ ...finding('project-iam/p'), mode: 'observe' }] });
    // Assert
    expect(plan).toEqual({ commands: [], manual: [], observed: 1 });
  });
});
