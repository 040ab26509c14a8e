import { GcpError, NotFoundError, StateConflictError } from '../../../shared/errors';
import {
  contributorBindingName,
  createKubeflowApi,
  fromKubernetesError,
  type KubeflowClients,
} from '../../../shared/gcp/kubeflow-api';

/** An ApiException as client-node v2 throws it: HTTP `code`, the response text as `body`. */
const apiException = (code: number, reason: string, message: string): Error =>
  Object.assign(new Error(`HTTP-Code: ${code}`), {
    code,
    body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message }),
    headers: {},
  });

describe('contributorBindingName', () => {
  it('dashes the email as kfam does', () => {
    // Act
    const name = contributorBindingName('Liam.O_Brien+ml@acme.ai', 'edit');

    // Assess
    expect(name).toBe('user-liam-o-brien-ml-acme-ai-clusterrole-edit');
  });
});

describe('fromKubernetesError', () => {
  it.each([
    [404, 'NotFound', NotFoundError, 'NOT_FOUND', false],
    [409, 'Conflict', StateConflictError, 'STATE_CONFLICT', true],
    [409, 'AlreadyExists', GcpError, 'GCP_REJECTED', false],
    [422, 'Invalid', GcpError, 'GCP_REJECTED', false],
    [429, 'TooManyRequests', GcpError, 'GCP_UNAVAILABLE', true],
    [503, 'ServiceUnavailable', GcpError, 'GCP_UNAVAILABLE', true],
  ])('maps HTTP %i %s to its control-plane error', (code, reason, type, expectedCode, retryable) => {
    // Act
    const error = fromKubernetesError(apiException(code, reason, 'the message'), 'read thing');

    // Assess
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code: expectedCode, retryable, message: 'read thing: the message' });
  });

  it('maps a refused connection to a retryable error', () => {
    // Prepare
    const fetchFailure = new TypeError('fetch failed', {
      cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
    });

    // Act
    const error = fromKubernetesError(fetchFailure, 'list profiles');

    // Assess
    expect(error).toMatchObject({ code: 'GCP_UNAVAILABLE', retryable: true });
  });
});

describe('createKubeflowApi', () => {
  it('keeps the owner binding when removing a contributor', async () => {
    // Prepare
    const deleteNamespacedRoleBinding = jest.fn().mockResolvedValue({});
    const listNamespacedRoleBinding = jest.fn().mockResolvedValue({
      items: [
        {
          metadata: {
            name: 'namespaceAdmin',
            namespace: 'ana',
            annotations: { user: 'ana@acme.ai', role: 'admin' },
            ownerReferences: [{ kind: 'Profile', name: 'ana', controller: true }],
          },
          roleRef: { name: 'kubeflow-admin' },
        },
        {
          metadata: {
            name: 'user-ana-acme-ai-clusterrole-view',
            namespace: 'ana',
            annotations: { user: 'ana@acme.ai' },
          },
          roleRef: { name: 'kubeflow-view' },
        },
      ],
      metadata: {},
    });
    const clients = {
      rbac: { listNamespacedRoleBinding, deleteNamespacedRoleBinding },
    } as unknown as KubeflowClients;
    const api = createKubeflowApi(() => clients);

    // Act
    const result = await api.removeContributor('ana', 'ana@acme.ai');

    // Assess
    expect(result).toEqual({ removed: ['user-ana-acme-ai-clusterrole-view'] });
    expect(deleteNamespacedRoleBinding).toHaveBeenCalledTimes(1);
  });

  it('follows continue tokens until the last page', async () => {
    // Prepare
    const listClusterCustomObject = jest
      .fn()
      .mockResolvedValueOnce({ items: [{ metadata: { name: 'a' }, spec: {} }], metadata: { continue: 't1' } })
      .mockResolvedValueOnce({ items: [{ metadata: { name: 'b' }, spec: {} }], metadata: {} });
    const clients = { customObjects: { listClusterCustomObject } } as unknown as KubeflowClients;
    const api = createKubeflowApi(() => clients);

    // Act
    const profiles = await api.listProfiles();

    // Assess
    expect(profiles.map((profile) => profile.name)).toEqual(['a', 'b']);
    expect(listClusterCustomObject).toHaveBeenLastCalledWith(expect.objectContaining({ _continue: 't1' }));
  });

  it('refuses a role other than edit or view before calling the cluster', async () => {
    // Prepare
    const createNamespacedRoleBinding = jest.fn();
    const clients = { rbac: { createNamespacedRoleBinding } } as unknown as KubeflowClients;
    const api = createKubeflowApi(() => clients);

    // Act
    const failure = api.addContributor('ns', 'a@acme.ai', 'admin' as never);

    // Assess
    await expect(failure).rejects.toMatchObject({ code: 'INVALID_COMMAND', field: 'role' });
    expect(createNamespacedRoleBinding).not.toHaveBeenCalled();
  });
});
