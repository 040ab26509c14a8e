import { keyOf, runRunbook, succeeds } from './runbook-harness';

/** workflows/sql-pitr-clone.workflows.yaml on the local engine, against a fake ops-api. */

const ARGS = {
  instance: 'acme-metaflow-pg-2',
  pointInTime: '2026-03-02T12:00:00Z',
  targetInstance: 'acme-metaflow-pg-pitr-0302',
};
const cloneResult = {
  source: 'acme-metaflow-pg-2',
  instance: 'acme-metaflow-pg-pitr-0302',
  pointInTime: '2026-03-02T12:00:00Z',
  state: { before: null, after: 'RUNNABLE' },
  databaseVersion: 'POSTGRES_15',
  connectionName: 'acme-ml-prod:us-central1:acme-metaflow-pg-pitr-0302',
  cutOver: 'point the Cloud SQL proxy at acme-ml-prod:us-central1:acme-metaflow-pg-pitr-0302 …',
};

describe('sql-pitr-clone runbook', () => {
  it('clones at the point in time, verifies the clone and says how to cut over', async () => {
    // Act
    const run = await runRunbook('sql-pitr-clone', ARGS, {
      script: () => [{ afterMs: 40 * 60_000, status: 'succeeded', result: cloneResult }],
    });

    // Assert
    expect(run.outcome.state).toBe('SUCCEEDED');
    expect(run.opsApi.commands).toEqual([
      expect.objectContaining({ type: 'sql.clone', args: ARGS, idempotencyKey: keyOf('clone') }),
    ]);
    expect(run.connectorCalls).toEqual([
      {
        name: 'googleapis.sqladmin.v1.instances.get',
        args: { project: 'acme-ml-prod', instance: 'acme-metaflow-pg-pitr-0302' },
      },
    ]);
    expect(run.result).toMatchObject({
      source: 'acme-metaflow-pg-2',
      instance: 'acme-metaflow-pg-pitr-0302',
      operationId: keyOf('clone'),
      state: 'RUNNABLE',
      databaseVersion: 'POSTGRES_15',
      cutover: {
        connectionName: cloneResult.connectionName,
        note: cloneResult.cutOver,
        cleanup: expect.stringMatching(/^Delete acme-metaflow-pg-pitr-0302 when it is no longer needed \(A3/),
      },
    });
    const cutover = run.result?.cutover as { steps: string[] } | undefined;
    expect(cutover?.steps).toHaveLength(3);
    expect(cutover?.steps[1]).toBe(
      'Point the Cloud SQL proxy at acme-ml-prod:us-central1:acme-metaflow-pg-pitr-0302 (KFP: pipeline-install-config gcsCloudSqlInstanceName; Metaflow: the proxy sidecar -instances=).',
    );
  });

  it('ends FAILED when the clone is not RUNNABLE', async () => {
    // Act
    const run = await runRunbook('sql-pitr-clone', ARGS, {
      script: () => succeeds(cloneResult),
      connector: () => ({ state: 'PENDING_CREATE' }),
    });

    // Assert
    expect(run.outcome.state).toBe('FAILED');
    expect(run.error).toMatchObject({
      code: 'VERIFICATION_FAILED',
      message: 'acme-metaflow-pg-pitr-0302 is "PENDING_CREATE", not RUNNABLE',
      operationId: keyOf('clone'),
    });
  });

  it('ends FAILED with the operation error when the clone fails', async () => {
    // Act
    const run = await runRunbook('sql-pitr-clone', ARGS, {
      script: () => [
        {
          status: 'failed',
          error: { code: 'GCP_REJECTED', message: 'pointInTime is outside the recovery window' },
        },
      ],
    });

    // Assert
    expect(run.error).toEqual({
      code: 'GCP_REJECTED',
      message: `sql.clone ${keyOf('clone')} failed: pointInTime is outside the recovery window`,
      operationId: keyOf('clone'),
      step: 'clone',
      status: 'failed',
    });
    expect(run.connectorCalls).toEqual([]);
  });

  it('ends FAILED with a clear error when an operation outlives the step timeout', async () => {
    // Act
    const run = await runRunbook(
      'sql-pitr-clone',
      { ...ARGS, stepTimeoutSeconds: 3600 },
      { script: () => [{ afterMs: 3 * 3_600_000, status: 'succeeded', result: cloneResult }] },
    );

    // Assert
    expect(run.error).toMatchObject({
      code: 'STEP_TIMEOUT',
      operationId: keyOf('clone'),
      status: 'running',
    });
    expect(String(run.error?.message)).toMatch(/still running after 3600 s; it goes on in the control plane/);
  });
});
