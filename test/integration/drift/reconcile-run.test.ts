import type { RunningSimulator } from '../../../local/simulator/simulator';
import type { CommandEnvelope } from '../../../shared/commands';
import type { ReconcileMode } from '../../../shared/desired-state';
import type { IamPolicy } from '../../../shared/gcp';
import type { OperationRecord } from '../../../shared/ledger';
import type { PlatformApis } from '../../../shared/operations';
import { resumeCommandOf } from '../../../shared/runtime/operation-resumer';
import { ManualClock } from '../../../shared/time';
import { makeDelivery } from '../../helpers/factories';
import { resourceManagerV3ClientFor } from '../../helpers/iam-clients';
import { platformApisFor } from '../../helpers/platform-apis';
import { makeProcessorHarness } from '../../helpers/processor-harness';
import { startFixtureSimulator } from '../../helpers/simulator';

/**
 * `reconcile.run` through the command processor against the simulator seeded from the fixture: a
 * binding added behind opsplane's back (straight through the Resource Manager client library) is
 * drift on the next reconcile; with the project policy in `enforce` mode, `apply` submits one
 * `iam.bindings.reconcile` that removes it (after approval: the same write takes the seeded
 * roles/editor from james.okafor and the departed liam.obrien); in `observe` mode it is only
 * reported, `paused` leaves it out; a redelivered reconcile submits nothing twice.
 */

const NOW = '2025-06-02T09:00:00Z';
const PROJECT = 'acme-ml-prod';
const POLICY_RESOURCE = `project-iam/${PROJECT}`;
const INTRUDER = 'user:tomas.silva@acme.ai'; // a data-scientist: roles/container.developer is not his
const SMUGGLED_ROLE = 'roles/container.developer';
const APPROVER = 'user:maria.chen@acme.ai';
const RECONCILE_KEY = 'reconcile@2025-06-02T09:00:00.000Z';

/** Who holds `role` in the policy. */
const holders = (policy: IamPolicy, role: string): string[] =>
  policy.bindings.filter((binding) => binding.role === role).flatMap((binding) => binding.members);

/** The service-account members of a policy, by role: what reconcile must never touch. */
const serviceAccountGrants = (policy: IamPolicy): string[] =>
  policy.bindings
    .flatMap((binding) =>
      binding.members
        .filter((member) => member.startsWith('serviceAccount:'))
        .map((m) => `${binding.role} ${m}`),
    )
    .sort();

describe('reconcile.run against the fixture simulator', () => {
  let simulator: RunningSimulator;
  let clock: ManualClock;
  let apis: PlatformApis;

  const projectPolicy = () => apis.iam.getPolicy({ kind: 'project', projectId: PROJECT });

  /** Grants a role the way someone in the console would: a read-modify-write with the client library. */
  const grantBehindOpsplanesBack = async (member: string, role: string): Promise<void> => {
    const crm = resourceManagerV3ClientFor(String(simulator.endpoints.cloudresourcemanager));
    const resource = `projects/${PROJECT}`;
    const { data: policy } = await crm.projects.getIamPolicy({
      resource,
      requestBody: { options: { requestedPolicyVersion: 3 } },
    });
    await crm.projects.setIamPolicy({
      resource,
      requestBody: {
        policy: { ...policy, bindings: [...(policy.bindings ?? []), { role, members: [member] }] },
      },
    });
  };

  /** A processor over in-memory stores and the simulator, with the project policy in `mode`. */
  const harnessWith = async (mode: ReconcileMode) => {
    const harness = await makeProcessorHarness({}, { clock, apis });
    await harness.desiredState.updatePlatform((platform) => ({
      ...platform,
      reconcile: { defaultMode: 'observe', resources: { [POLICY_RESOURCE]: mode } },
    }));
    const send = async (command: CommandEnvelope, messageId?: string) =>
      harness.processor.process(makeDelivery(command, messageId ? { messageId } : {}));
    const reconcile = (messageId?: string) =>
      send(
        {
          type: 'reconcile.run',
          args: { apply: true },
          actor: 'schedule:reconcile',
          reason: 'scheduled reconcile',
          dryRun: false,
          idempotencyKey: RECONCILE_KEY,
        },
        messageId,
      );
    const record = async (id: string): Promise<OperationRecord> => {
      const found = await harness.ledger.get(id);
      if (!found) throw new Error(`no operation ${id} in the ledger`);
      return found;
    };
    return { ...harness, send, reconcile, record };
  };

  beforeAll(async () => {
    clock = new ManualClock(NOW);
    simulator = await startFixtureSimulator({ timeScale: 0, clock });
    apis = platformApisFor(simulator, clock);
  });

  beforeEach(() => {
    simulator.reset();
  });

  afterAll(async () => {
    await simulator?.close();
  });

  it('in enforce mode submits one iam.bindings.reconcile that removes the binding, after approval', async () => {
    // Prepare
    const harness = await harnessWith('enforce');
    await grantBehindOpsplanesBack(INTRUDER, SMUGGLED_ROLE);
    const before = await projectPolicy();
    simulator.requestLog.clear();
    // Act: the reconcile submits its fix; the fix runs on the command path, waits for approval
    // (it takes roles/editor from humans), is approved, and resumes.
    await harness.reconcile();
    const submitted = harness.submitter.submitted;
    for (const command of submitted) await harness.send(command);
    const waiting = await harness.record(`${RECONCILE_KEY}-1`);
    await harness.send({
      type: 'approval.grant',
      args: { operationId: waiting.id },
      actor: APPROVER,
      reason: 'reconcile the project policy',
      dryRun: false,
    });
    for (const resumed of harness.resumer.resumed) await harness.send(resumeCommandOf(resumed));
    // Assert: the reconcile succeeded and names the command it submitted.
    const reconcile = await harness.record(RECONCILE_KEY);
    expect({ status: reconcile.status, error: reconcile.error?.message }).toEqual({ status: 'succeeded' });
    expect(reconcile.result?.submitted).toEqual([
      expect.objectContaining({ operationId: `${RECONCILE_KEY}-1`, type: 'iam.bindings.reconcile' }),
    ]);
    expect(submitted).toEqual([
      expect.objectContaining({
        type: 'iam.bindings.reconcile',
        actor: 'schedule:reconcile',
        idempotencyKey: `${RECONCILE_KEY}-1`,
        reason: expect.stringMatching(
          new RegExp(`^reconcile ${RECONCILE_KEY}: ${POLICY_RESOURCE}:unmanaged-bindings`),
        ),
        args: expect.objectContaining({ policy: 'project', members: expect.arrayContaining([INTRUDER]) }),
      }),
    ]);
    // ...the fix asked for approval, then removed the binding in one policy write.
    const fix = await harness.record(`${RECONCILE_KEY}-1`);
    expect(waiting.status).toBe('pending_approval');
    expect(waiting.approval?.reason).toMatch(/roles\/editor from user:james\.okafor@acme\.ai/);
    expect({ status: fix.status, error: fix.error?.message }).toEqual({ status: 'succeeded' });
    const after = await projectPolicy();
    expect(holders(before, SMUGGLED_ROLE)).toContain(INTRUDER);
    expect(holders(after, SMUGGLED_ROLE)).not.toContain(INTRUDER);
    expect(holders(after, 'roles/editor').filter((member) => member.startsWith('user:'))).toEqual([]);
    expect(serviceAccountGrants(after)).toEqual(serviceAccountGrants(before));
    expect(holders(after, SMUGGLED_ROLE)).toEqual(expect.arrayContaining(['user:james.okafor@acme.ai']));
    const writes = simulator.requestLog.entries().filter((entry) => /setIamPolicy/i.test(entry.route ?? ''));
    expect(writes).toHaveLength(1);
    // ...and the ledger shows both operations.
    const types = (await harness.ledger.list({ limit: 50 })).map((record) => record.type).sort();
    expect(types).toEqual(['approval.grant', 'iam.bindings.reconcile', 'reconcile.run']);
  });

  it('in observe mode only reports the binding; the policy is unchanged and nothing is submitted', async () => {
    // Prepare
    const harness = await harnessWith('observe');
    await grantBehindOpsplanesBack(INTRUDER, SMUGGLED_ROLE);
    const before = await projectPolicy();
    // Act
    await harness.reconcile();
    // Assert
    const reconcile = await harness.record(RECONCILE_KEY);
    expect(reconcile.status).toBe('succeeded');
    expect(harness.submitter.submitted).toEqual([]);
    expect(reconcile.result?.submitted).toEqual([]);
    const observed = reconcile.result?.observed as Array<{ resource: string; kind: string; fix?: string }>;
    expect(observed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ resource: POLICY_RESOURCE, kind: 'unmanaged-bindings' }),
        expect.objectContaining({ resource: 'user/tomas.silva@acme.ai', kind: 'unexpected-grant' }),
      ]),
    );
    expect(await projectPolicy()).toEqual(before);
  });

  it('in paused mode leaves the policy out of the report, and unchanged', async () => {
    // Prepare
    const harness = await harnessWith('paused');
    await grantBehindOpsplanesBack(INTRUDER, SMUGGLED_ROLE);
    const before = await projectPolicy();
    // Act
    await harness.reconcile();
    // Assert
    const reconcile = await harness.record(RECONCILE_KEY);
    expect(reconcile.status).toBe('succeeded');
    const observed = reconcile.result?.observed as Array<{ resource: string }>;
    expect(observed.length).toBeGreaterThan(0);
    expect(observed.filter((finding) => finding.resource === POLICY_RESOURCE)).toEqual([]);
    expect(harness.submitter.submitted).toEqual([]);
    expect(await projectPolicy()).toEqual(before);
  });

  it('submits nothing twice when a reconcile is redelivered after dying between publish and record', async () => {
    // Prepare: the first publish "dies" after the message went out, before the step is recorded.
    const harness = await harnessWith('enforce');
    await grantBehindOpsplanesBack(INTRUDER, SMUGGLED_ROLE);
    harness.submitter.failAfterPublishNext = 1;
    // Act: the delivery fails (retryable), Pub/Sub redelivers the same message, then once more after success.
    const first = await harness.reconcile('reconcile-message-1');
    const second = await harness.reconcile('reconcile-message-1');
    const third = await harness.reconcile('reconcile-message-1');
    for (const command of harness.submitter.submitted) await harness.send(command);
    // Assert
    expect(first.ack).toBe(false);
    expect(second).toMatchObject({ ack: true, status: 'succeeded', duplicate: false });
    expect(third).toMatchObject({ ack: true, duplicate: true });
    // The same idempotency key both times: one fix operation in the ledger.
    expect(harness.submitter.submitted.map((command) => command.idempotencyKey)).toEqual([
      `${RECONCILE_KEY}-1`,
      `${RECONCILE_KEY}-1`,
    ]);
    const fixes = (await harness.ledger.list({ limit: 50 })).filter(
      (record) => record.type === 'iam.bindings.reconcile',
    );
    expect(fixes.map((record) => record.id)).toEqual([`${RECONCILE_KEY}-1`]);
    expect((await harness.record(RECONCILE_KEY)).steps?.['submit-1']).toEqual({
      operationId: `${RECONCILE_KEY}-1`,
      type: 'iam.bindings.reconcile',
    });
  });
});
