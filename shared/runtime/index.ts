export * from './authorization';
export * from './command-dependencies';
export * from './command-event-handler';
export * from './command-processor';
export * from './disposition';
export * from './operation-resumer';
export * from './operations-poller';
export * from './plan-hash';
