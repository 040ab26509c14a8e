import { http, type Request } from '@google-cloud/functions-framework';
import { loadConfig } from '../../shared/config';
import { createJsonLogger } from '../../shared/logging';
import { buildOpsApi } from '../../shared/runtime';

/** Name the function is registered (and deployed, `--entry-point`) under. */
const OPS_API_FUNCTION = 'opsApi';

/**
 * The request body as JSON: the Functions Framework parses `application/json`; a body sent with
 * another content type arrives as text or bytes and is parsed here (undefined when it is not JSON).
 */
const jsonBodyOf = (request: Request): unknown => {
  const { body } = request;
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : undefined;
  if (text === undefined) return body as unknown;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/**
 * The ops-api: a private HTTP function that runbook steps (Cloud Workflows, OIDC) call to submit
 * commands, read operations and withdraw approval requests. Wiring only; the API is
 * `shared/runtime/ops-api.ts`.
 */
const registerOpsApiFunction = (env: Record<string, string | undefined> = process.env): void => {
  const config = loadConfig(env);
  const logger = createJsonLogger({ minSeverity: config.LOG_LEVEL, labels: { function: OPS_API_FUNCTION } });
  const api = buildOpsApi(config, logger);
  http(OPS_API_FUNCTION, async (request, response) => {
    const answer = await api.handle({
      method: request.method,
      path: request.path,
      body: jsonBodyOf(request),
    });
    response.status(answer.status).json(answer.body);
  });
};

export { OPS_API_FUNCTION, registerOpsApiFunction };
