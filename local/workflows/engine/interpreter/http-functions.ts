import { WorkflowRuntimeError } from '../errors';
import type { WorkflowHttpRequest, WorkflowHttpResponse, WorkflowMap, WorkflowValue } from '../runtime-types';
import { argumentReader, type CallArguments, type StdlibFunction } from '../stdlib/stdlib-function';
import { decodeJsonText, encodeJsonText, stringify, typeName } from '../values';
import { blockingFunction, secondsArgument } from './blocking-function';

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
/** http.* timeouts: 300 s unless told, at most 1800 s (a larger one is a ValueError). */
const DEFAULT_TIMEOUT_SECONDS = 300;
const MAX_TIMEOUT_SECONDS = 1800;

const GET_PARAMS = ['url', 'headers', 'query', 'auth', 'timeout', 'private_service_name', 'ca_certificate'];
const BODY_PARAMS = [
  'url',
  'body',
  'headers',
  'query',
  'auth',
  'timeout',
  'private_service_name',
  'ca_certificate',
];
const REQUEST_PARAMS = ['method', ...BODY_PARAMS];

/** A header name as Go (and so Workflows) prints it: `content-type` → `Content-Type`. */
const canonicalHeaderName = (name: string): string =>
  name
    .toLowerCase()
    .split('-')
    .map((part) => (part ? `${part[0]?.toUpperCase()}${part.slice(1)}` : part))
    .join('-');

/** A query value as text: strings, numbers and booleans (lists repeat the key). */
const queryText = (name: string, key: string, value: WorkflowValue): string => {
  if (
    typeof value === 'string' ||
    typeof value === 'bigint' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  ) {
    return stringify(value);
  }
  throw WorkflowRuntimeError.builtin(
    'TypeError',
    `${name}: query parameter "${key}" must be a string, number, boolean or a list of them, not ${typeName(value)}`,
  );
};

/** The URL with `query` encoded and appended (after any query the URL already has). */
const urlWithQuery = (name: string, url: string, query: WorkflowValue | undefined): string => {
  if (query === undefined) return url;
  if (!(query instanceof Map)) {
    throw WorkflowRuntimeError.builtin('TypeError', `${name}: "query" must be a map, not ${typeName(query)}`);
  }
  const search = new URLSearchParams();
  for (const [key, value] of query) {
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, queryText(name, key, item));
  }
  const text = search.toString();
  if (text === '') return url;
  return `${url}${url.includes('?') ? '&' : '?'}${text}`;
};

/** The request headers as strings. */
const headersOf = (name: string, headers: WorkflowValue | undefined): Record<string, string> => {
  const result: Record<string, string> = {};
  if (headers === undefined) return result;
  if (!(headers instanceof Map)) {
    throw WorkflowRuntimeError.builtin(
      'TypeError',
      `${name}: "headers" must be a map, not ${typeName(headers)}`,
    );
  }
  for (const [key, value] of headers) {
    if (
      typeof value !== 'string' &&
      typeof value !== 'bigint' &&
      typeof value !== 'number' &&
      typeof value !== 'boolean'
    ) {
      throw WorkflowRuntimeError.builtin('TypeError', `${name}: header "${key}" must be a string`);
    }
    result[key] = stringify(value);
  }
  return result;
};

/** The header value for `name`, whatever its case. */
const headerValue = (headers: Record<string, string>, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
};

/**
 * Encodes a request body as Workflows does: bytes as they are (application/octet-stream unless a
 * Content-Type is given); with a form Content-Type a map is URL-encoded; with a text Content-Type
 * a string is sent as is; anything else is JSON (application/json; charset=utf-8 unless given).
 */
const encodeBody = (name: string, body: WorkflowValue, headers: Record<string, string>): Uint8Array => {
  const contentType = headerValue(headers, 'Content-Type');
  if (body instanceof Uint8Array) {
    if (!contentType) headers['Content-Type'] = 'application/octet-stream';
    return body;
  }
  if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded') && body instanceof Map) {
    const form = new URLSearchParams();
    for (const [key, value] of body) {
      for (const item of Array.isArray(value) ? value : [value]) form.append(key, queryText(name, key, item));
    }
    return new TextEncoder().encode(form.toString());
  }
  if (contentType && !/json/i.test(contentType) && typeof body === 'string')
    return new TextEncoder().encode(body);
  if (!contentType) headers['Content-Type'] = 'application/json; charset=utf-8';
  return new TextEncoder().encode(encodeJsonText(body));
};

/** The response body for the workflow: parsed JSON for JSON responses, else text. */
const decodeBody = (response: WorkflowHttpResponse): WorkflowValue => {
  const text = new TextDecoder().decode(response.body);
  const contentType = headerValue(response.headers, 'Content-Type') ?? '';
  if (/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType.trim())) {
    if (text.trim() === '') return null;
    try {
      return decodeJsonText(text);
    } catch {
      return text;
    }
  }
  return text;
};

/** The `auth` argument, passed on to the HTTP service (which, locally, attaches no token). */
const authOf = (name: string, auth: WorkflowValue | undefined): WorkflowHttpRequest['auth'] => {
  if (auth === undefined) return undefined;
  if (!(auth instanceof Map) || typeof auth.get('type') !== 'string') {
    throw WorkflowRuntimeError.builtin(
      'TypeError',
      `${name}: "auth" must be a map with a "type" (OIDC or OAuth2)`,
    );
  }
  const type = auth.get('type') as string;
  if (type !== 'OIDC' && type !== 'OAuth2') {
    throw WorkflowRuntimeError.builtin(
      'ValueError',
      `${name}: auth type must be OIDC or OAuth2, not "${type}"`,
    );
  }
  const scopes = auth.get('scopes') ?? auth.get('scope');
  const audience = auth.get('audience');
  return {
    type,
    ...(typeof audience === 'string' ? { audience } : {}),
    ...(typeof scopes === 'string'
      ? { scopes: scopes.split(/[\s,]+/).filter(Boolean) }
      : Array.isArray(scopes)
        ? { scopes: scopes.filter((scope): scope is string => typeof scope === 'string') }
        : {}),
  };
};

/** The result map `{body, code, headers}`; a status of 400 or more raises HttpError with the same fields. */
const resultOf = (response: WorkflowHttpResponse): WorkflowMap => {
  const headers: WorkflowMap = new Map();
  for (const [key, value] of Object.entries(response.headers)) headers.set(canonicalHeaderName(key), value);
  const body = decodeBody(response);
  const code = BigInt(response.status);
  if (response.status >= 400) {
    throw WorkflowRuntimeError.builtin(
      'HttpError',
      `HTTP server responded with error code ${response.status}`,
      {
        code,
        headers,
        body,
      },
    );
  }
  return new Map<string, WorkflowValue>([
    ['body', body],
    ['code', code],
    ['headers', headers],
  ]);
};

/** One `http.*` function: `fixedMethod` for get/post/…, from the `method` argument for request. */
const httpFunction = (name: string, params: string[], fixedMethod: string | undefined): StdlibFunction =>
  blockingFunction(name, params, fixedMethod ? 1 : 2, async (args: CallArguments, services) => {
    const read = argumentReader(name, params);
    const at = (param: string): WorkflowValue | undefined => args[params.indexOf(param)];
    const method = (fixedMethod ?? read.string(args, params.indexOf('method'))).toUpperCase();
    if (!HTTP_METHODS.has(method)) {
      throw WorkflowRuntimeError.builtin('ValueError', `${name}: unsupported HTTP method "${method}"`);
    }
    const url = read.string(args, params.indexOf('url'));
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw WorkflowRuntimeError.builtin('ValueError', `${name}: "${url}" is not a valid URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw WorkflowRuntimeError.builtin(
        'ValueError',
        `${name}: the URL must be http or https, not ${parsed.protocol}`,
      );
    }
    const timeoutMs = secondsArgument(
      name,
      'timeout',
      at('timeout'),
      DEFAULT_TIMEOUT_SECONDS,
      MAX_TIMEOUT_SECONDS,
    );
    const headers = headersOf(name, at('headers'));
    const body = params.includes('body') ? at('body') : undefined;
    const auth = authOf(name, at('auth'));
    const request: WorkflowHttpRequest = {
      method: method as WorkflowHttpRequest['method'],
      url: urlWithQuery(name, url, at('query')),
      headers,
      timeoutMs,
      ...(body !== undefined ? { body: encodeBody(name, body, headers) } : {}),
      ...(auth ? { auth } : {}),
    };
    return resultOf(await services.http(request));
  });

/** `http.get`, `http.post`, `http.put`, `http.patch`, `http.delete` and `http.request`. */
const createHttpFunctions = (): Record<string, StdlibFunction> => ({
  'http.get': httpFunction('http.get', GET_PARAMS, 'GET'),
  'http.post': httpFunction('http.post', BODY_PARAMS, 'POST'),
  'http.put': httpFunction('http.put', BODY_PARAMS, 'PUT'),
  'http.patch': httpFunction('http.patch', BODY_PARAMS, 'PATCH'),
  'http.delete': httpFunction('http.delete', BODY_PARAMS, 'DELETE'),
  'http.request': httpFunction('http.request', REQUEST_PARAMS, undefined),
});

export { canonicalHeaderName, createHttpFunctions };
