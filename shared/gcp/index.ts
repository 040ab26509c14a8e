export * from './client-options';
export * from './gke-api';
export * from './wait-for-operation';
