export type {
  EmulatorEndpointOptions,
  EmulatorKind,
  FirebaseEmulatorPorts,
  RunningEmulators,
  StartEmulatorsOptions,
} from './emulator-launcher';
export {
  EMULATOR_KINDS,
  EmulatorStartError,
  readFirebaseEmulatorPorts,
  startEmulators,
} from './emulator-launcher';
