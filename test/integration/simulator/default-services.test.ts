import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultFixturePath,
  loadFixture,
  type RunningSimulator,
  startSimulator,
} from '../../../local/simulator';
import { secretManagerClientFor } from '../../helpers/secret-manager-client';
import { gkeClientFor } from '../../helpers/simulator';

/** The simulator as `npm start` runs it: every service by default, wired together. */

const GPU_POOL = 'projects/acme-ml-prod/locations/us-central1/clusters/acme-ml-gke/nodePools/gpu-a100-pool';
const SECRET = 'projects/acme-ml-prod/secrets/ci-terraform-key';
const KEY_MATERIAL = 'eyJ0eXBlIjoic2VydmljZV9hY2NvdW50IiwicHJpdmF0ZV9rZXkiOiJ4eHgifQ';

const sims: RunningSimulator[] = [];
const start = async (options: { stateFile?: string } = {}) => {
  const sim = await startSimulator({ fixture: loadFixture(defaultFixturePath()), timeScale: 0, ...options });
  sims.push(sim);
  return sim;
};
afterEach(async () => {
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});

describe('startSimulator with the default services', () => {
  it('serves every Google service the operations need, each on its own endpoint', async () => {
    const sim = await start();
    const services = Object.keys(sim.endpoints).sort();
    expect(services).toEqual(
      [
        'cloudresourcemanager',
        'compute',
        'container',
        'file',
        'iam',
        'iap',
        'kubernetes',
        'secretmanager',
        'sqladmin',
      ].sort(),
    );
    expect(new Set(Object.values(sim.endpoints)).size).toBe(services.length);
  });

  it("answers clusters.get with the cluster's CA certificate, kept across a reset", async () => {
    // Prepare
    const sim = await start();
    const gke = gkeClientFor(sim.endpoints.container);
    const name = 'projects/acme-ml-prod/locations/us-central1/clusters/acme-ml-gke';
    // Act
    const [cluster] = await gke.getCluster({ name });
    sim.reset();
    const [afterReset] = await gke.getCluster({ name });
    // Assess
    const pem = Buffer.from(cluster.masterAuth?.clusterCaCertificate ?? '', 'base64').toString();
    const certificate = new X509Certificate(pem);
    expect(certificate.subject).toContain('acme-ml-gke-ca');
    expect(certificate.checkIssued(certificate)).toBe(true);
    expect(cluster.endpoint).toBe('198.51.100.17');
    expect(afterReset.masterAuth?.clusterCaCertificate).toBe(cluster.masterAuth?.clusterCaCertificate);
  });

  it('keeps secret payloads out of the request log and the state dump', async () => {
    // Prepare
    const sim = await start();
    const client = secretManagerClientFor(sim.endpoints.secretmanager ?? '');
    // Act
    await client.addSecretVersion({ parent: SECRET, payload: { data: Buffer.from(KEY_MATERIAL) } });
    const log = await (await fetch(`${sim.endpoints.secretmanager}/_sim/requests`)).text();
    const dump = await (await fetch(`${sim.endpoints.secretmanager}/_sim/state`)).text();
    // Assess
    expect(log).toContain('secretmanager.projects.secrets.addVersion');
    for (const text of [log, dump]) {
      expect(text).not.toContain(KEY_MATERIAL);
      expect(text).not.toContain(Buffer.from(KEY_MATERIAL).toString('base64'));
    }
  });

  it('ends a GKE operation in an injected error without its effect', async () => {
    // Prepare
    const sim = await start();
    const gke = gkeClientFor(sim.endpoints.container);
    sim.faults.inject({
      route: 'nodePools.setSize',
      operationError: { code: 8, message: 'ZONE_RESOURCE_POOL_EXHAUSTED' },
    });
    // Act
    const [started] = await gke.setNodePoolSize({ name: GPU_POOL, nodeCount: 3 });
    const [done] = await gke.getOperation({
      name: `projects/acme-ml-prod/locations/us-central1/operations/${started.name}`,
    });
    // Assess
    expect(done.status).toBe('DONE');
    expect(done.error).toMatchObject({ code: 8, message: 'ZONE_RESOURCE_POOL_EXHAUSTED' });
    const sizes = sim.state.compute.instanceGroupManagers
      .filter((igm) => igm.name.includes('gpu-a100-pool'))
      .map((igm) => igm.targetSize);
    expect(sizes).toEqual([2, 0]);
  });

  it('restarts with persisted state, secret payloads included', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'opsplane-sim-'));
    const stateFile = join(dir, 'state.json');
    try {
      const first = await start({ stateFile });
      const [version] = await secretManagerClientFor(first.endpoints.secretmanager ?? '').addSecretVersion({
        parent: SECRET,
        payload: { data: Buffer.from(KEY_MATERIAL) },
      });
      await gkeClientFor(first.endpoints.container).setNodePoolSize({ name: GPU_POOL, nodeCount: 1 });
      await first.close();
      // Act
      const second = await start({ stateFile });
      const [accessed] = await secretManagerClientFor(
        second.endpoints.secretmanager ?? '',
      ).accessSecretVersion({
        name: version.name ?? '',
      });
      // Assess
      expect(Buffer.from(accessed.payload?.data as Uint8Array).toString()).toBe(KEY_MATERIAL);
      const sizes = second.state.compute.instanceGroupManagers
        .filter((igm) => igm.name.includes('gpu-a100-pool'))
        .map((igm) => igm.targetSize);
      expect(sizes).toEqual([1, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
