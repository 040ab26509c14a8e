export * from './local-stack';
export * from './local-stack-info';
