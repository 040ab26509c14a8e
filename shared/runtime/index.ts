export * from './command-dependencies';
export * from './command-event-handler';
export * from './command-processor';
export * from './disposition';
