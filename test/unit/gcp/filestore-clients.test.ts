import { CloudFilestoreManagerClient } from '@google-cloud/filestore';
import { PassThroughClient } from 'google-auth-library';
import { createFilestoreClient, lazyFilestoreClient } from '../../../shared/gcp/filestore-clients';

/** How the Filestore client is configured; construction only, so no request leaves the process. */

/** The constructor options the client keeps (private to gax, read here to see what was configured). */
const optionsOf = (client: CloudFilestoreManagerClient) =>
  (client as unknown as { _opts: Record<string, unknown> })._opts;

describe('createFilestoreClient', () => {
  const detection = process.env.METADATA_SERVER_DETECTION;

  // Building an ADC client starts a metadata-server probe; this keeps it off the network (api-contracts §6).
  beforeAll(() => {
    process.env.METADATA_SERVER_DETECTION = 'none';
  });

  afterAll(() => {
    if (detection === undefined) delete process.env.METADATA_SERVER_DETECTION;
    else process.env.METADATA_SERVER_DETECTION = detection;
  });

  it('points the client at a local endpoint over REST with no credentials', () => {
    // Act
    const client = createFilestoreClient('http://127.0.0.1:8490');

    // Assess
    expect(optionsOf(client)).toMatchObject({
      apiEndpoint: '127.0.0.1',
      port: 8490,
      protocol: 'http',
      fallback: true,
    });
    expect(optionsOf(client).authClient).toBeInstanceOf(PassThroughClient);
  });

  it('uses REST and Application Default Credentials without an endpoint', () => {
    // Act
    const client = createFilestoreClient();

    // Assess
    expect(optionsOf(client)).toMatchObject({ fallback: true });
    expect(optionsOf(client).authClient).toBeUndefined();
    expect(optionsOf(client).apiEndpoint).toBeUndefined();
  });
});

describe('lazyFilestoreClient', () => {
  it('builds the client on first use and hands back the same one after', () => {
    // Prepare
    const get = lazyFilestoreClient('http://127.0.0.1:8490');

    // Act
    const first = get();
    const second = get();

    // Assess
    expect(second).toBe(first);
    expect(first).toBeInstanceOf(CloudFilestoreManagerClient);
  });
});
