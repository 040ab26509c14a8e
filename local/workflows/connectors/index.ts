/**
 * `googleapis.*` connectors for the local Workflows executor, resolved through Discovery
 * documents and sent to local endpoints (the platform simulator).
 */
export * from './connector-http';
export * from './connector-request';
export * from './discovery-catalog';
export * from './operation-polling';
export * from './simulator-connectors';
