import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { type BeginInput, OperationLedger, type OperationRecord } from '../../../shared/ledger';
import { FirestoreDocumentStore } from '../../../shared/store';
import { type Doc, describeDocumentStore } from '../../contract/document-store.contract';
import { firestoreForTest, uniqueProjectId } from '../../helpers/emulators';

const firestores: Firestore[] = [];
const freshFirestore = () => {
  const firestore = firestoreForTest(uniqueProjectId('store'));
  firestores.push(firestore);
  return firestore;
};
afterAll(async () => {
  await Promise.all(firestores.map((f) => f.terminate()));
});

describeDocumentStore(
  'FirestoreDocumentStore (emulator)',
  () => new FirestoreDocumentStore<Doc>(freshFirestore(), 'docs'),
);

describe('OperationLedger on the Firestore emulator', () => {
  it('lets exactly one of ten racing deliveries start an operation', async () => {
    // Prepare
    const ledger = new OperationLedger(
      new FirestoreDocumentStore<OperationRecord>(freshFirestore(), 'operations'),
    );
    const input = (holder: string): BeginInput => ({
      id: `op-${randomUUID()}`,
      messageId: 'm',
      type: 'gpu.scale',
      args: { nodes: 1 },
      actor: 'user:a@b.c',
      reason: 'race',
      dryRun: false,
      holder,
      now: new Date(),
      claimTtlMs: 60_000,
    });
    const first = input('h0');
    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ledger.begin({ ...first, holder: `h${i}` })),
    );
    // Assess
    expect(outcomes.filter((o) => o.kind === 'started')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'in_progress')).toHaveLength(9);
    expect((await ledger.get(first.id))?.attempts).toBe(1);
  });
});
