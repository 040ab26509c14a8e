export * from './compare-access';
export * from './compare-resources';
export * from './drift-finding';
export * from './drift-report';
export * from './human-bindings';
export * from './live-state';
export * from './reconcile-plan';
