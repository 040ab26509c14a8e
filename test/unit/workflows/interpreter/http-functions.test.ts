import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFetchHttpService } from '../../../../local/workflows/engine/interpreter/fetch-http-service';
import { makeHarness, runSource } from './interpreter-harness';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An in-process HTTP server on 127.0.0.1 answering by path, recording what it received. */
const startServer = async (): Promise<{ base: string; seen: Seen[]; server: Server }> => {
  const seen: Seen[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    seen.push({
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    if (request.url?.startsWith('/json')) {
      response.writeHead(200, { 'content-type': 'application/json', 'x-trace-id': 'abc' });
      response.end(JSON.stringify({ ok: true, n: 2, ratio: 1.5 }));
    } else if (request.url?.startsWith('/missing')) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'not here' }));
    } else if (request.url?.startsWith('/slow')) {
      setTimeout(() => {
        response.writeHead(200);
        response.end('late');
      }, 2000).unref();
    } else {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('plain text');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
};

describe('http.* functions over fetch', () => {
  let base: string;
  let seen: Seen[];
  let server: Server;

  beforeAll(async () => {
    ({ base, seen, server } = await startServer());
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    seen.length = 0;
  });

  const harness = () => makeHarness({ http: createFetchHttpService() });

  it('posts a JSON body with the query encoded and returns {body, code, headers}', async () => {
    // Prepare
    const source = `
- post:
    call: http.post
    args:
      url: ${base}/json
      query:
        q: "a b"
        tag: ["x", "y"]
      headers:
        X-Custom: "1"
      body:
        name: "Ada"
        count: 3
    result: response
- done:
    return: \${response}
`;
    // Act
    const { result } = await runSource(source, { harness: harness() });
    // Assert
    expect(result).toMatchObject({ code: 200, body: { ok: true, n: 2, ratio: 1.5 } });
    expect((result as { headers: Record<string, string> }).headers['X-Trace-Id']).toBe('abc');
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/json?q=a+b&tag=x&tag=y',
      body: '{"name":"Ada","count":3}',
    });
    expect(seen[0]?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(seen[0]?.headers['x-custom']).toBe('1');
  });

  it('returns a text body as a string', async () => {
    // Prepare
    const source = `
- get:
    call: http.get
    args:
      url: ${base}/text
    result: response
- done:
    return: \${response.body}
`;
    // Act
    const { result } = await runSource(source, { harness: harness() });
    // Assert
    expect(result).toBe('plain text');
  });

  it('raises HttpError with code, headers and body for a status of 400 or more', async () => {
    // Prepare
    const source = `
- get:
    try:
      call: http.request
      args:
        method: DELETE
        url: ${base}/missing
    except:
      as: e
      steps:
        - report:
            return: \${[e.tags, e.code, e.body, e.message]}
`;
    // Act
    const { result } = await runSource(source, { harness: harness() });
    // Assert
    expect(result).toEqual([
      ['HttpError'],
      404,
      { error: 'not here' },
      'HTTP server responded with error code 404',
    ]);
    expect(seen[0]?.method).toBe('DELETE');
  });

  it('raises ConnectionFailedError when nothing listens', async () => {
    // Prepare
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const source = `
- get:
    try:
      call: http.get
      args:
        url: http://127.0.0.1:${port}/
    except:
      as: e
      steps:
        - report:
            return: \${e.tags}
`;
    // Act
    const { result } = await runSource(source, { harness: harness() });
    // Assert
    expect(result).toEqual(['ConnectionFailedError']);
  });

  it('raises TimeoutError when the server answers after the timeout', async () => {
    // Prepare
    const source = `
- get:
    try:
      call: http.get
      args:
        url: ${base}/slow
        timeout: 0.2
    except:
      as: e
      steps:
        - report:
            return: \${e.tags}
`;
    // Act
    const { result } = await runSource(source, { harness: harness() });
    // Assert
    expect(result).toEqual(['TimeoutError']);
  });

  it('refuses a timeout above 1800 seconds with ValueError before sending anything', async () => {
    // Prepare
    const source = `
- get:
    try:
      call: http.get
      args:
        url: ${base}/json
        timeout: 1801
    except:
      as: e
      steps:
        - report:
            return: \${e.tags}
`;
    // Act
    const { result } = await runSource(source, { harness: harness() });
    // Assert
    expect(result).toEqual(['ValueError']);
    expect(seen).toHaveLength(0);
  });
});
