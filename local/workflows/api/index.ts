/**
 * The local Workflows and Workflow Executions REST APIs: deploy runbooks, run them with the
 * local engine, watch executions, answer callbacks — with Google's own clients.
 */
export * from './execution-callbacks';
export * from './execution-registry';
export * from './list-filter';
export * from './rest-format';
export * from './step-types';
export * from './workflow-registry';
export * from './workflows-server';
