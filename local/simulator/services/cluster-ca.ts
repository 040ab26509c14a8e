import { generateKeyPairSync } from 'node:crypto';
import type { GkeCluster } from './container-model';
import { selfSignedCertificate } from './iam-keys';

/**
 * GKE's clusters.get always carries `masterAuth.clusterCaCertificate` (base64 of the cluster root
 * CA's PEM), which a Kubernetes client needs; the fixture has none. Each cluster without one gets a
 * generated self-signed CA, once per simulator start: it goes into the seed, so resets keep it.
 */
const withClusterCaCertificates = (clusters: GkeCluster[], now: Date): void => {
  for (const cluster of clusters) {
    const masterAuth = (cluster.masterAuth ?? {}) as Record<string, unknown>;
    if (typeof masterAuth.clusterCaCertificate === 'string') continue;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const validBefore = new Date(now.getTime() + 30 * 365 * 24 * 3600 * 1000);
    const pem = selfSignedCertificate(privateKey, publicKey, `${cluster.name}-ca`, now, validBefore);
    cluster.masterAuth = { ...masterAuth, clusterCaCertificate: Buffer.from(pem).toString('base64') };
  }
};

export { withClusterCaCertificates };
