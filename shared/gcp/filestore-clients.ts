import { CloudFilestoreManagerClient } from '@google-cloud/filestore';
import { gaxClientOptions } from './client-options';

/**
 * Builds the Filestore client (`@google-cloud/filestore` 5, gax 6) over the REST transport: it is
 * what the simulator speaks, and it starts faster than gRPC in a cold function. With an endpoint
 * (the local platform simulator) it is pointed there over plain HTTP with no credentials; without
 * one it uses Application Default Credentials against file.googleapis.com.
 */

/**
 * A CloudFilestoreManagerClient for Google (ADC) or, given `endpoint`, for a local simulator.
 *
 * @param endpoint - e.g. `http://127.0.0.1:8490`; absent: file.googleapis.com with ADC.
 */
const createFilestoreClient = (endpoint?: string): CloudFilestoreManagerClient =>
  new CloudFilestoreManagerClient(gaxClientOptions(endpoint));

/**
 * The client, built on first use so a function that never touches Filestore never pays its
 * import-and-construct cost (api-contracts §6); pass the result to `createFilestoreApi`.
 */
const lazyFilestoreClient = (endpoint?: string): (() => CloudFilestoreManagerClient) => {
  let client: CloudFilestoreManagerClient | undefined;
  return () => {
    client ??= createFilestoreClient(endpoint);
    return client;
  };
};

export { createFilestoreClient, lazyFilestoreClient };
