import { registerOpsApiFunction } from './ops-api';
import { registerOpsCommandFunction } from './ops-command';
import { registerOpsNotifyFunction } from './ops-notify';
import { registerOpsPollerFunction } from './ops-poller';

/**
 * Deployment entry (`main` in package.json): registers every function; Cloud Functions picks one by
 * `--entry-point`. Local runs (`npm start`) call the register functions themselves with their env.
 */
registerOpsCommandFunction();
registerOpsPollerFunction();
registerOpsApiFunction();
registerOpsNotifyFunction();
