/**
 * A small router for Google REST paths. Templates are written as in the discovery documents'
 * `flatPath`, with named variables: `/v1/projects/{project}/locations/{location}/clusters/{cluster}`.
 * Custom methods keep their colon suffix (`…/nodePools/{nodePool}:setSize`), so a variable never
 * matches a `:` (nor a `/`): `np1:setSize` is the pool `np1` plus the verb, never a pool named so.
 */

/** What a route needs for matching. Services attach their handler and name to it. */
interface RouteSpec {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Path template with `{name}` variables. */
  readonly template: string;
}

/** A matched route and the decoded values of its template variables. */
interface RouteMatch<Route extends RouteSpec> {
  route: Route;
  params: Record<string, string>;
}

interface CompiledTemplate {
  pattern: RegExp;
  names: string[];
}

/** A route table built once; `match` is the only operation. */
interface Router<Route extends RouteSpec> {
  /** The first route whose method and template match, or `undefined`. */
  match(method: string, path: string): RouteMatch<Route> | undefined;
}

const escapeRegExp = (literal: string): string => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Turns a template into an anchored regular expression with one capture group per variable.
 *
 * @throws Error if a variable name repeats, since one of the two values would be lost.
 */
const compileTemplate = (template: string): CompiledTemplate => {
  const names: string[] = [];
  let source = '';
  let last = 0;
  for (const variable of template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    const name = variable[1] as string;
    if (names.includes(name)) throw new Error(`Route template ${template} repeats the variable {${name}}`);
    names.push(name);
    source += `${escapeRegExp(template.slice(last, variable.index))}([^/:]+)`;
    last = variable.index + variable[0].length;
  }
  source += escapeRegExp(template.slice(last));
  return { pattern: new RegExp(`^${source}$`), names };
};

/** Percent-decodes one path segment; a malformed escape is kept as sent rather than failing the request. */
const decodeSegment = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** Builds a router over `routes`; earlier routes win when two templates match the same path. */
const createRouter = <Route extends RouteSpec>(routes: readonly Route[]): Router<Route> => {
  const compiled = routes.map((route) => ({ route, ...compileTemplate(route.template) }));
  return {
    match(method, path) {
      const upper = method.toUpperCase();
      for (const candidate of compiled) {
        if (candidate.route.method !== upper) continue;
        const found = candidate.pattern.exec(path);
        if (!found) continue;
        const params: Record<string, string> = {};
        candidate.names.forEach((name, index) => {
          params[name] = decodeSegment(found[index + 1] as string);
        });
        return { route: candidate.route, params };
      }
      return undefined;
    },
  };
};

export type { CompiledTemplate, RouteMatch, Router, RouteSpec };
export { compileTemplate, createRouter };
