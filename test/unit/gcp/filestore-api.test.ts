import { ControlPlaneError, GcpError } from '../../../shared/errors';
import {
  createFilestoreApi,
  type FilestoreApi,
  type FilestoreClient,
  type FilestoreOperationView,
  filestoreBackupPath,
  filestoreInstancePath,
  filestoreRegionOf,
  filestoreResourceKey,
  filestoreSnapshotPath,
  tierSupportsInPlaceRestore,
  tierSupportsSnapshots,
  waitForFilestoreOperation,
} from '../../../shared/gcp/filestore-api';
import { ManualClock } from '../../../shared/time';

/**
 * The pure parts of the Filestore adapter and its decoding of what the client returns, with a
 * hand-made client. The wire behaviour is covered against the simulator in
 * test/integration/gcp/filestore-api.test.ts.
 */

const OPERATION = 'projects/p1/locations/us-central1/operations/operation-1';
const REF = { projectId: 'p1', location: 'us-central1-a', instance: 'home' };

/** An Any as gax hands it over: the type URL and the packed bytes. */
const packed = (typeUrl: string) => ({ type_url: `type.googleapis.com/${typeUrl}`, value: Buffer.from([1]) });

/** A client whose only answers are `methods`; decoders hand back `decoded` for the type they decode. */
const fakeClient = (
  methods: Record<string, (...args: unknown[]) => Promise<unknown>>,
  decoded: Record<string, Record<string, unknown>> = {},
): FilestoreClient => {
  const descriptor = (response: string) => ({
    responseDecoder: () => ({ toJSON: () => decoded[response] ?? {} }),
    metadataDecoder: () => ({ toJSON: () => decoded.metadata ?? {} }),
  });
  return {
    ...methods,
    descriptors: {
      longrunning: {
        createBackup: descriptor('Backup'),
        createSnapshot: descriptor('Snapshot'),
        restoreInstance: descriptor('Instance'),
      },
    },
  } as unknown as FilestoreClient;
};

const rejection = async (promise: Promise<unknown>): Promise<ControlPlaneError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ControlPlaneError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
};

describe('Filestore resource names and tiers', () => {
  it('builds instance, backup and snapshot paths from refs', () => {
    // Act
    const paths = [
      filestoreInstancePath(REF),
      filestoreBackupPath({ projectId: 'p1', location: 'us-central1', backup: 'b1' }),
      filestoreSnapshotPath({ ...REF, snapshot: 's1' }),
    ];

    // Assess
    expect(paths).toEqual([
      'projects/p1/locations/us-central1-a/instances/home',
      'projects/p1/locations/us-central1/backups/b1',
      'projects/p1/locations/us-central1-a/instances/home/snapshots/s1',
    ]);
  });

  it('maps a zone to its region and leaves regions and the wildcard alone', () => {
    // Act
    const regions = ['us-central1-a', 'northamerica-northeast1-c', 'europe-west4', '-'].map(
      filestoreRegionOf,
    );

    // Assess
    expect(regions).toEqual(['us-central1', 'northamerica-northeast1', 'europe-west4', '-']);
  });

  it('keys resources without the project so id- and number-named answers compare equal', () => {
    // Act
    const byId = filestoreResourceKey('projects/acme-ml-prod/locations/us-central1-a/instances/home');
    const byNumber = filestoreResourceKey('projects/734118209551/locations/us-central1-a/instances/home');

    // Assess
    expect(byId).toBe('us-central1-a/instances/home');
    expect(byNumber).toBe(byId);
  });

  it('allows snapshots on ZONAL, REGIONAL and ENTERPRISE and in-place restore on Basic tiers only', () => {
    // Prepare
    const tiers = ['BASIC_HDD', 'BASIC_SSD', 'STANDARD', 'ZONAL', 'REGIONAL', 'ENTERPRISE', 'HIGH_SCALE_SSD'];

    // Act
    const snapshots = tiers.filter(tierSupportsSnapshots);
    const inPlace = tiers.filter(tierSupportsInPlaceRestore);

    // Assess
    expect(snapshots).toEqual(['ZONAL', 'REGIONAL', 'ENTERPRISE']);
    expect(inPlace).toEqual(['BASIC_HDD', 'BASIC_SSD', 'STANDARD']);
  });
});

describe('createFilestoreApi decoding', () => {
  it('decodes a done operation: metadata, result type and the result with int64 numbers and ISO times', async () => {
    // Prepare
    const client = fakeClient(
      {
        getOperation: async () => [
          {
            name: OPERATION,
            done: true,
            metadata: packed('google.cloud.common.OperationMetadata'),
            response: packed('google.cloud.filestore.v1.Backup'),
            result: 'response',
          },
        ],
      },
      {
        metadata: {
          target: 'projects/p1/locations/us-central1/backups/b1',
          verb: 'create',
          createTime: { seconds: '1772424000' },
          endTime: { seconds: '1772425111', nanos: 500_000_000 },
        },
        Backup: { name: 'b1', state: 'READY', capacityGb: '1024', createTime: { seconds: '1772424000' } },
      },
    );
    const api = createFilestoreApi(() => client);

    // Act
    const view = await api.getOperation(OPERATION);

    // Assess
    expect(view).toEqual({
      name: OPERATION,
      done: true,
      target: 'projects/p1/locations/us-central1/backups/b1',
      verb: 'create',
      createTime: '2026-03-02T04:00:00.000Z',
      endTime: '2026-03-02T04:18:31.500Z',
      responseType: 'Backup',
      response: { name: 'b1', state: 'READY', capacityGb: 1024, createTime: '2026-03-02T04:00:00.000Z' },
    });
  });

  it('reports an operation error as its code and message and reads no result', async () => {
    // Prepare
    const client = fakeClient({
      getOperation: async () => [
        { name: OPERATION, done: true, error: { code: 9, message: 'source gone', details: [] } },
      ],
    });
    const api = createFilestoreApi(() => client);

    // Act
    const view = await api.getOperation(OPERATION);

    // Assess
    expect(view).toEqual({ name: OPERATION, done: true, error: { code: 9, message: 'source gone' } });
  });

  it('turns a gax error into a retryable ControlPlaneError naming the call', async () => {
    // Prepare
    const client = fakeClient({
      getOperation: async () => {
        throw Object.assign(new Error('Quota exceeded'), { code: 8 });
      },
    });
    const api = createFilestoreApi(() => client);

    // Act
    const error = await rejection(api.getOperation(OPERATION));

    // Assess
    expect(error).toMatchObject({ code: 'GCP_UNAVAILABLE', retryable: true });
    expect(error.message).toBe(`read operation ${OPERATION}: Quota exceeded`);
  });

  it('words an INVALID_ARGUMENT snapshot refusal for a Basic tier as a tier without snapshots', async () => {
    // Prepare
    const client = fakeClient({
      createSnapshot: async () => {
        throw Object.assign(new Error('Snapshots are not supported for BASIC_SSD tier instances.'), {
          code: 3,
        });
      },
    });
    const api = createFilestoreApi(() => client);

    // Act
    const error = await rejection(api.startSnapshot(REF, { snapshotId: 's1' }));

    // Assess
    expect(error).toBeInstanceOf(GcpError);
    expect(error).toMatchObject({ code: 'GCP_REJECTED', retryable: false, status: 'INVALID_ARGUMENT' });
    expect(error.message).toContain('tier (BASIC_SSD) does not support snapshots');
  });

  it('leaves another snapshot precondition failure worded as Google sent it', async () => {
    // Prepare
    const client = fakeClient({
      createSnapshot: async () => {
        throw Object.assign(
          new Error('Cannot create a snapshot: instance x is CREATING; it must be READY.'),
          {
            code: 9,
          },
        );
      },
    });
    const api = createFilestoreApi(() => client);

    // Act
    const error = await rejection(api.startSnapshot(REF, { snapshotId: 's1' }));

    // Assess
    expect(error.message).not.toContain('does not support snapshots');
    expect(error).toMatchObject({ code: 'GCP_REJECTED', status: 'FAILED_PRECONDITION' });
  });

  it('refuses a backup listing that left locations unreachable, as retryable', async () => {
    // Prepare
    const client = fakeClient({
      listBackups: async () => [
        [{ name: 'projects/p1/locations/us-central1/backups/b1' }],
        null,
        { unreachable: ['europe-west4'] },
      ],
    });
    const api = createFilestoreApi(() => client);

    // Act
    const error = await rejection(api.listBackups('p1', '-'));

    // Assess
    expect(error).toMatchObject({ code: 'GCP_UNAVAILABLE', retryable: true });
    expect(error.message).toContain('europe-west4');
  });

  it('sends a backup to the region of its instance zone with the share and labels', async () => {
    // Prepare
    const requests: unknown[] = [];
    const client = fakeClient({
      createBackup: async (request) => {
        requests.push(request);
        return [{ latestResponse: { name: OPERATION, done: false } }];
      },
    });
    const api = createFilestoreApi(() => client);

    // Act
    const view = await api.startBackup(REF, { backupId: 'b1', share: 'home', labels: { schedule: 'daily' } });

    // Assess
    expect(view).toEqual({ name: OPERATION, done: false });
    expect(requests).toEqual([
      {
        parent: 'projects/p1/locations/us-central1',
        backupId: 'b1',
        backup: {
          sourceInstance: 'projects/p1/locations/us-central1-a/instances/home',
          sourceFileShare: 'home',
          labels: { schedule: 'daily' },
        },
      },
    ]);
  });
});

describe('waitForFilestoreOperation', () => {
  /** An api whose operation is done from the `doneOnPoll`-th read on, optionally with an error. */
  const scripted = (doneOnPoll: number, error?: { code: number; message: string }) => {
    let polls = 0;
    const api: Pick<FilestoreApi, 'getOperation'> = {
      async getOperation(name): Promise<FilestoreOperationView> {
        polls += 1;
        const done = polls >= doneOnPoll;
        return { name, done, ...(done && error ? { error } : {}) };
      },
    };
    return { api, polls: () => polls };
  };

  it('polls every interval until the operation is done', async () => {
    // Prepare
    const { api, polls } = scripted(3);
    const clock = new ManualClock('2026-01-01T00:00:00Z');

    // Act
    const op = await waitForFilestoreOperation(api, OPERATION, clock, {
      intervalMs: 10_000,
      deadlineMs: 60_000,
    });

    // Assess
    expect(op.done).toBe(true);
    expect(polls()).toBe(3);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:20.000Z');
  });

  it('throws OPERATION_FAILED with the message when the operation ended in an error', async () => {
    // Prepare
    const { api } = scripted(1, { code: 13, message: 'boom' });

    // Act
    const error = await rejection(
      waitForFilestoreOperation(api, OPERATION, new ManualClock(), { intervalMs: 1, deadlineMs: 10 }),
    );

    // Assess
    expect(error).toMatchObject({ code: 'OPERATION_FAILED', retryable: false });
    expect(error.message).toBe(`operation ${OPERATION} failed: boom`);
  });

  it('throws a retryable OPERATION_PENDING once the deadline has passed', async () => {
    // Prepare
    const { api, polls } = scripted(Number.POSITIVE_INFINITY);

    // Act
    const error = await rejection(
      waitForFilestoreOperation(api, OPERATION, new ManualClock(), {
        intervalMs: 10_000,
        deadlineMs: 30_000,
      }),
    );

    // Assess
    expect(error).toMatchObject({
      code: 'OPERATION_PENDING',
      retryable: true,
      details: { operationName: OPERATION },
    });
    expect(polls()).toBe(4);
  });
});
