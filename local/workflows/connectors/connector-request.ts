import type { WorkflowValue } from '../engine';
import { encodeJsonText, formatDouble, fromJson, WorkflowRuntimeError } from '../engine';
import type { DiscoveryMethod } from './discovery-catalog';

/**
 * Turns a connector call's arguments into the HTTP request its Discovery method describes: path
 * parameters substituted into the path template (`{+name}` keeps its slashes), query parameters
 * appended, `body` JSON-encoded. Arguments the method does not define are refused with a
 * ValueError naming them, as Workflows refuses them, instead of being dropped silently.
 */

/** A request ready to send, relative to nothing: `url` is absolute. */
interface ConnectorHttpRequest {
  method: string;
  url: string;
  /** JSON text, when the call has a body. */
  body?: string;
}

/** Argument names that are not Discovery parameters. */
const BODY_ARGUMENT = 'body';
const CONNECTOR_PARAMS_ARGUMENT = 'connector_params';

/** A scalar as it goes into a path or query: ints as digits, doubles as Workflows prints them. */
const scalarText = (value: WorkflowValue, name: string, callName: string): string => {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return formatDouble(value).replace(/\.0$/, '');
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  throw WorkflowRuntimeError.builtin(
    'TypeError',
    `${callName}: argument ${name} must be a string, number or boolean`,
  );
};

/** `{name}` is one percent-encoded segment; `{+name}` may hold `/` (reserved expansion). */
const expandPath = (
  template: string,
  values: Map<string, WorkflowValue>,
  callName: string,
): { path: string; used: Set<string> } => {
  const used = new Set<string>();
  const path = template.replace(
    /\{(\+?)([A-Za-z_][A-Za-z0-9_]*)\}/g,
    (_match, plus: string, name: string) => {
      const value = values.get(name);
      if (value === undefined || value === null) {
        throw WorkflowRuntimeError.builtin('ValueError', `${callName}: missing required argument ${name}`);
      }
      used.add(name);
      const text = scalarText(value, name, callName);
      return plus === '+' ? text.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(text);
    },
  );
  return { path, used };
};

/**
 * Builds the request for `method` at `baseUrl` (e.g. `http://127.0.0.1:8491`) from the call's
 * arguments (plain JSON values or Workflows values).
 *
 * @throws WorkflowRuntimeError ValueError for a missing required or an unknown argument.
 */
const buildConnectorRequest = (input: {
  callName: string;
  baseUrl: string;
  servicePath: string;
  method: DiscoveryMethod;
  args: Record<string, unknown>;
}): ConnectorHttpRequest => {
  const { callName, method } = input;
  const parameters = method.parameters ?? {};
  const values = new Map<string, WorkflowValue>();
  for (const [name, raw] of Object.entries(input.args)) {
    if (name === CONNECTOR_PARAMS_ARGUMENT || raw === undefined) continue;
    if (name !== BODY_ARGUMENT && !(name in parameters)) {
      throw WorkflowRuntimeError.builtin(
        'ValueError',
        `${callName}: unknown argument ${name} (the method takes ${[...Object.keys(parameters), ...(method.request ? [BODY_ARGUMENT] : [])].join(', ') || 'no arguments'})`,
      );
    }
    values.set(name, fromJson(raw));
  }
  for (const [name, parameter] of Object.entries(parameters)) {
    if (parameter.required && (values.get(name) ?? null) === null) {
      throw WorkflowRuntimeError.builtin('ValueError', `${callName}: missing required argument ${name}`);
    }
  }

  const { path, used } = expandPath(`${input.servicePath}${method.path}`, values, callName);
  const query = new URLSearchParams();
  for (const [name, value] of values) {
    if (name === BODY_ARGUMENT || used.has(name) || value === null) continue;
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) query.append(name, scalarText(item, name, callName));
  }
  const search = query.toString();
  const body = values.get(BODY_ARGUMENT);
  return {
    method: method.httpMethod.toUpperCase(),
    url: `${input.baseUrl.replace(/\/+$/, '')}/${path}${search ? `?${search}` : ''}`,
    ...(body === undefined || body === null ? {} : { body: encodeJsonText(body) }),
  };
};

export type { ConnectorHttpRequest };
export { buildConnectorRequest };
