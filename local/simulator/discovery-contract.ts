import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Logger, silentLogger } from '../../shared/logging';
import { invalidArgument, notFound, SimulatorApiError } from './api-error';
import { type EnumNumbering, loadProtoEnums, type ProtoEnumTable, type ProtoSource } from './proto-enums';
import { toSnakePath } from './request-fields';
import type { Route, ServiceName } from './service';

/**
 * Requests checked against Google's discovery documents (`../shared/reference/discovery/*.json`)
 * before a route's handler runs, the way Google's JSON front end parses a payload into the method's
 * request message: a field the message does not define, a value of the wrong type or a missing
 * required field is a 400 INVALID_ARGUMENT, so a typo in a caller fails against the simulator as
 * it would against Google instead of being silently ignored. Handlers then see one spelling of the
 * body: enum names (gax sends numbers) and lowerCamelCase field names (snake_case is accepted too).
 * Everything is compiled once, when the simulator starts.
 */

/** A schema, or a property's inline schema, of a discovery document. */
interface DiscoverySchema {
  id?: string;
  type?: string;
  $ref?: string;
  format?: string;
  description?: string;
  properties?: Record<string, DiscoverySchema>;
  items?: DiscoverySchema;
  additionalProperties?: DiscoverySchema;
  enum?: string[];
}

interface DiscoveryParameter {
  type?: string;
  location?: string;
  required?: boolean;
  /** For a `{+name}` path parameter: the resource name's shape, `^projects/[^/]+/…$`. */
  pattern?: string;
}

/** One REST method of a discovery document. */
interface DiscoveryMethod {
  id: string;
  httpMethod: string;
  /** Relative to the document's root and `servicePath`; `{+name}` spans several segments. */
  path: string;
  /** `path` with every variable a single segment, when `path` has a `{+…}` variable. */
  flatPath?: string;
  parameters?: Record<string, DiscoveryParameter>;
  request?: { $ref: string };
}

interface DiscoveryResource {
  methods?: Record<string, DiscoveryMethod>;
  resources?: Record<string, DiscoveryResource>;
}

/** The parts of a discovery document the checker reads. */
interface DiscoveryDocument extends DiscoveryResource {
  name: string;
  version: string;
  servicePath?: string;
  schemas?: Record<string, DiscoverySchema>;
}

/**
 * The discovery documents per service (file names without `.json`). Where a service has two API
 * versions, a route's version is read from its path (`/v3/…`). Compute and Kubernetes have none in
 * the reference set, so their routes are not checked.
 */
const DISCOVERY_DOCUMENTS: Readonly<Record<ServiceName, readonly string[]>> = {
  container: ['container.v1'],
  compute: [],
  sqladmin: ['sqladmin.v1', 'sqladmin.v1beta4'],
  file: ['file.v1'],
  iam: ['iam.v1'],
  cloudresourcemanager: ['cloudresourcemanager.v1', 'cloudresourcemanager.v3'],
  iap: ['iap.v1'],
  secretmanager: ['secretmanager.v1'],
  kubernetes: [],
};

/** The APIs opsplane drives through gax clients, which send enums as proto numbers (see proto-enums.ts). */
const PROTO_SOURCES: Readonly<Partial<Record<ServiceName, ProtoSource>>> = {
  container: { module: '@google-cloud/container/build/protos/protos.json', namespace: 'google.container.v1' },
  file: {
    module: '@google-cloud/filestore/build/protos/protos.json',
    namespace: 'google.cloud.filestore.v1',
  },
  secretmanager: {
    module: '@google-cloud/secret-manager/build/protos/protos.json',
    namespace: 'google.cloud.secretmanager.v1',
  },
};

/**
 * Google's descriptions mark required fields in prose; `REQUIRED:` is the IAM policy messages'
 * spelling (`SetIamPolicyRequest.policy`).
 */
const REQUIRED_DESCRIPTION = /^(Required\.|REQUIRED:)/;

const INT32_RANGE = [-2_147_483_648, 2_147_483_647] as const;
const UINT32_RANGE = [0, 4_294_967_295] as const;

type ScalarType = 'string' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'double' | 'bool';

interface MessageNode {
  name: string;
  fields: Map<string, FieldNode>;
  /** `node_count` → `nodeCount`: proto3 JSON accepts a field's proto name as well as its JSON name. */
  aliases: Map<string, string>;
}

type ValueNode =
  | { kind: 'message'; message: MessageNode }
  | { kind: 'map'; values: ValueNode }
  | { kind: 'array'; items: ValueNode }
  | { kind: 'enum'; names: ReadonlySet<string>; byNumber: EnumNumbering }
  | { kind: 'scalar'; type: ScalarType }
  | { kind: 'any' };

interface FieldNode {
  node: ValueNode;
  /**
   * Described as required and checkable: proto3 scalars, enums and maps have no presence (gax
   * leaves a 0, `false` or the first enum value out), so only messages, strings and lists are.
   */
  required: boolean;
}

/** A path in the request body: field names and `[index]`/`[key]` steps. */
type PathPart = { field: string } | { index: string };

/** `autoscaling.locationPolicy`, or in Google's error form `autoscaling.location_policy`. */
const formatPath = (parts: readonly PathPart[], snake = false): string =>
  parts.reduce((text, part) => {
    if ('index' in part) return `${text}[${part.index}]`;
    const name = snake ? toSnakePath(part.field) : part.field;
    return text === '' ? name : `${text}.${name}`;
  }, '');

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const invalidValue = (path: readonly PathPart[], type: string, value: unknown): SimulatorApiError =>
  invalidArgument(`Invalid value at '${formatPath(path, true)}' (${type}), ${JSON.stringify(value)}`);

/** Turns schemas into value nodes, each schema once; references may be cyclic. */
interface SchemaCompiler {
  message(name: string): MessageNode;
}

const positionalNumbering = (names: readonly string[]): EnumNumbering =>
  new Map(names.map((name, index) => [index, name]));

const createSchemaCompiler = (
  document: DiscoveryDocument,
  protoEnums: ProtoEnumTable | undefined,
): SchemaCompiler => {
  const messages = new Map<string, MessageNode>();

  const enumNode = (owner: string, names: readonly string[]): ValueNode => {
    const byNumber = protoEnums?.numberingFor(owner, names) ?? positionalNumbering(names);
    return { kind: 'enum', names: new Set([...names, ...byNumber.values()]), byNumber };
  };

  const scalarType = (schema: DiscoverySchema): ScalarType => {
    if (schema.type === 'boolean') return 'bool';
    if (schema.type === 'number') return 'double';
    if (schema.type === 'integer') return schema.format === 'uint32' ? 'uint32' : 'int32';
    if (schema.format === 'int64' || schema.format === 'uint64') return schema.format;
    return 'string';
  };

  /** `owner` is the schema the value is declared in, used to pick the right proto enum. */
  const valueNode = (schema: DiscoverySchema, owner: string, inlineName: string): ValueNode => {
    if (schema.$ref !== undefined) return { kind: 'message', message: compileMessage(schema.$ref) };
    if (schema.enum !== undefined) return enumNode(owner, schema.enum);
    switch (schema.type) {
      case 'array':
        return { kind: 'array', items: valueNode(schema.items ?? { type: 'any' }, owner, inlineName) };
      case 'object':
        if (schema.properties !== undefined) {
          return { kind: 'message', message: compileFields(inlineName, schema, owner) };
        }
        if (schema.additionalProperties !== undefined) {
          return { kind: 'map', values: valueNode(schema.additionalProperties, owner, inlineName) };
        }
        // A property-less object is `google.protobuf.Empty`: no field is allowed.
        return { kind: 'message', message: compileFields(inlineName, schema, owner) };
      case 'any':
        return { kind: 'any' };
      default:
        return { kind: 'scalar', type: scalarType(schema) };
    }
  };

  const isPresenceCheckable = (node: ValueNode): boolean =>
    node.kind === 'message' || node.kind === 'array' || (node.kind === 'scalar' && node.type === 'string');

  const compileFields = (name: string, schema: DiscoverySchema, owner: string): MessageNode => {
    const message: MessageNode = { name, fields: new Map(), aliases: new Map() };
    for (const [field, property] of Object.entries(schema.properties ?? {})) {
      const node = valueNode(property, owner, `${name}.${field}`);
      const required = REQUIRED_DESCRIPTION.test(property.description ?? '') && isPresenceCheckable(node);
      message.fields.set(field, { node, required });
      const snake = toSnakePath(field);
      if (snake !== field) message.aliases.set(snake, field);
    }
    return message;
  };

  const compileMessage = (name: string): MessageNode => {
    const known = messages.get(name);
    if (known) return known;
    const schema = document.schemas?.[name];
    if (!schema)
      throw new Error(`Discovery document ${document.name}.${document.version} has no schema ${name}`);
    // Registered before its fields are compiled, so a cyclic reference finds it.
    const message: MessageNode = { name, fields: new Map(), aliases: new Map() };
    messages.set(name, message);
    const compiled = compileFields(name, schema, name);
    for (const [field, node] of compiled.fields) message.fields.set(field, node);
    for (const [alias, field] of compiled.aliases) message.aliases.set(alias, field);
    return message;
  };

  return { message: compileMessage };
};

/** Reads and normalises one value; collects missing required fields for the caller to report. */
const checkValue = (node: ValueNode, value: unknown, path: PathPart[], missing: string[]): unknown => {
  // proto3 JSON: null is the field's default, for every type.
  if (value === null) return null;
  switch (node.kind) {
    case 'any':
      return value;
    case 'message':
      return checkMessage(node.message, value, path, missing, new Set());
    case 'map': {
      if (!isPlainObject(value)) throw invalidValue(path, 'map', value);
      return Object.fromEntries(
        Object.entries(value).map(([key, inner]) => [
          key,
          checkValue(node.values, inner, [...path, { index: key }], missing),
        ]),
      );
    }
    case 'array':
      if (!Array.isArray(value)) throw invalidValue(path, 'list', value);
      return value.map((item, index) =>
        checkValue(node.items, item, [...path, { index: String(index) }], missing),
      );
    case 'enum': {
      if (typeof value === 'number' && node.byNumber.has(value)) return node.byNumber.get(value);
      if (typeof value === 'string' && node.names.has(value)) return value;
      throw invalidValue(path, 'TYPE_ENUM', value);
    }
    case 'scalar':
      return checkScalar(node.type, value, path);
  }
};

const isIntegerIn = (value: number, [min, max]: readonly [number, number]): boolean =>
  Number.isInteger(value) && value >= min && value <= max;

/** Scalars keep the spelling they were sent in: int64 as a string or a number, both valid proto3 JSON. */
const checkScalar = (type: ScalarType, value: unknown, path: PathPart[]): unknown => {
  const integerText = typeof value === 'string' && /^-?\d+$/.test(value);
  let valid: boolean;
  switch (type) {
    case 'string':
      valid = typeof value === 'string';
      break;
    case 'bool':
      valid = typeof value === 'boolean';
      break;
    case 'double':
      valid =
        typeof value === 'number' ||
        (typeof value === 'string' &&
          (['NaN', 'Infinity', '-Infinity'].includes(value) || Number.isFinite(Number(value))));
      break;
    case 'int32':
    case 'uint32': {
      const range = type === 'int32' ? INT32_RANGE : UINT32_RANGE;
      valid = (typeof value === 'number' || integerText) && isIntegerIn(Number(value), range);
      break;
    }
    case 'int64':
    case 'uint64':
      valid = (typeof value === 'number' && Number.isInteger(value)) || integerText;
      if (valid && type === 'uint64' && String(value).startsWith('-')) valid = false;
      break;
  }
  if (!valid) throw invalidValue(path, `TYPE_${type.toUpperCase()}`, value);
  return value;
};

const isMissing = (value: unknown): boolean =>
  value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);

/**
 * @param boundNames - fields the URL already fills: a required `name` of the body's resource is
 *   satisfied by the `{+name}` path variable, as gRPC transcoding binds it into the message.
 */
const checkMessage = (
  message: MessageNode,
  value: unknown,
  path: PathPart[],
  missing: string[],
  boundNames: ReadonlySet<string>,
): Record<string, unknown> => {
  if (!isPlainObject(value)) {
    if (path.length === 0)
      throw invalidArgument('Invalid JSON payload received. Root element must be a message.');
    throw invalidValue(path, message.name, value);
  }
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const name = message.fields.has(key) ? key : message.aliases.get(key);
    const field = name === undefined ? undefined : message.fields.get(name);
    if (name === undefined || field === undefined) {
      const at = path.length === 0 ? '' : ` at '${formatPath(path, true)}'`;
      throw invalidArgument(`Invalid JSON payload received. Unknown name "${key}"${at}: Cannot find field.`);
    }
    out[name] = checkValue(field.node, inner, [...path, { field: name }], missing);
  }
  for (const [name, field] of message.fields) {
    if (field.required && isMissing(out[name]) && !boundNames.has(name)) {
      missing.push(formatPath([...path, { field: name }]));
    }
  }
  return out;
};

/** One discovery method, compiled: what a request to it must look like. */
interface MethodContract {
  /** The discovery id, e.g. `container.projects.locations.clusters.nodePools.setSize`. */
  readonly id: string;
  /** Upper-case HTTP method. */
  readonly httpMethod: string;
  /**
   * Checks a request; returns the body the handler should see (`undefined` when none was sent):
   * enum numbers turned into names, snake_case field names into lowerCamelCase.
   *
   * @throws SimulatorApiError INVALID_ARGUMENT naming the unknown, mistyped or missing field or
   *   required query parameter.
   */
  check(request: { query: URLSearchParams; body: unknown }): unknown;
}

/** Every method of a document (and its sub-resources), by id. */
const indexMethods = (document: DiscoveryDocument): Map<string, DiscoveryMethod> => {
  const methods = new Map<string, DiscoveryMethod>();
  const visit = (resource: DiscoveryResource): void => {
    for (const method of Object.values(resource.methods ?? {})) methods.set(method.id, method);
    for (const child of Object.values(resource.resources ?? {})) visit(child);
  };
  visit(document);
  return methods;
};

const compileMethod = (method: DiscoveryMethod, compiler: SchemaCompiler): MethodContract => {
  const parameters = Object.entries(method.parameters ?? {});
  const requiredQuery = parameters
    .filter(([, parameter]) => parameter.location === 'query' && parameter.required)
    .map(([name]) => name);
  const boundNames = new Set(parameters.map(([name]) => name));
  const request = method.request ? compiler.message(method.request.$ref) : undefined;
  return {
    id: method.id,
    httpMethod: method.httpMethod.toUpperCase(),
    check({ query, body }) {
      // Path parameters need no check here: a request only reaches this method through a route
      // whose template matched, and a template variable never matches an empty segment.
      for (const name of requiredQuery) {
        if (!query.get(name)) throw invalidArgument(`Required query parameter '${name}' is missing.`);
      }
      if (!request) return body;
      const missing: string[] = [];
      const checked = checkMessage(request, body ?? {}, [], missing, boundNames);
      if (missing.length > 0) throw invalidArgument(`Required field '${missing[0]}' is missing.`);
      return body === undefined ? undefined : checked;
    },
  };
};

interface CompileOptions {
  /** Proto enum numbers for gax-driven APIs; without them enum numbers are list positions. */
  protoEnums?: ProtoEnumTable;
}

/**
 * Compiles one method of a document, e.g. for a unit test; a service's routes are compiled by
 * {@link createServiceContract}, which shares the schemas between methods.
 *
 * @throws Error if the document has no method with this id.
 */
const compileDiscoveryMethod = (
  document: DiscoveryDocument,
  methodId: string,
  options: CompileOptions = {},
): MethodContract => {
  const method = indexMethods(document).get(methodId);
  if (!method)
    throw new Error(`Discovery document ${document.name}.${document.version} has no method ${methodId}`);
  return compileMethod(method, createSchemaCompiler(document, options.protoEnums));
};

/**
 * Where the reference discovery documents live: `../shared/reference/discovery` from the
 * repository root, resolved from this file so any working directory finds them.
 */
const defaultDiscoveryDirectory = (): string =>
  resolve(__dirname, '..', '..', '..', 'shared', 'reference', 'discovery');

/**
 * Reads one discovery document.
 *
 * @param file - the file name without `.json`, e.g. `container.v1`.
 * @throws Error if the file is missing or is not a discovery document.
 */
const loadDiscoveryDocument = (directory: string, file: string): DiscoveryDocument => {
  const path = resolve(directory, `${file}.json`);
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<DiscoveryDocument>;
  if (typeof parsed.name !== 'string' || typeof parsed.version !== 'string') {
    throw new Error(`${path} is not a discovery document (no name/version)`);
  }
  return parsed as DiscoveryDocument;
};

/** Reads the proto enum numbers of a gax-driven service, if its package is installed. */
const loadServiceProtoEnums = (service: ServiceName): ProtoEnumTable | undefined => {
  const source = PROTO_SOURCES[service];
  return source ? loadProtoEnums(source) : undefined;
};

/**
 * Splits a route's `discoveryMethod`: a method id, optionally prefixed with the API version whose
 * document defines it (`v3:cloudresourcemanager.projects.get`), for services whose versions share
 * method ids. Without the prefix the version is read from the route's path (`/v3/…`).
 */
const parseDiscoveryMethod = (discoveryMethod: string): { id: string; version?: string } => {
  const prefixed = /^([A-Za-z0-9]+):(.+)$/.exec(discoveryMethod);
  return prefixed ? { version: prefixed[1] as string, id: prefixed[2] as string } : { id: discoveryMethod };
};

const escapeRegExp = (literal: string): string => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A `{+name}` variable's pattern, from the parameter's own `pattern` (`^projects/[^/]+/…$`), with
 * its segments, like a router variable, unable to hold a `:` (which starts a custom verb).
 */
const multiSegmentPattern = (parameter: DiscoveryParameter | undefined): string => {
  const pattern = parameter?.pattern?.replace(/^\^/, '').replace(/\$$/, '');
  return pattern ? `(?:${pattern.replaceAll('[^/]', '[^/:]')})` : '.+';
};

/** A regular expression for one discovery path form; a plain variable never spans `/` or `:`. */
const pathPattern = (document: DiscoveryDocument, method: DiscoveryMethod, path: string): RegExp => {
  const template = `/${document.servicePath ?? ''}${path}`;
  let source = '';
  let last = 0;
  for (const variable of template.matchAll(/\{(\+?)([^}]+)\}/g)) {
    const name = variable[2] as string;
    const value = variable[1] === '+' ? multiSegmentPattern(method.parameters?.[name]) : '[^/:]+';
    source += `${escapeRegExp(template.slice(last, variable.index))}${value}`;
    last = variable.index + variable[0].length;
  }
  return new RegExp(`^${source}${escapeRegExp(template.slice(last))}$`);
};

/** The URL forms of a method: its `path` and, when it differs, its `flatPath`. */
const methodPatterns = (document: DiscoveryDocument, method: DiscoveryMethod): RegExp[] =>
  [...new Set([method.path, method.flatPath ?? method.path])].map((path) =>
    pathPattern(document, method, path),
  );

/** A route template with a stand-in value for each variable, to test against a method's patterns. */
const sampleRoutePath = (template: string): string => template.replace(/\{[^}]+\}/g, 'x');

/** The contract checks of one service's listener. */
interface ServiceContract {
  /**
   * Checks a request to a matched route; returns the body the handler should see. Routes without
   * `discoveryMethod`, and services without a discovery document, pass unchanged.
   */
  check(route: Route, request: { query: URLSearchParams; body: unknown }): unknown;
  /**
   * The error for a request no route matched: UNIMPLEMENTED when it is a method of the service's
   * discovery document the simulator does not serve, else NOT_FOUND, as Google answers an unknown
   * path or an unknown HTTP method on a known path.
   */
  unmatched(method: string, path: string): SimulatorApiError;
}

interface ServiceContractOptions {
  service: ServiceName;
  routes: readonly Route[];
  /** @default defaultDiscoveryDirectory() */
  directory?: string;
  /** Warns about a route whose template does not have its discovery method's path shape. */
  logger?: Logger;
}

/**
 * Compiles the checks of every route of a service that names a `discoveryMethod`.
 *
 * @throws Error if a route names a method its service's documents do not define, or whose HTTP
 *   method differs: a wrong id would otherwise silently check nothing or check the wrong thing.
 */
const createServiceContract = (options: ServiceContractOptions): ServiceContract => {
  const { service } = options;
  const logger = options.logger ?? silentLogger;
  const files = DISCOVERY_DOCUMENTS[service];
  const directory = options.directory ?? defaultDiscoveryDirectory();
  const protoEnums = files.length > 0 ? loadServiceProtoEnums(service) : undefined;
  const documents = files.map((file) => {
    const document = loadDiscoveryDocument(directory, file);
    return {
      file,
      document,
      methods: indexMethods(document),
      compiler: createSchemaCompiler(document, protoEnums),
    };
  });

  const checks = new Map<Route, MethodContract>();
  for (const route of options.routes) {
    if (route.discoveryMethod === undefined || documents.length === 0) continue;
    const { id, version } = parseDiscoveryMethod(route.discoveryMethod);
    const segments = new Set(route.template.split('/'));
    const candidates = documents.filter(
      (entry) => entry.methods.has(id) && (version === undefined || entry.document.version === version),
    );
    const chosen =
      candidates.find((entry) => segments.has(entry.document.version)) ??
      (candidates.length === 1 ? candidates[0] : undefined);
    const method = chosen?.methods.get(id);
    if (!chosen || !method) {
      throw new Error(
        `Route ${route.name} (${route.method} ${route.template}) names discovery method ` +
          `${route.discoveryMethod}, which ${candidates.length > 1 ? 'is ambiguous between' : 'is not in'} ` +
          `${files.join(', ')}`,
      );
    }
    if (method.httpMethod.toUpperCase() !== route.method.toUpperCase()) {
      throw new Error(
        `Route ${route.name} is ${route.method} ${route.template}, but discovery method ${id} is ${method.httpMethod}`,
      );
    }
    if (
      !methodPatterns(chosen.document, method).some((pattern) =>
        pattern.test(sampleRoutePath(route.template)),
      )
    ) {
      logger.warn('simulator route path differs from its discovery method', {
        route: route.name,
        template: route.template,
        discoveryMethod: route.discoveryMethod,
        discoveryPath: `/${chosen.document.servicePath ?? ''}${method.flatPath ?? method.path}`,
      });
    }
    checks.set(route, compileMethod(method, chosen.compiler));
  }

  const knownMethods = documents.flatMap(({ document, methods }) =>
    [...methods.values()].map((method) => ({
      id: method.id,
      httpMethod: method.httpMethod.toUpperCase(),
      patterns: methodPatterns(document, method),
    })),
  );

  return {
    check(route, request) {
      const contract = checks.get(route);
      return contract ? contract.check(request) : request.body;
    },
    unmatched(method, path) {
      const upper = method.toUpperCase();
      const google = knownMethods.find(
        (known) => known.httpMethod === upper && known.patterns.some((pattern) => pattern.test(path)),
      );
      if (google) {
        return new SimulatorApiError(
          'UNIMPLEMENTED',
          `The simulator's ${service} service does not implement ${google.id} (${upper} ${path}).`,
        );
      }
      return notFound(`Method not found: ${upper} ${path} is not a method of the simulated ${service} API.`);
    },
  };
};

export type {
  CompileOptions,
  DiscoveryDocument,
  DiscoveryMethod,
  DiscoverySchema,
  MethodContract,
  ServiceContract,
  ServiceContractOptions,
};
export {
  compileDiscoveryMethod,
  createServiceContract,
  DISCOVERY_DOCUMENTS,
  defaultDiscoveryDirectory,
  loadDiscoveryDocument,
  loadServiceProtoEnums,
};
