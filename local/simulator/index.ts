export type {
  RequestLog,
  RequestLogEntry,
  RequestLogSnapshot,
  RunningSimulator,
  SimulatorEndpoints,
  SimulatorOptions,
  SimulatorPorts,
  SimulatorState,
} from './simulator';
export { defaultFixturePath, loadFixture, startSimulator } from './simulator';
