import { SimulatorApiError } from '../../../local/simulator/api-error';
import { readBool, readEnum, readInt32, readMessage } from '../../../local/simulator/request-fields';

const POLICIES = ['LOCATION_POLICY_UNSPECIFIED', 'BALANCED', 'ANY'] as const;
const POLICY_TYPE = 'google.container.v1.NodePoolAutoscaling.LocationPolicy';

/** Runs `read` and returns the SimulatorApiError it throws. */
const apiErrorOf = (read: () => unknown): SimulatorApiError => {
  try {
    read();
  } catch (error) {
    if (error instanceof SimulatorApiError) return error;
    throw error;
  }
  throw new Error('expected a SimulatorApiError');
};

describe('request-fields', () => {
  it('reads enums sent as numbers or as names and returns the name', () => {
    // Act
    const values = [
      readEnum(2, 'autoscaling.locationPolicy', POLICIES, POLICY_TYPE),
      readEnum('BALANCED', 'autoscaling.locationPolicy', POLICIES, POLICY_TYPE),
      readEnum(undefined, 'autoscaling.locationPolicy', POLICIES, POLICY_TYPE),
    ];

    // Assess
    expect(values).toEqual(['ANY', 'BALANCED', undefined]);
  });

  it('rejects an enum number out of range with INVALID_ARGUMENT naming the field', () => {
    // Act
    const error = apiErrorOf(() => readEnum(7, 'autoscaling.locationPolicy', POLICIES, POLICY_TYPE));

    // Assess
    expect(error.status).toBe('INVALID_ARGUMENT');
    expect(error.httpStatus).toBe(400);
    expect(error.message).toBe(
      `Invalid value at 'autoscaling.location_policy' (type.googleapis.com/${POLICY_TYPE}), 7`,
    );
  });

  it('reads int32 values sent as numbers or decimal strings', () => {
    // Act
    const values = [readInt32(3, 'nodeCount'), readInt32('4', 'nodeCount'), readInt32(null, 'nodeCount')];

    // Assess
    expect(values).toEqual([3, 4, undefined]);
  });

  it('rejects fractions, non-numbers and out-of-range int32 values', () => {
    // Act
    const errors = [1.5, 'two', true, 2 ** 31].map((value) =>
      apiErrorOf(() => readInt32(value, 'nodeCount')),
    );

    // Assess
    expect(errors.map((error) => error.status)).toEqual([
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
    ]);
    expect(errors[0]?.message).toBe(`Invalid value at 'node_count' (TYPE_INT32), 1.5`);
  });

  it('reads booleans and rejects other types', () => {
    // Act
    const value = readBool(true, 'autoscaling.enabled');
    const error = apiErrorOf(() => readBool('yes', 'autoscaling.enabled'));

    // Assess
    expect(value).toBe(true);
    expect(error.message).toContain(`'autoscaling.enabled'`);
  });

  it('accepts snake_case field names and keys the result in lowerCamelCase', () => {
    // Act
    const message = readMessage({ node_count: 2, name: 'x' }, ['nodeCount', 'name']);

    // Assess
    expect(message).toEqual({ nodeCount: 2, name: 'x' });
  });

  it('rejects a field the message does not define, naming it and where it is', () => {
    // Act
    const topLevel = apiErrorOf(() => readMessage({ nodeCounts: 2 }, ['nodeCount']));
    const nested = apiErrorOf(() => readMessage({ maxNodes: 2 }, ['maxNodeCount'], 'autoscaling'));

    // Assess
    expect(topLevel.message).toBe(
      'Invalid JSON payload received. Unknown name "nodeCounts": Cannot find field.',
    );
    expect(nested.message).toBe(
      `Invalid JSON payload received. Unknown name "maxNodes" at 'autoscaling': Cannot find field.`,
    );
  });

  it('reads an absent message as empty and rejects a non-object', () => {
    // Act
    const absent = readMessage(undefined, ['nodeCount']);
    const error = apiErrorOf(() => readMessage([1], ['nodeCount']));

    // Assess
    expect(absent).toEqual({});
    expect(error.status).toBe('INVALID_ARGUMENT');
  });
});
