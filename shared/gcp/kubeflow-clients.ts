import type * as KubernetesClientModule from '@kubernetes/client-node';
import { ConfigError } from '../errors';
import type { KubeflowClients } from './kubeflow-api';

/**
 * Builds the @kubernetes/client-node clients for the GKE cluster's API server. client-node v2 is an
 * ES module and this repository compiles to CommonJS; Node 22 `require()`s ES modules, so it is
 * loaded with Node's own `require`, on first use. Going through `process.getBuiltinModule` rather
 * than a plain import keeps it out of jest's module system, which cannot load an ES module from
 * CommonJS, so the same wiring runs in tests; and nothing is loaded until a cluster is reached.
 */
const loadKubernetesClientModule = (): typeof KubernetesClientModule =>
  process.getBuiltinModule('node:module').createRequire(__filename)(
    '@kubernetes/client-node',
  ) as typeof KubernetesClientModule;

interface KubeflowClusterOptions {
  /** The API server, e.g. `https://10.0.0.2` (GKE `endpoint`) or `http://127.0.0.1:8499` (simulator). */
  server: string;
  /** A Google OAuth2 access token (cloud-platform scope), sent as `Authorization: Bearer`. */
  token?: string;
  /**
   * The cluster CA: GKE's `masterAuth.clusterCaCertificate` (base64 of the PEM) or the PEM itself.
   * Absent: the system roots.
   */
  caCertificate?: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * The argument for `KubeConfig.loadFromOptions`. TLS verification is skipped only for plain HTTP,
 * which client-node accepts no other way, and plain HTTP only to this machine (the simulator): a
 * bearer token must never cross a network unencrypted.
 *
 * @throws ConfigError for a malformed server URL or plain HTTP to another host.
 */
const kubeConfigOptions = (options: KubeflowClusterOptions) => {
  let url: URL;
  try {
    url = new URL(options.server);
  } catch {
    throw new ConfigError(`Kubernetes server ${options.server} is not a URL`);
  }
  const plainHttp = url.protocol === 'http:';
  if (plainHttp && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new ConfigError(`Kubernetes server ${url.origin} uses plain HTTP; only a local endpoint may`);
  }
  if (!plainHttp && url.protocol !== 'https:') {
    throw new ConfigError(`Kubernetes server ${url.origin} must be https://`);
  }
  const ca = options.caCertificate?.trim();
  const caData = ca?.startsWith('-----BEGIN') ? Buffer.from(ca).toString('base64') : ca;
  return {
    clusters: [
      {
        name: 'cluster',
        server: url.origin,
        skipTLSVerify: plainHttp,
        ...(caData && !plainHttp ? { caData } : {}),
      },
    ],
    users: [{ name: 'opsplane', ...(options.token ? { token: options.token } : {}) }],
    contexts: [{ name: 'opsplane', cluster: 'cluster', user: 'opsplane' }],
    currentContext: 'opsplane',
  };
};

/**
 * A getter for the clients of one cluster, built on first use; pass it to `createKubeflowApi`.
 * The options are checked at once, so a misconfiguration fails where it is made.
 *
 * @throws ConfigError as {@link kubeConfigOptions}.
 */
const createKubeflowClient = (options: KubeflowClusterOptions): (() => KubeflowClients) => {
  const config = kubeConfigOptions(options);
  let clients: KubeflowClients | undefined;
  return () => {
    if (!clients) {
      const { CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api } =
        loadKubernetesClientModule();
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromOptions(config);
      clients = {
        core: kubeConfig.makeApiClient(CoreV1Api),
        rbac: kubeConfig.makeApiClient(RbacAuthorizationV1Api),
        customObjects: kubeConfig.makeApiClient(CustomObjectsApi),
      };
    }
    return clients;
  };
};

export type { KubeflowClusterOptions };
export { createKubeflowClient, kubeConfigOptions, loadKubernetesClientModule };
