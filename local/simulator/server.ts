import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invalidArgument, notFound, SimulatorApiError } from './api-error';
import type { RequestLog } from './request-log';
import { createRouter } from './router';
import type { ServiceModule, SimulatorContext } from './service';

/**
 * One HTTP/1.1 listener for one simulated Google service: routing, JSON bodies, Google error
 * bodies, the request log, and the `/_sim/` control endpoints (served on every listener so a
 * test or a developer can use whichever endpoint it already knows).
 */

/** The prefix of the control endpoints; no Google API path starts with it. */
const CONTROL_PREFIX = '/_sim/';

/** Bodies above this are refused: the simulated methods take a few hundred bytes at most. */
const MAX_BODY_BYTES = 1024 * 1024;

/** What the control endpoints act on; implemented by the simulator that owns the listeners. */
interface SimulatorControls {
  /** Back to the fixture. */
  reset(): void;
  /** The whole state, settled first, as `GET /_sim/state` returns it. */
  dumpState(): unknown;
  readonly requestLog: RequestLog;
}

interface ServiceListenerOptions {
  service: ServiceModule;
  context: SimulatorContext;
  /** Settles every service, not just this one: effects cross services. */
  settle(): void;
  controls: SimulatorControls;
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/** A started listener. */
interface ServiceListener {
  /** Base URL, e.g. `http://127.0.0.1:8490`. */
  endpoint: string;
  close(): Promise<void>;
}

/** A wildcard bind address is not something a client can connect to; name loopback instead. */
const connectableHost = (host: string): string => {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
};

const sendJson = (response: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
};

const readRawBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw invalidArgument(`Request payload exceeds ${MAX_BODY_BYTES} bytes.`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
};

const parseJsonBody = (raw: string): unknown => {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw invalidArgument(`Invalid JSON payload received. ${(error as Error).message}`);
  }
};

/** The answer to a `/_sim/…` control request: HTTP status and JSON body. */
const controlResponse = (method: string, path: string, controls: SimulatorControls): [number, unknown] => {
  switch (`${method} ${path.slice(CONTROL_PREFIX.length)}`) {
    case 'POST reset':
      controls.reset();
      return [200, { reset: true }];
    case 'GET state':
      return [200, controls.dumpState()];
    case 'GET requests':
      return [200, controls.requestLog.snapshot()];
    case 'DELETE requests':
      controls.requestLog.clear();
      return [200, { cleared: true }];
    default:
      return [404, notFound(`No simulator control endpoint ${method} ${path}.`).toBody()];
  }
};

/** Starts the listener; resolves once it accepts connections. */
const startServiceListener = async (options: ServiceListenerOptions): Promise<ServiceListener> => {
  const { service, context, controls } = options;
  const router = createRouter(service.routes);
  const logger = context.logger.child({ service: service.name });

  const handleApi = async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    const method = (request.method ?? 'GET').toUpperCase();
    const time = context.clock.now().toISOString();
    let status = 500;
    let routeName: string | undefined;
    let body: unknown;
    try {
      const raw = await readRawBody(request);
      body = parseJsonBody(raw);
      options.settle();
      const matched = router.match(method, url.pathname);
      if (!matched) {
        throw new SimulatorApiError(
          'UNIMPLEMENTED',
          `The simulator's ${service.name} service does not implement ${method} ${url.pathname}.`,
        );
      }
      routeName = matched.route.name;
      const result = matched.route.handle(
        { method, path: url.pathname, params: matched.params, query: url.searchParams, body },
        context,
      );
      status = result.status ?? 200;
      sendJson(response, status, result.body);
    } catch (error) {
      if (error instanceof SimulatorApiError) {
        status = error.httpStatus;
        if (error.status === 'UNIMPLEMENTED') logger.warn(error.message);
        sendJson(response, status, error.toBody());
      } else {
        status = 500;
        logger.error('simulator route failed', { method, path: url.pathname, error });
        sendJson(
          response,
          status,
          new SimulatorApiError('INTERNAL', `Simulator error: ${String(error)}`).toBody(),
        );
      }
    } finally {
      controls.requestLog.record({
        time,
        service: service.name,
        method,
        path: url.pathname,
        ...(routeName === undefined ? {} : { route: routeName }),
        status,
        ...(body === undefined ? {} : { body }),
      });
      logger.debug('simulator request', { method, path: url.pathname, route: routeName, status });
    }
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://simulator.invalid');
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      // Control requests carry no body worth reading, but it must be drained for keep-alive.
      request.resume();
      const [status, body] = controlResponse((request.method ?? 'GET').toUpperCase(), url.pathname, controls);
      sendJson(response, status, body);
      return;
    }
    void handleApi(request, response, url);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.error('simulator listener error', { error }));

  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${connectableHost(options.host)}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Clients keep connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
};

export type { ServiceListener, ServiceListenerOptions, SimulatorControls };
export { CONTROL_PREFIX, connectableHost, startServiceListener };
