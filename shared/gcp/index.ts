export * from './client-options';
export * from './crc32c';
export * from './filestore-api';
export * from './filestore-clients';
export * from './gke-api';
export * from './iam-api';
export * from './iam-clients';
export * from './iam-policy-edit';
export * from './kubeflow-api';
export * from './secret-material';
export * from './secrets-api';
export * from './secrets-clients';
export * from './sql-api';
export * from './sql-clients';
export * from './wait-for-operation';
// Not kubeflow-clients: it loads the ESM-only @kubernetes/client-node at import, which jest's
// CommonJS sandbox cannot; import it directly where a Kubernetes client is built.
