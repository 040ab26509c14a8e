import { type Lease, LeaseManager } from '../../../shared/ledger';
import { MemoryDocumentStore } from '../../../shared/store';

const T0 = new Date('2026-03-01T10:00:00Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

describe('LeaseManager', () => {
  const makeLeases = () => new LeaseManager(new MemoryDocumentStore<Lease>());

  it('grants a free resource and refuses it to another holder while the lease lives', async () => {
    const leases = makeLeases();
    expect((await leases.acquire('pool', 'op-a', 1000, T0)).acquired).toBe(true);
    const second = await leases.acquire('pool', 'op-b', 1000, later(500));
    expect(second).toMatchObject({ acquired: false, heldBy: { holder: 'op-a' } });
  });

  it('renews for the same holder', async () => {
    const leases = makeLeases();
    await leases.acquire('pool', 'op-a', 1000, T0);
    const renewed = await leases.acquire('pool', 'op-a', 1000, later(900));
    expect(renewed).toMatchObject({ acquired: true, lease: { expiresAt: later(1900).toISOString() } });
  });

  it('hands an expired lease to a new holder', async () => {
    const leases = makeLeases();
    await leases.acquire('pool', 'op-a', 1000, T0);
    expect((await leases.acquire('pool', 'op-b', 1000, later(1001))).acquired).toBe(true);
  });

  it('gives a resource to exactly one of many racing holders', async () => {
    const leases = makeLeases();
    const outcomes = await Promise.all(['a', 'b', 'c', 'd'].map((h) => leases.acquire('pool', h, 1000, T0)));
    expect(outcomes.filter((o) => o.acquired)).toHaveLength(1);
  });

  it('releases only for its holder', async () => {
    const leases = makeLeases();
    await leases.acquire('pool', 'op-a', 1000, T0);
    await leases.release('pool', 'op-b');
    expect((await leases.get('pool'))?.holder).toBe('op-a');
    await leases.release('pool', 'op-a');
    expect(await leases.get('pool')).toBeUndefined();
  });
});
