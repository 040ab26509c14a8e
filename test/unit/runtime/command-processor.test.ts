import { ResourceBusyError } from '../../../shared/errors';
import { makeCommand, makeDelivery } from '../../helpers/factories';
import { makeProcessorHarness } from '../../helpers/processor-harness';

describe('createCommandProcessor', () => {
  describe('process', () => {
    it('scales the pool, records the operation succeeded and publishes the outcome', async () => {
      // Prepare
      const h = await makeProcessorHarness();
      // Act
      const outcome = await h.processor.process(makeDelivery(makeCommand({ idempotencyKey: 'k1' })));
      // Assess
      expect(outcome).toEqual({ ack: true, operationId: 'k1', status: 'succeeded', duplicate: false });
      expect(h.gke.pools.get('gpu-a100-pool')?.sizeByZone).toEqual({
        'us-central1-a': 2,
        'us-central1-c': 2,
      });
      const record = await h.ledger.get('k1');
      expect(record).toMatchObject({
        status: 'succeeded',
        actor: 'user:maria.chen@acme.ai',
        reason: 'training run for the quarterly model',
        attempts: 1,
        result: { totalNodes: 4 },
        resultPublished: true,
      });
      expect(record?.googleOperations).toHaveLength(1);
      expect(record?.plan?.summary).toMatch(/2 → 4 nodes/);
      expect(h.results.published.map((r) => r.status)).toEqual(['succeeded']);
      expect(await h.leases.get(String(record?.resource))).toBeUndefined();
    });

    it('keys the operation by message id when the publisher gives no idempotency key', async () => {
      const h = await makeProcessorHarness();
      const delivery = makeDelivery(makeCommand());
      const outcome = await h.processor.process(delivery);
      expect(outcome.operationId).toBe(delivery.messageId);
    });

    it('changes the pool once when the same message is delivered twice', async () => {
      const h = await makeProcessorHarness();
      const delivery = makeDelivery(makeCommand());
      await h.processor.process(delivery);
      const second = await h.processor.process(delivery);
      expect(second).toMatchObject({ ack: true, duplicate: true, status: 'succeeded' });
      expect(h.gke.mutations('setNodePoolSize')).toBe(1);
      expect(h.results.published).toHaveLength(1);
    });

    it('changes the pool once when two messages carry the same idempotency key, even concurrently', async () => {
      const h = await makeProcessorHarness();
      const body = makeCommand({ idempotencyKey: 'same' });
      const outcomes = await Promise.all([
        h.processor.process(makeDelivery(body)),
        h.processor.process(makeDelivery(body)),
      ]);
      expect(outcomes.every((o) => o.ack)).toBe(true);
      expect(outcomes.filter((o) => o.ack && o.duplicate)).toHaveLength(1);
      expect(h.gke.mutations('setNodePoolSize')).toBe(1);
      expect((await h.ledger.get('same'))?.messageIds).toHaveLength(1);
    });

    it.each([
      ['not JSON', '{nodes: 2', 'data'],
      ['an unknown type', makeCommand({ type: 'gpu.explode' }), 'type'],
      ['nodes: -1', makeCommand({ args: { nodes: -1 } }), 'args.nodes'],
      ['nodes: "two"', makeCommand({ args: { nodes: 'two' } }), 'args.nodes'],
    ])(
      'acknowledges %s, records it rejected naming the field, reports it and changes nothing',
      async (_c, body, field) => {
        // Prepare
        const h = await makeProcessorHarness();
        const delivery = makeDelivery(body);
        // Act
        const outcome = await h.processor.process(delivery);
        // Assess
        expect(outcome).toMatchObject({ ack: true, status: 'rejected', operationId: delivery.messageId });
        const record = await h.ledger.get(delivery.messageId);
        expect(record?.error).toMatchObject({ code: 'INVALID_COMMAND', field, retryable: false });
        expect(h.results.published.map((r) => r.error?.field)).toEqual([field]);
        expect(h.gke.calls).toEqual([]);
      },
    );

    it('records a rejection under the publisher key so a waiting publisher finds it', async () => {
      const h = await makeProcessorHarness();
      await h.processor.process(makeDelivery(makeCommand({ idempotencyKey: 'cli-1', args: { nodes: -1 } })));
      expect((await h.ledger.get('cli-1'))?.status).toBe('rejected');
    });

    it('rejects a plan that breaks the pool policy without touching the pool', async () => {
      const h = await makeProcessorHarness();
      const outcome = await h.processor.process(
        makeDelivery(makeCommand({ idempotencyKey: 'big', args: { nodes: 9 } })),
      );
      expect(outcome).toMatchObject({ ack: true, status: 'rejected' });
      expect((await h.ledger.get('big'))?.error?.code).toBe('POLICY_VIOLATION');
      expect(h.gke.mutations('setNodePoolSize')).toBe(0);
    });

    it('returns the plan for a dry run and changes nothing', async () => {
      const h = await makeProcessorHarness();
      const outcome = await h.processor.process(
        makeDelivery(makeCommand({ idempotencyKey: 'dry', dryRun: true })),
      );
      expect(outcome).toMatchObject({ ack: true, status: 'succeeded' });
      const record = await h.ledger.get('dry');
      expect(record?.result).toEqual({
        dryRun: true,
        diff: expect.stringContaining('us-central1-c nodes: 0 → 2'),
      });
      expect(h.gke.mutations('setNodePoolSize')).toBe(0);
    });

    it('retries a GKE conflict instead of failing, then succeeds on redelivery', async () => {
      // Prepare
      const h = await makeProcessorHarness();
      h.gke.failures.set('setNodePoolSize', [
        new ResourceBusyError('Cluster is running incompatible operation operation-9.'),
      ]);
      const delivery = makeDelivery(makeCommand({ idempotencyKey: 'busy' }));
      // Act
      const first = await h.processor.process(delivery);
      const second = await h.processor.process(delivery);
      // Assess
      expect(first).toMatchObject({ ack: false, error: { code: 'RESOURCE_BUSY' } });
      expect(second).toMatchObject({ ack: true, status: 'succeeded' });
      expect((await h.ledger.get('busy'))?.attempts).toBe(2);
      expect(h.results.published.map((r) => r.status)).toEqual(['succeeded']);
    });

    it('parks an operation that outlives the invocation, then resumes polling it instead of starting another', async () => {
      // Prepare: the operation needs more polls than one invocation's deadline allows.
      const h = await makeProcessorHarness({ polling: { intervalMs: 1000, deadlineMs: 2000 } });
      h.gke.pollsToDone = 5;
      const delivery = makeDelivery(makeCommand({ idempotencyKey: 'slow' }));
      // Act
      const first = await h.processor.process(delivery);
      const parked = await h.ledger.get('slow');
      const second = await h.processor.process(delivery);
      // Assess
      expect(first).toMatchObject({ ack: true, status: 'running' });
      expect(parked?.waiting).toMatchObject({ reason: expect.stringContaining('still running') });
      expect(parked?.claim).toBeUndefined();
      expect(second).toMatchObject({ ack: true, status: 'succeeded' });
      expect(h.gke.mutations('setNodePoolSize')).toBe(1);
      expect((await h.ledger.get('slow'))?.attempts).toBe(1);
    });

    it('gives up after the maximum attempts and records the failure', async () => {
      const h = await makeProcessorHarness({ maxAttempts: 2 });
      const busy = () => new ResourceBusyError('Cluster is running incompatible operation operation-9.');
      h.gke.failures.set('setNodePoolSize', [busy(), busy(), busy()]);
      const delivery = makeDelivery(makeCommand({ idempotencyKey: 'stuck' }));
      const outcomes = [await h.processor.process(delivery), await h.processor.process(delivery)];
      expect(outcomes.map((o) => o.ack)).toEqual([false, true]);
      expect(await h.ledger.get('stuck')).toMatchObject({
        status: 'failed',
        error: { code: 'RESOURCE_BUSY', message: expect.stringContaining('gave up after 2 attempts') },
      });
    });

    it('serializes two commands on the same pool through the lease', async () => {
      // Prepare: the first command parks mid-apply (operation still running), keeping the lease.
      const h = await makeProcessorHarness({ polling: { intervalMs: 1000, deadlineMs: 1000 } });
      h.gke.pollsToDone = 3;
      const first = makeDelivery(makeCommand({ idempotencyKey: 'first' }));
      const second = makeDelivery(makeCommand({ idempotencyKey: 'second', args: { nodes: 1 } }));
      // Act
      const a1 = await h.processor.process(first);
      h.gke.pollsToDone = 1;
      const b1 = await h.processor.process(second);
      const a2 = await h.processor.process(first);
      const b2 = await h.processor.process(second);
      // Assess
      expect(a1).toMatchObject({ ack: true, status: 'running' });
      expect(b1).toMatchObject({ ack: false, error: { code: 'LEASE_HELD' } });
      expect(a2).toMatchObject({ ack: true, status: 'succeeded' });
      expect(b2).toMatchObject({ ack: true, status: 'succeeded' });
      expect(h.gke.calls.filter((c) => c === 'setNodePoolSize')).toHaveLength(2);
      expect(h.gke.pools.get('gpu-a100-pool')?.sizeByZone).toEqual({
        'us-central1-a': 1,
        'us-central1-c': 1,
      });
    });

    it('publishes again on redelivery when publishing the outcome failed', async () => {
      const h = await makeProcessorHarness();
      h.results.failNext = 1;
      const delivery = makeDelivery(makeCommand({ idempotencyKey: 'pub' }));
      const first = await h.processor.process(delivery);
      expect(first).toMatchObject({ ack: false, error: { code: 'INTERNAL', message: 'pubsub unavailable' } });
      expect((await h.ledger.get('pub'))?.status).toBe('succeeded');
      const again = await h.processor.process(delivery);
      expect(again).toMatchObject({ ack: true, duplicate: true });
      expect(h.results.published.map((r) => r.id)).toEqual(['pub']);
      expect(h.gke.mutations('setNodePoolSize')).toBe(1);
    });

    it('sets autoscaling bounds and records them in desired state', async () => {
      const h = await makeProcessorHarness();
      const outcome = await h.processor.process(
        makeDelivery(
          makeCommand({ type: 'gpu.autoscaling.set', args: { min: 1, max: 4 }, idempotencyKey: 'as' }),
        ),
      );
      expect(outcome).toMatchObject({ ack: true, status: 'succeeded' });
      expect(h.gke.pools.get('gpu-a100-pool')?.autoscaling).toMatchObject({
        minNodeCount: 1,
        maxNodeCount: 4,
      });
      expect((await h.desiredState.getPlatform()).gpuPools['gpu-a100-pool']?.autoscaling).toEqual({
        enabled: true,
        minNodeCount: 1,
        maxNodeCount: 4,
      });
    });
  });
});
