import { SimulatorApiError } from '../../../local/simulator/api-error';
import { readAutoscaling } from '../../../local/simulator/services/container';

const rejectionOf = (value: unknown): SimulatorApiError => {
  try {
    readAutoscaling(value);
  } catch (error) {
    if (error instanceof SimulatorApiError) return error;
    throw error;
  }
  throw new Error('expected readAutoscaling to throw');
};

describe('container autoscaling request', () => {
  it('stores the fields that were sent, with the location policy as its name', () => {
    // Act
    const autoscaling = readAutoscaling({
      enabled: true,
      locationPolicy: 2,
      totalMinNodeCount: 0,
      totalMaxNodeCount: '4',
    });

    // Assess
    expect(autoscaling).toEqual({
      enabled: true,
      locationPolicy: 'ANY',
      totalMinNodeCount: 0,
      totalMaxNodeCount: 4,
    });
  });

  it('treats zero limits as unset when checking per-zone against total limits', () => {
    // Act
    const autoscaling = readAutoscaling({
      enabled: true,
      minNodeCount: 0,
      maxNodeCount: 0,
      totalMaxNodeCount: 4,
    });

    // Assess
    expect(autoscaling.totalMaxNodeCount).toBe(4);
  });

  it.each([
    ['a minimum above the maximum', { minNodeCount: 3, maxNodeCount: 1 }, 'min_node_count (3)'],
    [
      'a total minimum above the total maximum',
      { totalMinNodeCount: 5, totalMaxNodeCount: 4 },
      'total_min_node_count (5)',
    ],
    ['per-zone and total limits together', { maxNodeCount: 2, totalMaxNodeCount: 4 }, 'not both'],
    ['a negative limit', { maxNodeCount: -1 }, 'non-negative'],
    ['an unknown field', { maxNodes: 2 }, 'Unknown name "maxNodes"'],
    ['an unknown location policy', { locationPolicy: 'NEAREST' }, 'location_policy'],
  ])('rejects %s with INVALID_ARGUMENT', (_case, autoscaling, message) => {
    // Act
    const error = rejectionOf({ enabled: true, ...autoscaling });

    // Assess
    expect(error.status).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(message);
  });

  it('rejects a request without autoscaling', () => {
    // Act
    const error = rejectionOf(undefined);

    // Assess
    expect(error.status).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('autoscaling');
  });
});
