export * from './pubsub-message';
export * from './result-publisher';
