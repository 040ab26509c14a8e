export * from './cron';
export * from './manifest';
export * from './schedule-runs';
export * from './schedule-tick';
export * from './scheduler-jobs';
