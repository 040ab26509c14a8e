export * from './catalog';
export * from './envelope';
export * from './json-schemas';
export * from './parse-command';
