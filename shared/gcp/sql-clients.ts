import { auth as sqlAdminAuth, sqladmin, type sqladmin_v1 } from '@googleapis/sqladmin';

/**
 * Builds the Cloud SQL Admin client: the `@googleapis/sqladmin` v1 discovery client, which imports
 * in about 150 ms where the monolithic `googleapis` costs a second (api-contracts §6). With an
 * endpoint (the local platform simulator) it is pointed there with a dummy token; without one it
 * uses Application Default Credentials against sqladmin.googleapis.com.
 */

/** Far enough ahead that the dummy token is never "expired", so the client never tries a refresh. */
const DUMMY_TOKEN_LIFETIME_MS = 10 * 365 * 24 * 3600e3;

/**
 * A Cloud SQL Admin v1 client.
 *
 * @param endpoint - e.g. `http://127.0.0.1:8490` (the simulator's `endpoints.sqladmin`); absent:
 *   Google, with ADC.
 */
const createSqlAdminClient = (endpoint?: string): sqladmin_v1.Sqladmin => {
  if (!endpoint) {
    return sqladmin({
      version: 'v1',
      auth: new sqlAdminAuth.GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }),
    });
  }
  // The discovery client insists on an auth object; one holding a dummy token sends `Bearer local`.
  // It must be the package's own `auth.OAuth2`: @googleapis/sqladmin pins its own
  // google-auth-library, whose client the project's copy does not satisfy.
  const auth = new sqlAdminAuth.OAuth2();
  auth.setCredentials({ access_token: 'local', expiry_date: Date.now() + DUMMY_TOKEN_LIFETIME_MS });
  // Method paths are `v1/projects/…` relative to rootUrl, which must end with a slash.
  return sqladmin({ version: 'v1', auth, rootUrl: `${endpoint.replace(/\/+$/, '')}/` });
};

/**
 * The client, built on first use, so a function that never touches Cloud SQL never pays for it.
 * Pass the result to `createSqlApi`.
 */
const lazySqlAdminClient = (endpoint?: string): (() => sqladmin_v1.Sqladmin) => {
  let client: sqladmin_v1.Sqladmin | undefined;
  return () => {
    client ??= createSqlAdminClient(endpoint);
    return client;
  };
};

export { createSqlAdminClient, lazySqlAdminClient };
