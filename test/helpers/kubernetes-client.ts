import type * as KubernetesClientModule from '@kubernetes/client-node';
import { notFound } from '../../local/simulator/api-error';
import type { ServiceAccountPolicyEditor } from '../../local/simulator/services/service-account-policies';
import { loadKubernetesClientModule } from '../../shared/gcp/kubeflow-clients';

/**
 * @kubernetes/client-node v2 pointed at the simulator's Kubernetes endpoint, and an in-memory
 * stand-in for the IAM service's ServiceAccountPolicyEditor.
 *
 * The package is ESM only, and jest's module system cannot load it: ts-jest compiles to CommonJS,
 * where `import()` becomes jest's `require`, which refuses an ES module. A dynamic `import()` hidden
 * from TypeScript worked locally but failed in CI ("Test environment has been torn down": the
 * import goes through the callback of whichever jest runtime first compiled the helper). So it is
 * loaded as production loads it (`loadKubernetesClientModule` in shared/gcp/kubeflow-clients.ts):
 * by Node's own `require` (Node 22 requires ES modules natively), outside jest's sandbox. It lives
 * in the main realm, once per worker, with Node's own `Symbol.dispose` that its undici fetch needs.
 */

/** The @kubernetes/client-node module, as loaded at run time. */
type KubernetesClient = typeof KubernetesClientModule;

/** The typed API clients a test drives, plus the module (for `PatchStrategy`, `setHeaderOptions`). */
interface KubernetesClients {
  client: KubernetesClient;
  core: KubernetesClientModule.CoreV1Api;
  rbac: KubernetesClientModule.RbacAuthorizationV1Api;
  customObjects: KubernetesClientModule.CustomObjectsApi;
}

/** A `Status` body as a test reads it from a failed call. */
interface FailureStatus {
  code: number;
  reason: string;
  message: string;
}

/** Loads @kubernetes/client-node as production does, with Node's own `require` (see the file comment). */
const loadKubernetesClient = async (): Promise<KubernetesClient> => loadKubernetesClientModule();

/**
 * Clients for a simulated cluster at `endpoint` (plain HTTP: client-node allows it only with
 * `skipTLSVerify`). A fake bearer token is sent and ignored.
 *
 * @param endpoint - e.g. `simulator.endpoints.kubernetes` (`http://127.0.0.1:PORT`).
 */
const kubernetesClientsFor = async (endpoint: string): Promise<KubernetesClients> => {
  const client = await loadKubernetesClient();
  const kubeConfig = new client.KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'sim', server: endpoint, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'fake' }],
    contexts: [{ name: 'sim', cluster: 'sim', user: 'u' }],
    currentContext: 'sim',
  });
  return {
    client,
    core: kubeConfig.makeApiClient(client.CoreV1Api),
    rbac: kubeConfig.makeApiClient(client.RbacAuthorizationV1Api),
    customObjects: kubeConfig.makeApiClient(client.CustomObjectsApi),
  };
};

/**
 * The `Status` of a failed client call. client-node v2 throws an ApiException whose `body` is the
 * response text, so the Status is parsed from it.
 *
 * @throws the error itself when it is not an ApiException with a Status body.
 */
const failureStatusOf = (error: unknown): FailureStatus => {
  const body = (error as { body?: unknown }).body;
  if (typeof body !== 'string') throw error;
  const status = JSON.parse(body) as FailureStatus & { kind?: string };
  if (status.kind !== 'Status') throw error;
  return { code: status.code, reason: status.reason, message: status.message };
};

/** Runs a call expected to fail and returns its `Status`; fails the test if the call succeeds. */
const expectFailure = async (call: Promise<unknown>): Promise<FailureStatus> => {
  try {
    await call;
  } catch (error) {
    return failureStatusOf(error);
  }
  throw new Error('Expected the Kubernetes call to fail, but it succeeded');
};

/** One call the fake policy editor received. */
interface PolicyEditorCall {
  operation: 'addBinding' | 'removeBinding';
  serviceAccountEmail: string;
  role: string;
  member: string;
}

/** A ServiceAccountPolicyEditor over plain maps, recording every call. */
interface FakePolicyEditor extends ServiceAccountPolicyEditor {
  /** Members of `role` on the service account, in grant order. */
  members(serviceAccountEmail: string, role: string): string[];
  readonly calls: PolicyEditorCall[];
  /** Forgets every binding and call, as a reset of the IAM service would. */
  reset(): void;
}

/**
 * An in-memory policy editor knowing the given service accounts; any other email is NOT_FOUND, as
 * the IAM service answers.
 */
const createFakePolicyEditor = (serviceAccountEmails: readonly string[]): FakePolicyEditor => {
  const policies = new Map<string, Map<string, string[]>>();
  const calls: PolicyEditorCall[] = [];
  const reset = (): void => {
    calls.length = 0;
    for (const email of serviceAccountEmails) policies.set(email, new Map());
  };
  reset();
  const policyOf = (email: string): Map<string, string[]> => {
    const policy = policies.get(email);
    if (!policy) throw notFound(`Service account projects/-/serviceAccounts/${email} does not exist.`);
    return policy;
  };
  return {
    calls,
    reset,
    addBinding(serviceAccountEmail, role, member) {
      calls.push({ operation: 'addBinding', serviceAccountEmail, role, member });
      const policy = policyOf(serviceAccountEmail);
      const members = policy.get(role) ?? [];
      if (!members.includes(member)) policy.set(role, [...members, member]);
    },
    removeBinding(serviceAccountEmail, role, member) {
      calls.push({ operation: 'removeBinding', serviceAccountEmail, role, member });
      const policy = policyOf(serviceAccountEmail);
      policy.set(
        role,
        (policy.get(role) ?? []).filter((candidate) => candidate !== member),
      );
    },
    members: (serviceAccountEmail, role) => [...(policyOf(serviceAccountEmail).get(role) ?? [])],
  };
};

export type { FailureStatus, FakePolicyEditor, KubernetesClient, KubernetesClients, PolicyEditorCall };
export { createFakePolicyEditor, expectFailure, failureStatusOf, kubernetesClientsFor, loadKubernetesClient };
