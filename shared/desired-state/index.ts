export * from './desired-state-store';
export * from './from-fixture';
export * from './platform-state';
