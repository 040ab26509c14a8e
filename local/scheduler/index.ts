export * from './local-scheduler';
