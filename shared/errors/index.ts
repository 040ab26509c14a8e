export * from './control-plane-error';
export * from './gcp-errors';
