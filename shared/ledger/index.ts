export * from './lease-manager';
export * from './operation-ledger';
export * from './operation-record';
