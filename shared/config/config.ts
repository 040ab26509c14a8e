import { z } from 'zod';
import { ConfigError } from '../errors';
import { SEVERITIES } from '../logging';

/**
 * Configuration, read once from an injected environment (`loadConfig(process.env)` at a composition
 * root; tests pass a literal). Missing or invalid values fail fast with a ConfigError naming the
 * variable. Precedence: the environment, then the defaults below.
 */

const hostPort = z.string().regex(/^[^:/\s]+:\d+$/, 'must be host:port');
const endpoint = z.url();
const ms = z.coerce.number().int().positive();

const ConfigSchema = z.object({
  /** The control plane's own project (Firestore, Pub/Sub). Not the platform's project. */
  GOOGLE_CLOUD_PROJECT: z.string().min(1),
  OPSPLANE_COMMANDS_TOPIC: z.string().min(3).default('ops-commands'),
  OPSPLANE_RESULTS_TOPIC: z.string().min(3).default('ops-results'),
  FIRESTORE_EMULATOR_HOST: hostPort.optional(),
  PUBSUB_EMULATOR_HOST: hostPort.optional(),
  /** Point each Google client at the platform simulator instead of Google (absent: Google). */
  OPSPLANE_CONTAINER_ENDPOINT: endpoint.optional(),
  OPSPLANE_COMPUTE_ENDPOINT: endpoint.optional(),
  OPSPLANE_SQLADMIN_ENDPOINT: endpoint.optional(),
  OPSPLANE_FILE_ENDPOINT: endpoint.optional(),
  OPSPLANE_IAM_ENDPOINT: endpoint.optional(),
  OPSPLANE_CLOUDRESOURCEMANAGER_ENDPOINT: endpoint.optional(),
  OPSPLANE_IAP_ENDPOINT: endpoint.optional(),
  OPSPLANE_SECRETMANAGER_ENDPOINT: endpoint.optional(),
  /** The GKE cluster's Kubernetes API server (Kubeflow profiles), e.g. its private endpoint. */
  OPSPLANE_KUBERNETES_ENDPOINT: endpoint.optional(),
  /** Bearer token for the Kubernetes API; locally any value (the simulator ignores it). */
  OPSPLANE_KUBERNETES_TOKEN: z.string().min(1).optional(),
  /** The cluster CA (PEM or base64 of it), GKE's masterAuth.clusterCaCertificate. */
  OPSPLANE_KUBERNETES_CA: z.string().min(1).optional(),
  OPSPLANE_POLL_INTERVAL_MS: ms.default(5000),
  /** Under the 540 s event-function timeout, with room to record the outcome. */
  /**
   * How long one invocation waits on a Google operation before parking it (the operations poller
   * resumes it). Short: a function never waits out an hour-long restore.
   */
  OPSPLANE_POLL_DEADLINE_MS: ms.default(60_000),
  /** When a parked Google operation is looked at again. */
  OPSPLANE_PARKED_POLL_MS: ms.default(30_000),
  OPSPLANE_CLAIM_TTL_MS: ms.default(600_000),
  OPSPLANE_LEASE_TTL_MS: ms.default(600_000),
  OPSPLANE_MAX_ATTEMPTS: ms.default(20),
  /**
   * Whether the notify function attaches a Google access token to outcome callbacks (Workflows
   * callback endpoints need `workflows.callbacks.send`): `google` (production) or `none` (local).
   * Even with `google`, a token goes only to OPSPLANE_CALLBACK_TOKEN_HOSTS, never to loopback.
   */
  OPSPLANE_CALLBACK_AUTH: z.enum(['google', 'none']).default('google'),
  /** Comma-separated hosts that get the token; other callback URLs are called without one. */
  OPSPLANE_CALLBACK_TOKEN_HOSTS: z.string().min(1).default('workflowexecutions.googleapis.com'),
  /** How long one callback POST may take before it counts as a transient failure. */
  OPSPLANE_CALLBACK_TIMEOUT_MS: ms.default(10_000),
  /** A callback that keeps failing transiently is retried while its outcome is younger than this. */
  OPSPLANE_CALLBACK_MAX_AGE_MS: ms.default(86_400_000),
  LOG_LEVEL: z.enum(SEVERITIES).default('INFO'),
});

type Config = Readonly<z.infer<typeof ConfigSchema>>;

const loadConfig = (env: Record<string, string | undefined>): Config => {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(`environment variable ${name}: ${issue?.message ?? 'is invalid'}`);
  }
  return Object.freeze(parsed.data);
};

export type { Config };
export { loadConfig };
