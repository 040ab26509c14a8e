import type { ConnectorService, WorkflowClock, WorkflowValue } from '../engine';
import { WorkflowRuntimeError } from '../engine';
import { sendConnectorRequest } from './connector-http';
import { buildConnectorRequest, type ConnectorHttpRequest } from './connector-request';
import {
  createDiscoveryCatalog,
  type DiscoveryCatalog,
  type ResolvedConnectorMethod,
  UnknownConnectorError,
} from './discovery-catalog';
import {
  type OperationPoller,
  readLongRunning,
  readStatusOperation,
  waitForOperation,
} from './operation-polling';

/**
 * `googleapis.*` connectors for local runs: every call is resolved through the Discovery documents
 * and sent to a local endpoint per API (the platform simulator's listeners), so a runbook's
 * connector steps reach the same simulated Cloud SQL, GKE, Filestore… the rest of the local stack
 * uses. Long-running operations are waited for on the execution's clock, as Workflows does.
 */

interface SimulatorConnectorsOptions {
  /**
   * Base URL per Discovery API name (`container`, `sqladmin`, `file`, `iam`,
   * `cloudresourcemanager`, `iap`, `secretmanager`, `compute`), e.g. `http://127.0.0.1:8491`.
   * A call to an API without one raises a SystemError naming it.
   */
  endpoints: Partial<Record<string, string>>;
  clock: WorkflowClock;
  /** @default the shared reference set (`../shared/reference/discovery` next to the checkout). */
  discoveryDir?: string;
}

const field = (value: WorkflowValue, name: string): WorkflowValue | undefined =>
  value instanceof Map ? value.get(name) : undefined;

const stringField = (value: WorkflowValue, name: string): string | undefined => {
  const found = field(value, name);
  return typeof found === 'string' && found !== '' ? found : undefined;
};

/** `projects/P/locations|zones/L` of a request URL, for APIs whose operations live per location. */
const projectAndLocationOf = (url: string): { project: string; location: string } | undefined => {
  const found = /\/projects\/([^/]+)\/(?:locations|zones)\/([^/:]+)/.exec(new URL(url).pathname);
  return found ? { project: found[1] as string, location: found[2] as string } : undefined;
};

/**
 * How to poll the operation `first` describes, or undefined when the response is not one (then it
 * is returned as it is).
 */
const pollerFor = (input: {
  resolved: ResolvedConnectorMethod;
  catalog: DiscoveryCatalog;
  first: WorkflowValue;
  request: ConnectorHttpRequest;
  args: Record<string, unknown>;
  baseUrl: string;
}): OperationPoller | undefined => {
  const { resolved, first, baseUrl } = input;
  const name = stringField(first, 'name');
  if (!(first instanceof Map) || name === undefined) return undefined;
  const base = baseUrl.replace(/\/+$/, '');

  if (resolved.operationShape === 'longrunning') {
    return {
      request: { method: 'GET', url: `${base}/${resolved.servicePath}${resolved.version}/${name}` },
      read: readLongRunning,
    };
  }

  const kind = stringField(first, 'kind');
  if (kind === 'sql#operation') {
    const get = input.catalog.resolve(`googleapis.${resolved.api}.${resolved.version}.operations.get`);
    const project = stringField(first, 'targetProject') ?? String(input.args.project ?? '');
    return {
      request: buildConnectorRequest({
        callName: get.callName,
        baseUrl,
        servicePath: get.servicePath,
        method: get.method,
        args: { project, operation: name },
      }),
      read: readStatusOperation,
    };
  }

  const selfLink = stringField(first, 'selfLink');
  if (kind === 'compute#operation' && selfLink !== undefined) {
    return {
      request: { method: 'GET', url: `${base}${new URL(selfLink).pathname}` },
      read: readStatusOperation,
    };
  }

  // GKE: operations are `projects/P/locations/L/operations/NAME`; the selfLink carries the project
  // number, which not every endpoint resolves, so the project comes from the request itself.
  const where = projectAndLocationOf(input.request.url);
  if (where) {
    const location = stringField(first, 'location') ?? where.location;
    const operationName = `projects/${where.project}/locations/${location}/operations/${name}`;
    return {
      request: { method: 'GET', url: `${base}/${resolved.servicePath}${resolved.version}/${operationName}` },
      read: readStatusOperation,
    };
  }
  if (selfLink !== undefined) {
    return {
      request: { method: 'GET', url: `${base}${new URL(selfLink).pathname}` },
      read: readStatusOperation,
    };
  }
  return undefined;
};

/** Builds the connector service for `ExecutionServices.connectors`. */
const createSimulatorConnectors = (options: SimulatorConnectorsOptions): ConnectorService => {
  const catalog = createDiscoveryCatalog(options.discoveryDir);
  const { clock } = options;

  const resolve = (callName: string): ResolvedConnectorMethod => {
    try {
      return catalog.resolve(callName);
    } catch (thrown) {
      if (thrown instanceof UnknownConnectorError)
        throw WorkflowRuntimeError.builtin('ValueError', thrown.message);
      throw thrown;
    }
  };

  return {
    async call(name, args, callOptions) {
      const started = clock.now();
      const resolved = resolve(name);
      const baseUrl = options.endpoints[resolved.api];
      if (!baseUrl) {
        const configured = Object.keys(options.endpoints).filter((api) => options.endpoints[api]);
        throw WorkflowRuntimeError.builtin(
          'SystemError',
          `${name}: no local endpoint for the ${resolved.api} API (configured: ${configured.join(', ') || 'none'})`,
        );
      }
      const request = buildConnectorRequest({
        callName: name,
        baseUrl,
        servicePath: resolved.servicePath,
        method: resolved.method,
        args,
      });
      const send = async (next: ConnectorHttpRequest): Promise<WorkflowValue> => {
        const response = await sendConnectorRequest(next, {
          clock,
          timeoutMs: Math.max(1, started + callOptions.timeoutMs - clock.now()),
          ...(callOptions.signal ? { signal: callOptions.signal } : {}),
        });
        return response.body;
      };

      const first = await send(request);
      if (callOptions.skipPolling || resolved.operationShape === 'none') return first;
      const poller = pollerFor({ resolved, catalog, first, request, args, baseUrl });
      if (!poller) return first;
      return waitForOperation({
        initial: first,
        poller,
        send,
        clock,
        policy: callOptions.pollingPolicy,
        started,
        timeoutMs: callOptions.timeoutMs,
        callName: name,
        ...(callOptions.signal ? { signal: callOptions.signal } : {}),
      });
    },
  };
};

export type { SimulatorConnectorsOptions };
export { createSimulatorConnectors };
