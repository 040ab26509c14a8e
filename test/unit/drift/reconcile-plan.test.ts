import { type DriftFinding, fixWith, planReconcile } from '../../../shared/drift';

/** The commands reconcile would submit for enforced findings. */

const finding = (parts: Partial<DriftFinding> & Pick<DriftFinding, 'resource' | 'kind'>): DriftFinding => ({
  severity: 'medium',
  desired: null,
  actual: null,
  message: `${parts.kind} on ${parts.resource}`,
  mode: 'enforce',
  ...parts,
});

const SA = 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com';

describe('planReconcile', () => {
  it('submits one command per distinct fix of enforced findings, in a safe order', () => {
    // Prepare
    const findings = [
      finding({
        resource: `keys/${SA}`,
        kind: 'key-age',
        fix: fixWith('keys.rotate', { serviceAccount: SA }),
      }),
      finding({
        resource: `keys/${SA}`,
        kind: 'multiple-active-keys',
        fix: fixWith('keys.rotate', { serviceAccount: SA }),
      }),
      finding({
        resource: 'filestore/home',
        kind: 'retention',
        fix: fixWith('filestore.backups.prune', { instance: 'home' }),
      }),
      finding({
        resource: 'filestore/home',
        kind: 'backup-stale',
        fix: fixWith('filestore.backup', { instance: 'home' }),
      }),
      finding({
        resource: 'user/ex@acme.ai',
        kind: 'unmanaged-access',
        fix: fixWith('user.remove', { email: 'ex@acme.ai' }),
      }),
    ];
    // Act
    const plan = planReconcile({ findings });
    // Assert
    expect(plan.commands.map((command) => command.cli)).toEqual([
      'opsplane user remove ex@acme.ai',
      'opsplane filestore backup home',
      'opsplane filestore prune home',
      `opsplane keys rotate ${SA}`,
    ]);
    expect(plan.commands[3]?.fixes).toEqual([`keys/${SA}:key-age`, `keys/${SA}:multiple-active-keys`]);
    expect(plan).toMatchObject({ manual: [], observed: 0 });
  });

  it('leaves observed findings alone and lists enforced ones no command fixes', () => {
    // Prepare
    const findings = [
      finding({ resource: 'sql/pg', kind: 'deletion-protection' }),
      finding({
        resource: 'gpu-pool/gpu',
        kind: 'autoscaling-bounds',
        mode: 'observe',
        fix: fixWith('gpu.autoscaling.set', { pool: 'gpu', min: 0, max: 2 }),
      }),
    ];
    // Act
    const plan = planReconcile({ findings });
    // Assert
    expect(plan.commands).toEqual([]);
    expect(plan.manual).toEqual([
      { resource: 'sql/pg', kind: 'deletion-protection', message: 'deletion-protection on sql/pg' },
    ]);
    expect(plan.observed).toBe(1);
  });

  it('does not re-add a person whose removal it plans', () => {
    // Prepare
    const email = 'ex@acme.ai';
    const findings = [
      finding({
        resource: `user/${email}`,
        kind: 'project-grants',
        fix: fixWith('user.add', { email, role: 'analyst', profile: false }),
      }),
      finding({ resource: `user/${email}`, kind: 'expired-access', fix: fixWith('user.remove', { email }) }),
    ];
    // Act
    const plan = planReconcile({ findings });
    // Assert
    expect(plan.commands.map((command) => command.type)).toEqual(['user.remove']);
  });
});
