import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { gaxClientOptions } from './client-options';
import type { SecretsClient } from './secrets-api';

/**
 * Builds the Secret Manager client (gax 6, REST transport). With an endpoint (the local platform
 * simulator) it talks plain HTTP and sends no credentials; without one it uses Application Default
 * Credentials against secretmanager.googleapis.com. REST because it is what the simulator speaks
 * and it starts faster than gRPC in a cold function (api-contracts §6).
 */

const secretManagerClient = (endpoint?: string): SecretManagerServiceClient =>
  new SecretManagerServiceClient(gaxClientOptions(endpoint));

/**
 * A getter for the Secret Manager client, built on first use so a function that never touches
 * secrets never pays for it; pass it to `createSecretsApi`.
 *
 * @param endpoint - e.g. `http://127.0.0.1:8497` for the simulator; absent: Google, with ADC.
 */
const createSecretsClient = (endpoint?: string): (() => SecretsClient) => {
  let client: SecretManagerServiceClient | undefined;
  return () => {
    client ??= secretManagerClient(endpoint);
    return client;
  };
};

export { createSecretsClient };
