import { ClusterManagerClient } from '@google-cloud/container';
import { compute, auth as discoveryAuth } from '@googleapis/compute';
import { PassThroughClient } from 'google-auth-library';
import type { GkeClients } from './gke-api';

/**
 * Builds the Google clients. With an endpoint (the local platform simulator) they are pointed at
 * it over plain HTTP with no credentials; without one they use Application Default Credentials
 * against Google. Both use the REST transport: it is what the simulator speaks, and it starts
 * faster than gRPC in a cold function.
 */

interface GoogleEndpoints {
  /** e.g. `http://127.0.0.1:8490`; absent: container.googleapis.com. */
  container?: string;
  compute?: string;
}

const splitEndpoint = (endpoint: string): { host: string; port: number; protocol: string } => {
  const url = new URL(endpoint);
  return {
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    protocol: url.protocol.replace(':', ''),
  };
};

/**
 * Options for any gax (`@google-cloud/*`) client: REST transport, and with an endpoint (the local
 * simulator) plain HTTP there with no credentials; without one, Google with ADC. `apiEndpoint`
 * takes the host alone: a scheme there breaks the URL gax builds.
 */
const gaxClientOptions = (endpoint?: string) => {
  if (!endpoint) return { fallback: true } as const;
  const { host, port, protocol } = splitEndpoint(endpoint);
  return { apiEndpoint: host, port, protocol, fallback: true, authClient: new PassThroughClient() } as const;
};

const createContainerClient = (endpoint?: string): ClusterManagerClient =>
  new ClusterManagerClient(gaxClientOptions(endpoint));

const createComputeClient = (endpoint?: string) => {
  if (!endpoint) {
    return compute({
      version: 'v1',
      auth: new discoveryAuth.GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }),
    });
  }
  // The discovery client insists on an auth object; a client with a dummy token sends `Bearer local`.
  // (googleapis-common pins its own google-auth-library, so its auth classes come from its `auth` export.)
  const auth = new discoveryAuth.OAuth2();
  auth.setCredentials({ access_token: 'local', expiry_date: Date.now() + 10 * 365 * 24 * 3600e3 });
  return compute({ version: 'v1', auth, rootUrl: `${endpoint.replace(/\/$/, '')}/` });
};

/** Clients are built on first use, so a function that never touches GKE never pays for them. */
const lazyGkeClients = (endpoints: GoogleEndpoints): (() => GkeClients) => {
  let clients: GkeClients | undefined;
  return () => {
    clients ??= {
      container: createContainerClient(endpoints.container),
      compute: createComputeClient(endpoints.compute),
    };
    return clients;
  };
};

export type { GoogleEndpoints };
export { createComputeClient, createContainerClient, gaxClientOptions, lazyGkeClients, splitEndpoint };
