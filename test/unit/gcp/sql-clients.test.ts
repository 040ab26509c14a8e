import { createSqlAdminClient, lazySqlAdminClient } from '../../../shared/gcp/sql-clients';

/** How the Cloud SQL Admin client is configured; no request leaves the process. */
describe('createSqlAdminClient', () => {
  it('points the client at the given endpoint with a dummy bearer token', async () => {
    // Act
    const client = createSqlAdminClient('http://127.0.0.1:8490');
    const auth = client.context._options.auth as { getAccessToken(): Promise<{ token?: string | null }> };

    // Assess
    expect(client.context._options.rootUrl).toBe('http://127.0.0.1:8490/');
    await expect(auth.getAccessToken()).resolves.toMatchObject({ token: 'local' });
  });

  it('keeps the default Google root URL without an endpoint', () => {
    // Act
    const client = createSqlAdminClient();

    // Assess
    expect(client.context._options.rootUrl).toBeUndefined();
    expect(client.context._options.auth).toBeDefined();
  });
});

describe('lazySqlAdminClient', () => {
  it('builds the client once, on first use', () => {
    // Prepare
    const get = lazySqlAdminClient('http://127.0.0.1:8490/');

    // Act
    const first = get();
    const second = get();

    // Assess
    expect(second).toBe(first);
    expect(first.context._options.rootUrl).toBe('http://127.0.0.1:8490/');
  });
});
