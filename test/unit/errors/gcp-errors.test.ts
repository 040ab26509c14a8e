import {
  fromGcpError,
  GcpError,
  NotFoundError,
  ResourceBusyError,
  StateConflictError,
} from '../../../shared/errors';

/** The shapes Google clients actually throw (api-contracts §0), and what each becomes. */
describe('fromGcpError', () => {
  const gkeConflict = 'Cluster is running incompatible operation operation-1748804402118-6f1e2d3c.';
  it.each([
    [
      'a gax 6 GoogleError, FAILED_PRECONDITION about a running operation',
      { code: 9, message: `9 FAILED_PRECONDITION: ${gkeConflict}` },
      ResourceBusyError,
      true,
    ],
    [
      'a gax 5 GaxiosError with the JSON body as its message',
      {
        code: 400,
        status: 400,
        message: JSON.stringify({
          error: { code: 400, message: gkeConflict, status: 'FAILED_PRECONDITION' },
        }),
      },
      ResourceBusyError,
      true,
    ],
    [
      'Cloud SQL 409 operationInProgress',
      {
        status: 409,
        message: 'Operation failed because another operation was already in progress.',
        response: {
          data: { error: { code: 409, message: 'in progress', errors: [{ reason: 'operationInProgress' }] } },
        },
      },
      ResourceBusyError,
      true,
    ],
    ['gRPC UNAVAILABLE', { code: 14, message: '14 UNAVAILABLE: try again' }, GcpError, true],
    ['HTTP 503 from gaxios', { status: 503, message: 'Service Unavailable' }, GcpError, true],
    ['HTTP 429', { status: 429, message: 'Too Many Requests' }, GcpError, true],
    ['a connection reset', { code: 'ECONNRESET', message: 'socket hang up' }, GcpError, true],
    [
      'IAM 409 ABORTED on a stale etag',
      {
        status: 409,
        message: 'There were concurrent policy changes.',
        response: {
          data: { error: { code: 409, status: 'ABORTED', message: 'There were concurrent policy changes.' } },
        },
      },
      StateConflictError,
      true,
    ],
    ['gRPC NOT_FOUND', { code: 5, message: '5 NOT_FOUND: no pool' }, NotFoundError, false],
    ['INVALID_ARGUMENT', { code: 3, message: '3 INVALID_ARGUMENT: min > max' }, GcpError, false],
    [
      'FAILED_PRECONDITION unrelated to operations',
      { code: 9, message: '9 FAILED_PRECONDITION: Precondition check failed.' },
      GcpError,
      false,
    ],
    ['HTTP 403', { status: 403, message: 'Permission denied' }, GcpError, false],
  ])('maps %s', (_case, thrown, type, retryable) => {
    const error = fromGcpError(thrown, 'setSize pool');
    expect(error).toBeInstanceOf(type);
    expect(error.retryable).toBe(retryable);
    expect(error.message).toMatch(/^setSize pool: /);
    expect(error.cause).toBe(thrown);
  });
});
