import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invalidArgument, notFound, SimulatorApiError } from './api-error';
import type { ServiceContract } from './discovery-contract';
import type { FaultInjector, FaultSpec } from './fault-injection';
import type { RequestLog, RequestLogEntry } from './request-log';
import { createRouter } from './router';
import type { ServiceModule, SimulatorContext } from './service';
import type { ClockControl } from './virtual-clock';

/**
 * One HTTP/1.1 listener for one simulated Google service: routing, contract checks, injected
 * faults, JSON bodies, Google error bodies, the request log, and the `/_sim/` control endpoints
 * (served on every listener so a test or a developer can use whichever endpoint it already knows).
 *
 * A request goes: body parsed → state settled → route matched (else 404, or 501 for a Google method
 * the simulator lacks) → fault decided (an injected failure skips the rest) → body checked against
 * the route's discovery method → handler → state file written if the request changed something.
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
  /** `/_sim/faults`; also decides each API request's fate. */
  readonly faults: Pick<FaultInjector, 'inject' | 'list' | 'clear' | 'decide'>;
  /** `/_sim/clock`. */
  readonly clock: ClockControl;
  /**
   * Called after an API request changed the state (a non-GET answered 2xx), before the answer is
   * sent, so a client that saw success can rely on the state file having it.
   */
  afterMutation(): void;
}

interface ServiceListenerOptions {
  service: ServiceModule;
  context: SimulatorContext;
  /** Settles every service, not just this one: effects cross services. */
  settle(): void;
  controls: SimulatorControls;
  /** The service's discovery checks; without it bodies pass unchecked and unmatched paths are 404. */
  contract?: ServiceContract;
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
const controlResponse = (
  method: string,
  url: URL,
  body: unknown,
  controls: SimulatorControls,
): [number, unknown] => {
  const path = url.pathname;
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
    case 'GET faults':
      return [200, { faults: controls.faults.list() }];
    case 'POST faults':
      // inject() validates the untyped body and answers INVALID_ARGUMENT for a malformed one.
      return [200, { fault: controls.faults.inject(body as FaultSpec) }];
    case 'DELETE faults':
      controls.faults.clear(url.searchParams.get('route') ?? undefined);
      return [200, { cleared: true }];
    case 'GET clock':
      return [200, controls.clock.read()];
    case 'POST clock':
      return [200, controls.clock.move(body)];
    default:
      return [404, notFound(`No simulator control endpoint ${method} ${path}.`).toBody()];
  }
};

const errorBody = (error: unknown): [number, unknown] => {
  const apiError =
    error instanceof SimulatorApiError
      ? error
      : new SimulatorApiError('INTERNAL', `Simulator error: ${String(error)}`);
  return [apiError.httpStatus, apiError.toBody()];
};

/** Starts the listener; resolves once it accepts connections. */
const startServiceListener = async (options: ServiceListenerOptions): Promise<ServiceListener> => {
  const { service, context, controls, contract } = options;
  const router = createRouter(service.routes);
  const logger = context.logger.child({ service: service.name });
  /** Timers of requests held by an injected timeout; cleared on close so none fires afterwards. */
  const held = new Set<NodeJS.Timeout>();

  /** An injected timeout: no answer at all, then the connection is dropped, as a hung backend does. */
  const hold = (request: IncomingMessage, response: ServerResponse, timeoutMs: number): void => {
    const timer = setTimeout(() => {
      held.delete(timer);
      request.socket.destroy();
    }, timeoutMs);
    held.add(timer);
    // The client may give up first; then there is nothing left to drop.
    response.once('close', () => {
      clearTimeout(timer);
      held.delete(timer);
    });
  };

  const persistAfterMutation = (): void => {
    try {
      controls.afterMutation();
    } catch (error) {
      // The request did succeed; a failed save must not turn it into an error.
      logger.error('simulator state file not written', { error });
    }
  };

  const handleApi = async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    const method = (request.method ?? 'GET').toUpperCase();
    const time = context.clock.now().toISOString();
    let status = 500;
    let routeName: string | undefined;
    let body: unknown;
    let fault: RequestLogEntry['fault'];
    let redactLogBody: ((parsed: unknown) => unknown) | undefined;
    try {
      const raw = await readRawBody(request);
      body = parseJsonBody(raw);
      options.settle();
      const matched = router.match(method, url.pathname);
      if (!matched) {
        throw contract
          ? contract.unmatched(method, url.pathname)
          : notFound(`The simulator's ${service.name} service has no method ${method} ${url.pathname}.`);
      }
      routeName = matched.route.name;
      redactLogBody = matched.route.redactLogBody?.bind(matched.route);
      const decision = controls.faults.decide(routeName);
      if (decision.action === 'timeout') {
        status = 0;
        fault = 'timeout';
        hold(request, response, decision.timeoutMs);
        return;
      }
      if (decision.action === 'error') {
        status = decision.status;
        fault = 'error';
        sendJson(response, status, decision.body);
        return;
      }
      const checkedBody = contract ? contract.check(matched.route, { query: url.searchParams, body }) : body;
      const result = matched.route.handle(
        { method, path: url.pathname, params: matched.params, query: url.searchParams, body: checkedBody },
        context,
      );
      status = result.status ?? 200;
      if (method !== 'GET' && status >= 200 && status < 300) persistAfterMutation();
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
        ...(body === undefined ? {} : { body: redactLogBody ? redactLogBody(body) : body }),
        ...(fault === undefined ? {} : { fault }),
      });
      logger.debug('simulator request', { method, path: url.pathname, route: routeName, status, fault });
    }
  };

  const handleControl = async (
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
  ): Promise<void> => {
    const method = (request.method ?? 'GET').toUpperCase();
    let answer: [number, unknown];
    try {
      const body = parseJsonBody(await readRawBody(request));
      answer = controlResponse(method, url, body, controls);
    } catch (error) {
      answer = errorBody(error);
    }
    sendJson(response, ...answer);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://simulator.invalid');
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      void handleControl(request, response, url);
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
        for (const timer of held) clearTimeout(timer);
        held.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        // Clients keep connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
};

export type { ServiceListener, ServiceListenerOptions, SimulatorControls };
export { CONTROL_PREFIX, connectableHost, startServiceListener };
