export { simulatorEndpointEnv } from './endpoint-env';
export { DEFAULT_SIMULATOR_PORTS, simulatorPortsFromEnv } from './main';
export type {
  FaultSpec,
  FaultView,
  RequestLog,
  RequestLogEntry,
  RequestLogSnapshot,
  RunningSimulator,
  SimulatorEndpoints,
  SimulatorFaults,
  SimulatorOptions,
  SimulatorPorts,
  SimulatorState,
} from './simulator';
export { defaultFixturePath, loadFixture, startSimulator } from './simulator';
