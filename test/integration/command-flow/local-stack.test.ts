import { randomUUID } from 'node:crypto';
import type { Message, Subscription } from '@google-cloud/pubsub';
import type { RequestLogEntry } from '../../../local/simulator';
import { type RunningLocalStack, startLocalStack } from '../../../local/stack';
import { OperationLedger, type OperationRecord } from '../../../shared/ledger';
import { FirestoreDocumentStore } from '../../../shared/store';
import { firestoreForTest, uniqueProjectId } from '../../helpers/emulators';
import { loadFixture, makeCommand } from '../../helpers/factories';
import { computeClientFor, gkeClientFor } from '../../helpers/simulator';

/**
 * The whole command path on the local stack: the real Pub/Sub and Firestore emulators, the
 * Functions Framework serving opsCommand behind a push subscription, and the platform simulator
 * read back through the official clients.
 */

const POOL = 'projects/acme-ml-prod/locations/us-central1/clusters/acme-ml-gke/nodePools/gpu-a100-pool';
const SYSTEM_POOL = 'projects/acme-ml-prod/locations/us-central1/clusters/acme-ml-gke/nodePools/system-pool';

let stack: RunningLocalStack;
let ledger: OperationLedger;
let results: Subscription;
const received: Array<Record<string, unknown>> = [];
const projectId = uniqueProjectId('e2e');
const firestore = firestoreForTest(projectId);

const waitFor = async <T>(
  what: string,
  read: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};
const finished = (id: string, timeoutMs?: number) =>
  waitFor(
    `operation ${id}`,
    async () => {
      const record = await ledger.get(id);
      return record && ['succeeded', 'failed', 'rejected'].includes(record.status) ? record : undefined;
    },
    timeoutMs,
  );
const publish = (body: unknown) =>
  stack.pubsub
    .topic('ops-commands')
    .publishMessage(typeof body === 'string' ? { data: Buffer.from(body) } : { json: body });
const setSizeCalls = () =>
  stack.simulator.requestLog.entries().filter((e: RequestLogEntry) => e.route === 'nodePools.setSize');
const pushBody = (messageId: string, body: unknown) => ({
  subscription: `projects/${stack.info.projectId}/subscriptions/ops-commands-push`,
  message: {
    data: Buffer.from(JSON.stringify(body)).toString('base64'),
    attributes: {},
    messageId,
    message_id: messageId,
    publishTime: new Date().toISOString(),
  },
});
const postPush = (body: unknown) =>
  fetch(`${stack.info.functions.opsCommand}/projects/${stack.info.projectId}/topics/ops-commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  stack = await startLocalStack({
    projectId,
    fixture: loadFixture(),
    emulators: {
      firestoreHost: process.env.FIRESTORE_EMULATOR_HOST ?? '',
      pubsubHost: process.env.PUBSUB_EMULATOR_HOST ?? '',
    },
    timeScale: 0,
    functionEnv: { LOG_LEVEL: 'ERROR', OPSPLANE_POLL_INTERVAL_MS: '100' },
  });
  ledger = new OperationLedger(new FirestoreDocumentStore<OperationRecord>(firestore, 'operations'));
  results = stack.pubsub.subscription('ops-results-keep');
  results.on('message', (message: Message) => {
    received.push(JSON.parse(message.data.toString()) as Record<string, unknown>);
    message.ack();
  });
});

afterAll(async () => {
  await results?.close();
  await stack?.stop();
  await firestore.terminate();
});

beforeEach(() => {
  stack.simulator.reset();
  stack.simulator.requestLog.clear();
});

describe('the command path on the local stack', () => {
  it('scales the GPU pool end to end and reports the outcome', async () => {
    // Act
    const key = `e2e-${randomUUID()}`;
    await publish(makeCommand({ idempotencyKey: key, args: { nodes: 2 } }));
    const record = await finished(key);
    // Assess: the ledger
    expect(record).toMatchObject({
      status: 'succeeded',
      actor: 'user:maria.chen@acme.ai',
      reason: 'training run for the quarterly model',
      result: { nodesPerZone: 2, totalNodes: 4 },
    });
    // Assess: the platform, read back through the official clients
    const [pool] = await gkeClientFor(stack.simulator.endpoints.container).getNodePool({ name: POOL });
    const compute = computeClientFor(stack.simulator.endpoints.compute);
    const sizes = await Promise.all(
      (pool.instanceGroupUrls ?? []).map(async (url) => {
        const [, zone, name] = /zones\/([^/]+)\/instanceGroupManagers\/([^/]+)/.exec(url) ?? [];
        const { data } = await compute.instanceGroupManagers.get({
          project: 'acme-ml-prod',
          zone,
          instanceGroupManager: name,
        });
        return data.targetSize;
      }),
    );
    expect(sizes).toEqual([2, 2]);
    const [op] = await gkeClientFor(stack.simulator.endpoints.container).getOperation({
      name: record.googleOperations[0]?.pollPath ?? '',
    });
    expect(op.status).toBe('DONE');
    // Assess: reported on ops-results
    const message = await waitFor('the result message', async () =>
      received.find((m) => m.operationId === key),
    );
    expect(message).toMatchObject({
      status: 'succeeded',
      type: 'gpu.scale',
      actor: 'user:maria.chen@acme.ai',
    });
  });

  it('changes the pool once when a command is published twice with the same idempotency key', async () => {
    // Prepare
    const key = `twice-${randomUUID()}`;
    const body = makeCommand({ idempotencyKey: key, args: { nodes: 1 } });
    // Act
    await Promise.all([publish(body), publish(body)]);
    const record = await finished(key);
    await waitFor('both deliveries handled', async () =>
      received.filter((m) => m.operationId === key).length >= 1 ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Assess
    expect(record.status).toBe('succeeded');
    expect(setSizeCalls().filter((e) => e.status === 200)).toHaveLength(1);
    expect(received.filter((m) => m.operationId === key)).toHaveLength(1);
  });

  it('changes the pool once when the same Pub/Sub message is delivered twice, at once and again later', async () => {
    // Prepare: a push body as the emulator sends it, redelivered with the same message id.
    const messageId = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    const body = pushBody(messageId, makeCommand({ args: { nodes: 3 } }));
    // Act
    const concurrent = await Promise.all([postPush(body), postPush(body)]);
    const record = await finished(messageId);
    const later = await postPush(body);
    // Assess
    expect(concurrent.map((r) => r.status)).toEqual([204, 204]);
    expect(later.status).toBe(204);
    expect(record.status).toBe('succeeded');
    expect(setSizeCalls().filter((e) => e.status === 200)).toHaveLength(1);
  });

  it.each([
    ['not JSON', '{"type": "gpu.scale", nodes', 'data'],
    ['an unknown type', makeCommand({ type: 'gpu.teleport' }), 'type'],
    ['nodes: -1', makeCommand({ args: { nodes: -1 } }), 'args.nodes'],
    ['nodes: "two"', makeCommand({ args: { nodes: 'two' } }), 'args.nodes'],
  ])(
    'acknowledges a malformed message (%s), records it rejected naming the field, reports it, changes nothing',
    async (_c, body, field) => {
      // Act: through Pub/Sub
      const messageId = await publish(body);
      const record = await finished(messageId);
      const report = await waitFor('the rejection report', async () =>
        received.find((m) => m.operationId === messageId),
      );
      // Act: the same body pushed directly, to see the function's answer (2xx = acknowledged)
      const direct = await postPush(pushBody(`direct-${messageId}`, typeof body === 'string' ? body : body));
      // Assess
      expect(record).toMatchObject({ status: 'rejected', error: { code: 'INVALID_COMMAND', field } });
      expect(report).toMatchObject({ status: 'rejected', error: { field } });
      expect(direct.status).toBe(204);
      expect(stack.simulator.requestLog.entries().filter((e: RequestLogEntry) => e.method !== 'GET')).toEqual(
        [],
      );
      expect(record.attempts).toBe(1);
    },
  );

  it('never runs two scale commands on the same pool at the same time', async () => {
    // Prepare: GKE operations take a while, so the two commands would overlap without the lease.
    const keys = [`c1-${randomUUID()}`, `c2-${randomUUID()}`];
    await withTimeScale(0.01, async () => {
      // Act
      await Promise.all([
        publish(makeCommand({ idempotencyKey: keys[0], args: { nodes: 1 } })),
        publish(makeCommand({ idempotencyKey: keys[1], args: { nodes: 3 } })),
      ]);
      const records = await Promise.all(keys.map((k) => finished(k, 90_000)));
      // Assess
      expect(records.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
      const mutations = setSizeCalls();
      expect(mutations.filter((e) => e.status === 200)).toHaveLength(2);
      expect(mutations.filter((e) => e.status !== 200)).toEqual([]); // the lease kept GKE from ever refusing one
      const [first, second] = records.sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? ''));
      const secondStarted = second?.googleOperations[0]?.startedAt ?? '';
      expect(secondStarted >= (first?.finishedAt ?? '~')).toBe(true);
    });
  });

  it('converges with 20% of GKE reads and resizes failing with 503', async () => {
    // Prepare: seeded, so the same requests fail on every run.
    stack.simulator.faults.inject({ route: 'nodePools.get', rate: 0.2, status: 503, seed: 11 });
    stack.simulator.faults.inject({ route: 'nodePools.setSize', rate: 0.2, status: 503, seed: 5 });
    const keys = [1, 2, 3, 4].map((n) => `flaky-${n}-${randomUUID()}`);
    try {
      // Act: several resizes one after another, so a good number of requests meet the faults.
      const records: OperationRecord[] = [];
      for (const [index, key] of keys.entries()) {
        await publish(makeCommand({ idempotencyKey: key, args: { nodes: (index % 3) + 1 } }));
        records.push(await finished(key, 90_000));
      }
      // Assess
      expect(records.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
      const injected = stack.simulator.requestLog.entries().filter((e: RequestLogEntry) => e.status === 503);
      expect(injected.length).toBeGreaterThan(0);
      const sizes = stack.simulator.state.compute.instanceGroupManagers
        .filter((igm) => igm.name.includes('gpu-a100-pool'))
        .map((igm) => igm.targetSize);
      expect(sizes).toEqual([1, 1]); // the last command asked for (3 % 3) + 1 = 1 per zone
    } finally {
      stack.simulator.faults.clear();
    }
  });

  it('retries a GKE conflict and succeeds once the other operation is done', async () => {
    await withTimeScale(0.01, async () => {
      // Prepare: another operation (not opsplane's) is running on the cluster.
      const gke = gkeClientFor(stack.simulator.endpoints.container);
      await gke.setNodePoolAutoscaling({
        name: SYSTEM_POOL,
        autoscaling: { enabled: true, minNodeCount: 1, maxNodeCount: 4 },
      });
      const key = `conflict-${randomUUID()}`;
      // Act
      await publish(makeCommand({ idempotencyKey: key, args: { nodes: 2 } }));
      const record = await finished(key, 90_000);
      // Assess
      expect(record.status).toBe('succeeded');
      expect(record.attempts).toBeGreaterThanOrEqual(2);
      const statuses = setSizeCalls().map((e) => e.status);
      expect(statuses[0]).toBe(400);
      expect(statuses.at(-1)).toBe(200);
    });
  });
});

/** Runs `body` with the simulator's operation durations scaled (222 s × 0.01 ≈ 2 s for setSize). */
const withTimeScale = async (scale: number, body: () => Promise<void>): Promise<void> => {
  const before = stack.simulator.timeScale;
  stack.simulator.setTimeScale(scale);
  try {
    await body();
  } finally {
    stack.simulator.setTimeScale(before);
  }
};
