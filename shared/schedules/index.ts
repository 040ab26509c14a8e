export * from './cron';
export * from './manifest';
export * from './off-hours';
export * from './schedule-runs';
export * from './schedule-tick';
export * from './scheduled-run-key';
export * from './scheduler-jobs';
