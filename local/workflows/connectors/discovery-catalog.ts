import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultDiscoveryDirectory } from '../../simulator/discovery-contract';

/**
 * Resolves a Workflows connector call name (`googleapis.<api>.<version>.<resource path>.<method>`)
 * through Google's Discovery documents, the same source Google generates its connectors from: the
 * document `<api>.<version>.json` gives the method's HTTP verb, path template and parameters. Each
 * document is read once, on first use.
 */

/** One parameter of a Discovery method. */
interface DiscoveryParameter {
  type?: string;
  location?: string;
  required?: boolean;
  repeated?: boolean;
  pattern?: string;
}

/** One REST method of a Discovery document. */
interface DiscoveryMethod {
  id: string;
  httpMethod: string;
  /** Relative to `rootUrl + servicePath`; `{+name}` may span several segments. */
  path: string;
  parameters?: Record<string, DiscoveryParameter>;
  request?: { $ref: string };
  response?: { $ref: string };
}

interface DiscoveryResource {
  methods?: Record<string, DiscoveryMethod>;
  resources?: Record<string, DiscoveryResource>;
}

/** The schema parts the connector reads (only to recognise long-running operations). */
interface DiscoverySchema {
  properties?: Record<string, unknown>;
}

interface DiscoveryDocument extends DiscoveryResource {
  name: string;
  version: string;
  servicePath?: string;
  schemas?: Record<string, DiscoverySchema>;
}

/**
 * How a method's response is a long-running operation, if it is one:
 * `longrunning` — `google.longrunning.Operation` (`done`, `response`, `error`);
 * `status` — a resource-specific operation with a `status` that ends `DONE` (Cloud SQL, GKE,
 * Compute); `none` — an ordinary response.
 */
type OperationShape = 'longrunning' | 'status' | 'none';

/** A call name resolved to its Discovery method. */
interface ResolvedConnectorMethod {
  /** e.g. `googleapis.sqladmin.v1.backupRuns.insert`. */
  callName: string;
  api: string;
  version: string;
  method: DiscoveryMethod;
  /** The document's `servicePath` (prefix of `method.path`), usually empty. */
  servicePath: string;
  operationShape: OperationShape;
  document: DiscoveryDocument;
}

/** A name that is not a connector call, or names an API/method the Discovery documents lack. */
class UnknownConnectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownConnectorError';
  }
}

interface DiscoveryCatalog {
  /** @throws UnknownConnectorError naming the API, version or method that is not known. */
  resolve(callName: string): ResolvedConnectorMethod;
  /** The document of `<api>.<version>`, or undefined when there is none. */
  document(api: string, version: string): DiscoveryDocument | undefined;
}

const operationShapeOf = (document: DiscoveryDocument, method: DiscoveryMethod): OperationShape => {
  const reference = method.response?.$ref;
  if (!reference || !/Operation$/.test(reference)) return 'none';
  const properties = document.schemas?.[reference]?.properties ?? {};
  if ('done' in properties && 'response' in properties) return 'longrunning';
  if ('status' in properties || 'selfLink' in properties) return 'status';
  return 'none';
};

/** Builds a catalog over the `*.json` Discovery documents of `directory`. */
const createDiscoveryCatalog = (directory: string = defaultDiscoveryDirectory()): DiscoveryCatalog => {
  const documents = new Map<string, DiscoveryDocument | undefined>();

  const document = (api: string, version: string): DiscoveryDocument | undefined => {
    const key = `${api}.${version}`;
    if (!documents.has(key)) {
      let loaded: DiscoveryDocument | undefined;
      try {
        loaded = JSON.parse(readFileSync(resolve(directory, `${key}.json`), 'utf8')) as DiscoveryDocument;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      documents.set(key, loaded);
    }
    return documents.get(key);
  };

  return {
    document,
    resolve(callName) {
      const parts = callName.split('.');
      if (parts[0] !== 'googleapis' || parts.length < 5) {
        throw new UnknownConnectorError(
          `${callName} is not a connector call: expected googleapis.<api>.<version>.<resource>.<method>`,
        );
      }
      const [, api, version] = parts as [string, string, string];
      const found = document(api, version);
      if (!found) {
        throw new UnknownConnectorError(
          `Unknown connector ${callName}: no Discovery document ${api}.${version}.json in ${directory}`,
        );
      }
      const resourcePath = parts.slice(3, -1);
      const methodName = parts.at(-1) as string;
      let resource: DiscoveryResource = found;
      for (const segment of resourcePath) {
        const next = resource.resources?.[segment];
        if (!next) {
          throw new UnknownConnectorError(
            `Unknown connector ${callName}: ${api}.${version} has no resource ${resourcePath.join('.')}`,
          );
        }
        resource = next;
      }
      const method = resource.methods?.[methodName];
      if (!method) {
        throw new UnknownConnectorError(
          `Unknown connector ${callName}: ${api}.${version} resource ${resourcePath.join('.')} has no method ${methodName}`,
        );
      }
      return {
        callName,
        api,
        version,
        method,
        servicePath: found.servicePath ?? '',
        operationShape: operationShapeOf(found, method),
        document: found,
      };
    },
  };
};

export type {
  DiscoveryCatalog,
  DiscoveryDocument,
  DiscoveryMethod,
  DiscoveryParameter,
  OperationShape,
  ResolvedConnectorMethod,
};
export { createDiscoveryCatalog, UnknownConnectorError };
