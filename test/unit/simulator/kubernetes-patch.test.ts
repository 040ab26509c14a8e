import { KubernetesApiError } from '../../../local/simulator/services/kubernetes-errors';
import { applyJsonPatch, applyMergePatch } from '../../../local/simulator/services/kubernetes-patch';

const PROFILE = {
  metadata: { name: 'p', labels: { team: 'nlp' } },
  spec: {
    resourceQuotaSpec: { hard: { 'requests.cpu': '8', 'requests.nvidia.com/gpu': '1' } },
    plugins: [{ kind: 'A' }],
  },
};

describe('kubernetes-patch', () => {
  it('merges objects key by key, deletes on null and replaces lists whole (RFC 7386)', () => {
    // Act
    const merged = applyMergePatch(PROFILE, {
      metadata: { labels: { team: null, offboarding: 'pending' } },
      spec: { resourceQuotaSpec: { hard: { 'requests.nvidia.com/gpu': '2' } }, plugins: [{ kind: 'B' }] },
    });

    // Assess
    expect(merged).toEqual({
      metadata: { name: 'p', labels: { offboarding: 'pending' } },
      spec: {
        resourceQuotaSpec: { hard: { 'requests.cpu': '8', 'requests.nvidia.com/gpu': '2' } },
        plugins: [{ kind: 'B' }],
      },
    });
    expect(PROFILE.metadata.labels).toEqual({ team: 'nlp' });
  });

  it('applies add, replace, remove, move, copy and test operations (RFC 6902)', () => {
    // Act
    const patched = applyJsonPatch(PROFILE, [
      { op: 'test', path: '/metadata/labels/team', value: 'nlp' },
      { op: 'add', path: '/metadata/labels/a~1b', value: 'x' },
      { op: 'replace', path: '/spec/resourceQuotaSpec/hard/requests.cpu', value: '16' },
      { op: 'add', path: '/spec/plugins/-', value: { kind: 'C' } },
      { op: 'remove', path: '/spec/plugins/0' },
      { op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' },
      { op: 'move', from: '/metadata/labels/team', path: '/metadata/labels/owner-team' },
    ]);

    // Assess
    expect(patched).toEqual({
      metadata: { name: 'p', labels: { 'a/b': 'x', name: 'p', 'owner-team': 'nlp' } },
      spec: {
        resourceQuotaSpec: { hard: { 'requests.cpu': '16', 'requests.nvidia.com/gpu': '1' } },
        plugins: [{ kind: 'C' }],
      },
    });
  });

  it('refuses a failed test and a missing path with 422', () => {
    // Act
    const failedTest = (): unknown =>
      applyJsonPatch(PROFILE, [{ op: 'test', path: '/metadata/name', value: 'q' }]);
    const missing = (): unknown =>
      applyJsonPatch(PROFILE, [{ op: 'replace', path: '/status/phase', value: 'x' }]);

    // Assess
    for (const attempt of [failedTest, missing]) {
      expect(attempt).toThrow(KubernetesApiError);
      try {
        attempt();
      } catch (error) {
        expect((error as KubernetesApiError).code).toBe(422);
      }
    }
  });
});
