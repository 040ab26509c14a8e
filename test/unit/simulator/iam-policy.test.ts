import { SimulatorApiError } from '../../../local/simulator/api-error';
import { defaultFixturePath, loadFixture } from '../../../local/simulator/fixture';
import {
  applyPolicyWrite,
  CONCURRENT_POLICY_CHANGE_MESSAGE,
  EMPTY_POLICY_ETAG,
  emptyPolicy,
  type IamPolicy,
  iamPolicySchema,
  newPolicyEtag,
  type PolicyBinding,
  type PolicyDirectory,
  type PolicyResource,
  parseMember,
  parsePolicyDirectory,
  policyResponse,
  readGetIamPolicyRequest,
  readRequestedPolicyVersion,
  readSetIamPolicyRequest,
  withMemberGranted,
  withMemberRevoked,
} from '../../../local/simulator/services/iam-policy';

const DIRECTORY: PolicyDirectory = {
  projectId: 'acme-ml-prod',
  projectNumber: '734118209551',
  allowedMemberDomains: ['acme.ai'],
  users: new Set(['dev.patel@acme.ai', 'grace.kim@acme.ai']),
  serviceAccounts: new Set(['ci-terraform@acme-ml-prod.iam.gserviceaccount.com']),
};
const ETAG = 'BwY0rV3kQyE=';
const VIEWER: PolicyBinding = { role: 'roles/viewer', members: ['user:dev.patel@acme.ai'] };
const CONDITIONAL: PolicyBinding = {
  role: 'roles/container.developer',
  members: ['user:grace.kim@acme.ai'],
  condition: { title: 'until-2026', expression: 'request.time < timestamp("2026-12-31T00:00:00Z")' },
};
const SHAPE = { updateMask: true, auditConfigs: true };

const policy = (bindings: PolicyBinding[], extra: Partial<IamPolicy> = {}): IamPolicy => ({
  version: bindings.some((binding) => binding.condition) ? 3 : 1,
  etag: ETAG,
  bindings,
  ...extra,
});

/** Sets `body` on `current` through the request reader, as a route does. */
const write = (
  current: IamPolicy,
  body: unknown,
  resource: PolicyResource = 'project',
  directory: PolicyDirectory = DIRECTORY,
): IamPolicy => applyPolicyWrite(current, readSetIamPolicyRequest(body, SHAPE), { resource, directory });

const rejectionOf = (action: () => unknown): SimulatorApiError => {
  try {
    action();
  } catch (error) {
    if (error instanceof SimulatorApiError) return error;
    throw error;
  }
  throw new Error('expected a SimulatorApiError');
};

describe('iam-policy', () => {
  describe('parsePolicyDirectory', () => {
    it('reads the allowed domains, users and service accounts of the fixture', () => {
      // Act
      const directory = parsePolicyDirectory(loadFixture(defaultFixturePath()), 'IAM');

      // Assess
      expect(directory.allowedMemberDomains).toEqual(['acme.ai']);
      expect(directory.users.size).toBe(12);
      expect(directory.users.has('liam.obrien@acme.ai')).toBe(true);
      expect(directory.serviceAccounts.has('acme-kf-user@acme-ml-prod.iam.gserviceaccount.com')).toBe(true);
    });

    it('fails naming the path of an invalid entry', () => {
      // Prepare
      const fixture = loadFixture(defaultFixturePath()) as { users: Array<{ email: string }> };
      fixture.users[3] = { email: 'not-an-email' };

      // Act
      const parse = () => parsePolicyDirectory(fixture, 'IAP');

      // Assess
      expect(parse).toThrow(/Invalid IAP fixture:[\s\S]*users\[3\]\.email/);
    });
  });

  describe('iamPolicySchema', () => {
    it('refuses a conditional binding in a policy below version 3, at the version path', () => {
      // Act
      const parsed = iamPolicySchema.safeParse({ version: 1, etag: ETAG, bindings: [CONDITIONAL] });

      // Assess
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['version']);
    });

    it('refuses a misspelt field instead of dropping it', () => {
      // Act
      const parsed = iamPolicySchema.safeParse({
        etag: ETAG,
        bindings: [{ role: 'roles/viewer', member: ['x'] }],
      });

      // Assess
      expect(parsed.success).toBe(false);
    });
  });

  describe('newPolicyEtag', () => {
    it('issues 8-byte base64 etags shaped like Google’s, never the previous one', () => {
      // Act
      const etags = Array.from({ length: 50 }, () => newPolicyEtag(ETAG));

      // Assess
      for (const etag of etags) {
        expect(etag).toMatch(/^Bw[A-Za-z0-9+/]{9}=$/);
        expect(Buffer.from(etag, 'base64')).toHaveLength(8);
      }
      expect(new Set(etags).size).toBe(50);
    });
  });

  describe('policyResponse', () => {
    it('answers version 1 for a policy without conditions even when version 3 is asked for', () => {
      // Act
      const response = policyResponse(policy([VIEWER], { version: 3 }), 3);

      // Assess
      expect(response).toEqual({ version: 1, etag: ETAG, bindings: [VIEWER] });
    });

    it('leaves out empty bindings and audit configs, as proto3 JSON does', () => {
      // Act
      const response = policyResponse(emptyPolicy(), 0);

      // Assess
      expect(response).toEqual({ version: 1, etag: EMPTY_POLICY_ETAG });
    });

    it('refuses to show a conditional policy below version 3', () => {
      // Act
      const error = rejectionOf(() => policyResponse(policy([VIEWER, CONDITIONAL]), 0));

      // Assess
      expect(error.status).toBe('INVALID_ARGUMENT');
      expect(error.message).toBe(
        'Requested policy version (1) cannot be less than the existing policy version (3). For more information, please refer to https://cloud.google.com/iam/docs/policies#versions.',
      );
    });

    it('returns a copy the caller may change', () => {
      // Prepare
      const stored = policy([VIEWER]);

      // Act
      const response = policyResponse(stored) as { bindings: PolicyBinding[] };
      response.bindings[0]?.members.push('user:grace.kim@acme.ai');

      // Assess
      expect(stored.bindings[0]?.members).toEqual(['user:dev.patel@acme.ai']);
    });
  });

  describe('requested policy version', () => {
    it.each([
      [undefined, 0],
      ['3', 3],
      [1, 1],
    ])('reads %p as %p', (value, expected) => {
      // Act
      const version = readRequestedPolicyVersion(value, 'options.requestedPolicyVersion');

      // Assess
      expect(version).toBe(expected);
    });

    it('refuses a version other than 0, 1 or 3, and an unknown option', () => {
      // Act
      const two = rejectionOf(() => readGetIamPolicyRequest({ options: { requestedPolicyVersion: 2 } }));
      const unknown = rejectionOf(() => readGetIamPolicyRequest({ options: { version: 3 } }));

      // Assess
      expect(two.status).toBe('INVALID_ARGUMENT');
      expect(unknown.message).toContain('Unknown name "version"');
    });
  });

  describe('readSetIamPolicyRequest', () => {
    it('reads the policy, deduplicating members and taking numeric log types', () => {
      // Act
      const input = readSetIamPolicyRequest(
        {
          policy: {
            version: 3,
            etag: ETAG,
            bindings: [{ role: 'roles/viewer', members: ['user:a@acme.ai', 'user:a@acme.ai'] }],
            auditConfigs: [{ service: 'allServices', auditLogConfigs: [{ logType: 3 }] }],
          },
          updateMask: 'bindings, etag, auditConfigs',
        },
        SHAPE,
      );

      // Assess
      expect(input.policy.bindings).toEqual([{ role: 'roles/viewer', members: ['user:a@acme.ai'] }]);
      expect(input.policy.auditConfigs).toEqual([
        { service: 'allServices', auditLogConfigs: [{ logType: 'DATA_READ' }] },
      ]);
      expect([...input.fields]).toEqual(['bindings', 'etag', 'auditConfigs']);
    });

    it.each([
      ['a missing policy', {}, 'policy is required'],
      ['an unknown policy field', { policy: { members: [] } }, 'Unknown name "members"'],
      ['policy version 2', { policy: { version: 2 } }, 'Invalid policy version 2'],
      ['an etag that is not base64', { policy: { etag: 'not base64!' } }, "'policy.etag'"],
      ['an unknown update mask path', { policy: {}, updateMask: 'version' }, 'update mask path "version"'],
      [
        'a condition without an expression',
        { policy: { bindings: [{ role: 'r', condition: {} }] } },
        'expression',
      ],
    ])('refuses %s with INVALID_ARGUMENT', (_case, body, message) => {
      // Act
      const error = rejectionOf(() => readSetIamPolicyRequest(body, SHAPE));

      // Assess
      expect(error.status).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain(message);
    });

    it('refuses updateMask and auditConfigs where the API has neither (IAP)', () => {
      // Act
      const mask = rejectionOf(() =>
        readSetIamPolicyRequest(
          { policy: {}, updateMask: 'bindings' },
          { updateMask: false, auditConfigs: false },
        ),
      );
      const audit = rejectionOf(() =>
        readSetIamPolicyRequest({ policy: { auditConfigs: [] } }, { updateMask: false, auditConfigs: false }),
      );

      // Assess
      expect(mask.message).toContain('Unknown name "updateMask"');
      expect(audit.message).toContain('Unknown name "auditConfigs"');
    });
  });

  describe('parseMember', () => {
    it.each([
      'user:dev.patel@acme.ai',
      'group:ml-team@acme.ai',
      'serviceAccount:ci-terraform@acme-ml-prod.iam.gserviceaccount.com',
      'serviceAccount:acme-ml-prod.svc.id.goog[kubeflow/default-editor]',
      'domain:acme.ai',
      'allUsers',
      'allAuthenticatedUsers',
      'principal://iam.googleapis.com/locations/global/workforcePools/acme/subject/dev.patel@acme.ai',
      'principal://iam.googleapis.com/projects/734118209551/locations/global/workloadIdentityPools/acme-ml-prod.svc.id.goog/subject/ns/team-nlp/sa/default-editor',
      'principalSet://iam.googleapis.com/locations/global/workforcePools/acme/group/ml',
      'principalSet://iam.googleapis.com/projects/734118209551/locations/global/workloadIdentityPools/p/attribute.repo/acme/ml',
      'principalSet://iam.googleapis.com/projects/734118209551/locations/global/workloadIdentityPools/p/*',
      'deleted:user:old@acme.ai?uid=123456789012345678901',
      'deleted:serviceAccount:gone@acme-ml-prod.iam.gserviceaccount.com?uid=1',
    ])('accepts %s', (member) => {
      // Act
      const parsed = parseMember(member);

      // Assess
      expect(parsed).toBeDefined();
    });

    it.each([
      'dev.patel@acme.ai',
      'user:not-an-email',
      'users:dev.patel@acme.ai',
      'serviceAccount:acme-ml-prod.svc.id.goog[kubeflow]',
      'deleted:user:old@acme.ai',
      'principal://iam.googleapis.com/locations/global/workforcePools/acme',
      'allusers',
    ])('refuses %s', (member) => {
      // Act
      const parsed = parseMember(member);

      // Assess
      expect(parsed).toBeUndefined();
    });
  });

  describe('applyPolicyWrite', () => {
    it('stores the bindings under a new etag', () => {
      // Act
      const written = write(policy([VIEWER]), {
        policy: { etag: ETAG, bindings: [VIEWER, CONDITIONAL], version: 3 },
      });

      // Assess
      expect(written.version).toBe(3);
      expect(written.bindings).toEqual([VIEWER, CONDITIONAL]);
      expect(written.etag).not.toBe(ETAG);
    });

    it('refuses a stale etag with ABORTED, and writes unconditionally without one', () => {
      // Act
      const stale = rejectionOf(() =>
        write(policy([VIEWER]), { policy: { etag: 'BwAAAAAAAAA=', bindings: [] } }),
      );
      const blind = write(policy([VIEWER]), { policy: { bindings: [] } });

      // Assess
      expect(stale.status).toBe('ABORTED');
      expect(stale.httpStatus).toBe(409);
      expect(stale.message).toBe(CONCURRENT_POLICY_CHANGE_MESSAGE);
      expect(stale.toBody().error.errors).toEqual([
        { message: CONCURRENT_POLICY_CHANGE_MESSAGE, domain: 'global', reason: 'aborted' },
      ]);
      expect(blind.bindings).toEqual([]);
    });

    it('needs version 3 to write a condition', () => {
      // Act
      const error = rejectionOf(() =>
        write(policy([VIEWER]), { policy: { version: 1, bindings: [CONDITIONAL] } }),
      );

      // Assess
      expect(error.status).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain('Policy version 1 cannot contain conditional role bindings');
    });

    it('refuses a version-1 write over a conditional policy when an etag is sent, not when it is left out', () => {
      // Prepare
      const conditional = policy([VIEWER, CONDITIONAL]);

      // Act
      const withEtag = rejectionOf(() =>
        write(conditional, { policy: { version: 1, etag: ETAG, bindings: [VIEWER] } }),
      );
      const blind = write(conditional, { policy: { version: 1, bindings: [VIEWER] } });

      // Assess
      expect(withEtag.message).toContain(
        'Specified policy version (1) cannot be less than the existing policy version (3).',
      );
      expect(blind).toMatchObject({ version: 1, bindings: [VIEWER] });
    });

    it.each([
      ['a binding without members', { role: 'roles/viewer', members: [] }, 'at least one principal'],
      ['a malformed role', { role: 'viewer', members: ['user:dev.patel@acme.ai'] }, 'Invalid role "viewer"'],
      [
        'a member without a type',
        { role: 'roles/viewer', members: ['dev.patel@acme.ai'] },
        'is of an unknown type',
      ],
    ])('refuses %s with INVALID_ARGUMENT', (_case, binding, message) => {
      // Act
      const error = rejectionOf(() => write(policy([]), { policy: { bindings: [binding] } }));

      // Assess
      expect(error.status).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain(message);
    });

    it('refuses more than 1,500 members', () => {
      // Prepare
      const members = Array.from(
        { length: 1501 },
        (_, index) => `serviceAccount:sa-${index}@other.iam.gserviceaccount.com`,
      );

      // Act
      const error = rejectionOf(() =>
        write(policy([]), { policy: { bindings: [{ role: 'roles/viewer', members }] } }),
      );

      // Assess
      expect(error.message).toBe(
        'The number of members in the policy (1,501) is larger than the maximum allowed size 1,500.',
      );
    });

    it.each([
      ['project', 'INVALID_ARGUMENT'],
      ['iap', 'FAILED_PRECONDITION'],
      ['serviceAccount', 'FAILED_PRECONDITION'],
    ] as const)('refuses allUsers on a %s with %s', (resource, status) => {
      // Act
      const error = rejectionOf(() =>
        write(
          policy([]),
          { policy: { bindings: [{ role: 'roles/viewer', members: ['allUsers'] }] } },
          resource,
        ),
      );

      // Assess
      expect(error.status).toBe(status);
    });

    it('refuses making a user owner of a project only', () => {
      // Prepare
      const owner = { policy: { bindings: [{ role: 'roles/owner', members: ['user:dev.patel@acme.ai'] }] } };

      // Act
      const onProject = rejectionOf(() => write(policy([]), owner, 'project'));
      const onServiceAccount = write(policy([]), owner, 'serviceAccount');

      // Assess
      expect(onProject.status).toBe('INVALID_ARGUMENT');
      expect(onProject.details).toEqual([
        {
          '@type': 'type.googleapis.com/google.cloudresourcemanager.v1.ProjectIamPolicyError',
          type: 'SOLO_MUST_INVITE_OWNERS',
          member: 'user:dev.patel@acme.ai',
          role: 'roles/owner',
        },
      ]);
      expect(onServiceAccount.bindings[0]?.role).toBe('roles/owner');
    });

    it('keeps an owner the policy already has', () => {
      // Prepare
      const current = policy([{ role: 'roles/owner', members: ['user:dev.patel@acme.ai'] }]);

      // Act
      const written = write(current, { policy: { etag: ETAG, bindings: [...current.bindings, VIEWER] } });

      // Assess
      expect(written.bindings).toHaveLength(2);
    });

    it('applies the domain restriction to new grants only, not to members granted before it', () => {
      // Prepare
      const current = policy([{ role: 'roles/viewer', members: ['user:old@gmail.com'] }]);

      // Act
      const kept = write(current, { policy: { etag: ETAG, bindings: [...current.bindings, VIEWER] } });
      const regranted = rejectionOf(() =>
        write(current, {
          policy: {
            etag: ETAG,
            bindings: [...current.bindings, { role: 'roles/editor', members: ['user:old@gmail.com'] }],
          },
        }),
      );

      // Assess
      expect(kept.bindings).toHaveLength(2);
      expect(regranted.status).toBe('FAILED_PRECONDITION');
      expect(regranted.details).toEqual([
        {
          '@type': 'type.googleapis.com/google.rpc.PreconditionFailure',
          violations: [
            {
              type: 'constraints/iam.allowedPolicyMemberDomains',
              subject: 'user:old@gmail.com',
              description: 'User is not in permitted organization.',
            },
          ],
        },
      ]);
    });

    it.each([
      ['group:ml@partner.com', 'FAILED_PRECONDITION'],
      ['domain:partner.com', 'FAILED_PRECONDITION'],
      ['user:new.hire@acme.ai', 'INVALID_ARGUMENT'],
      ['serviceAccount:ghost@acme-ml-prod.iam.gserviceaccount.com', 'INVALID_ARGUMENT'],
    ])('refuses %s with %s', (member, status) => {
      // Act
      const error = rejectionOf(() =>
        write(policy([]), { policy: { bindings: [{ role: 'roles/viewer', members: [member] }] } }),
      );

      // Assess
      expect(error.status).toBe(status);
    });

    it.each([
      'group:ml-team@acme.ai',
      'domain:acme.ai',
      'serviceAccount:ci-terraform@acme-ml-prod.iam.gserviceaccount.com',
      'serviceAccount:734118209551-compute@developer.gserviceaccount.com',
      'serviceAccount:acme-ml-prod.svc.id.goog[team-nlp/default-editor]',
      'principal://iam.googleapis.com/locations/global/workforcePools/acme/subject/x',
    ])('grants %s', (member) => {
      // Act
      const written = write(policy([]), {
        policy: { bindings: [{ role: 'roles/viewer', members: [member] }] },
      });

      // Assess
      expect(written.bindings[0]?.members).toEqual([member]);
    });

    it('lets anyone be granted when no domain restriction is set', () => {
      // Act
      const written = write(
        policy([]),
        { policy: { bindings: [{ role: 'roles/viewer', members: ['user:eve@gmail.com'] }] } },
        'iap',
        { ...DIRECTORY, allowedMemberDomains: undefined },
      );

      // Assess
      expect(written.bindings[0]?.members).toEqual(['user:eve@gmail.com']);
    });

    it('changes only what the update mask names', () => {
      // Prepare
      const audit = [{ service: 'allServices', auditLogConfigs: [{ logType: 'ADMIN_READ' as const }] }];
      const current = policy([VIEWER], { auditConfigs: audit });

      // Act
      const defaultMask = write(current, { policy: { bindings: [], auditConfigs: [] } });
      const auditOnly = write(current, {
        policy: { bindings: [], auditConfigs: [] },
        updateMask: 'auditConfigs',
      });

      const auditOfConditional = write(policy([VIEWER, CONDITIONAL], { auditConfigs: audit }), {
        policy: { etag: ETAG, auditConfigs: [] },
        updateMask: 'auditConfigs',
      });

      // Assess
      expect(defaultMask).toMatchObject({ bindings: [], auditConfigs: audit });
      expect(auditOnly.bindings).toEqual([VIEWER]);
      expect(auditOnly.auditConfigs).toBeUndefined();
      expect(auditOfConditional).toMatchObject({ version: 3, bindings: [VIEWER, CONDITIONAL] });
    });
  });

  describe('in-process grants', () => {
    const rules = { resource: 'serviceAccount' as const, directory: DIRECTORY };
    const ksa = 'serviceAccount:acme-ml-prod.svc.id.goog[team-nlp/default-editor]';

    it('adds a member to the unconditional binding of the role, with a new etag even when it is there', () => {
      // Prepare
      const current = policy([
        { role: 'roles/iam.workloadIdentityUser', members: ['user:dev.patel@acme.ai'] },
      ]);

      // Act
      const granted = withMemberGranted(current, 'roles/iam.workloadIdentityUser', ksa, rules);
      const again = withMemberGranted(granted, 'roles/iam.workloadIdentityUser', ksa, rules);

      // Assess
      expect(granted.bindings).toEqual([
        { role: 'roles/iam.workloadIdentityUser', members: ['user:dev.patel@acme.ai', ksa] },
      ]);
      expect(again.bindings).toEqual(granted.bindings);
      expect(again.etag).not.toBe(granted.etag);
    });

    it('creates the binding when the role has none, and checks the member as any write', () => {
      // Act
      const granted = withMemberGranted(emptyPolicy(), 'roles/iam.workloadIdentityUser', ksa, rules);
      const outsider = rejectionOf(() =>
        withMemberGranted(emptyPolicy(), 'roles/iam.workloadIdentityUser', 'user:eve@gmail.com', rules),
      );

      // Assess
      expect(granted.bindings).toEqual([{ role: 'roles/iam.workloadIdentityUser', members: [ksa] }]);
      expect(outsider.status).toBe('FAILED_PRECONDITION');
    });

    it('revokes by dropping the member and any binding left empty, and changes nothing for an absent member', () => {
      // Prepare
      const current = policy([{ role: 'roles/iam.workloadIdentityUser', members: [ksa] }, VIEWER]);

      // Act
      const revoked = withMemberRevoked(current, 'roles/iam.workloadIdentityUser', ksa, rules);
      const unchanged = withMemberRevoked(revoked, 'roles/iam.workloadIdentityUser', ksa, rules);

      // Assess
      expect(revoked.bindings).toEqual([VIEWER]);
      expect(revoked.etag).not.toBe(ETAG);
      expect(unchanged).toBe(revoked);
    });
  });
});
