import type { cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager';
import type { iam_v1 } from '@googleapis/iam';
import type { iap_v1 } from 'googleapis/build/src/apis/iap';

/**
 * Builds the identity clients: IAM v1 (`@googleapis/iam`), Resource Manager v3
 * (`@googleapis/cloudresourcemanager`) and IAP v1. No `@googleapis/iap` package exists, so IAP comes
 * from googleapis' per-API build, which loads that one API rather than the monolith's few hundred
 * (api-contracts §6: the full `googleapis` costs about a second of cold start).
 *
 * With an endpoint (the local platform simulator) a client is pointed at it with a dummy token;
 * without one it uses Application Default Credentials against Google. Each package is loaded with
 * `require` on first use, so a function that only rotates keys never pays for IAP or Resource
 * Manager.
 */

/** Where each client points; an absent one means Google's endpoint with ADC. */
interface IamEndpoints {
  /** e.g. `http://127.0.0.1:8490`; absent: iam.googleapis.com. */
  iam?: string;
  cloudresourcemanager?: string;
  iap?: string;
}

/** The three clients, each built on its first call and reused after. */
interface IamClients {
  iam(): iam_v1.Iam;
  resourceManager(): cloudresourcemanager_v3.Cloudresourcemanager;
  iap(): iap_v1.Iap;
}

const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** The dummy token never expires within a process's life, so the client never tries to refresh it. */
const LOCAL_TOKEN_LIFETIME_MS = 10 * 365 * 24 * 3600e3;

/** The part of a discovery package's `auth` export (its own google-auth-library) used here. */
interface DiscoveryAuthModule<OAuth2, GoogleAuth> {
  OAuth2: new () => OAuth2;
  GoogleAuth: new (options: { scopes: string[] }) => GoogleAuth;
}

/**
 * `{auth, rootUrl}` for a discovery client. Each package pins its own google-auth-library, whose
 * classes the root one does not satisfy, so the auth object comes from the package's `auth` export.
 */
const discoveryOptions = <OAuth2 extends { setCredentials(credentials: object): void }, GoogleAuth>(
  authModule: DiscoveryAuthModule<OAuth2, GoogleAuth>,
  endpoint: string | undefined,
): { auth: OAuth2 | GoogleAuth; rootUrl?: string } => {
  if (!endpoint) return { auth: new authModule.GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] }) };
  const auth = new authModule.OAuth2();
  auth.setCredentials({ access_token: 'local', expiry_date: Date.now() + LOCAL_TOKEN_LIFETIME_MS });
  return { auth, rootUrl: `${endpoint.replace(/\/+$/, '')}/` };
};

/** An IAM v1 client for `endpoint`, or for Google with ADC. */
const createIamClient = (endpoint?: string): iam_v1.Iam => {
  const { iam, auth } = require('@googleapis/iam') as typeof import('@googleapis/iam');
  return iam({ version: 'v1', ...discoveryOptions(auth, endpoint) } as iam_v1.Options);
};

/** A Resource Manager v3 client for `endpoint`, or for Google with ADC. */
const createResourceManagerClient = (endpoint?: string): cloudresourcemanager_v3.Cloudresourcemanager => {
  const { cloudresourcemanager, auth } =
    require('@googleapis/cloudresourcemanager') as typeof import('@googleapis/cloudresourcemanager');
  return cloudresourcemanager({
    version: 'v3',
    ...discoveryOptions(auth, endpoint),
  } as cloudresourcemanager_v3.Options);
};

/** An IAP v1 client for `endpoint`, or for Google with ADC. */
const createIapClient = (endpoint?: string): iap_v1.Iap => {
  const { iap, auth } =
    require('googleapis/build/src/apis/iap') as typeof import('googleapis/build/src/apis/iap');
  return iap({ version: 'v1', ...discoveryOptions(auth, endpoint) } as iap_v1.Options);
};

/** Clients built on first use, one per kind, for the given endpoints. */
const lazyIamClients = (endpoints: IamEndpoints = {}): IamClients => {
  let iam: iam_v1.Iam | undefined;
  let resourceManager: cloudresourcemanager_v3.Cloudresourcemanager | undefined;
  let iap: iap_v1.Iap | undefined;
  return {
    iam: () => {
      iam ??= createIamClient(endpoints.iam);
      return iam;
    },
    resourceManager: () => {
      resourceManager ??= createResourceManagerClient(endpoints.cloudresourcemanager);
      return resourceManager;
    },
    iap: () => {
      iap ??= createIapClient(endpoints.iap);
      return iap;
    },
  };
};

export type { IamClients, IamEndpoints };
export { createIamClient, createIapClient, createResourceManagerClient, lazyIamClients };
