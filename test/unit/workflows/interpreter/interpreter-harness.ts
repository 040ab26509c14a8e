import { createVirtualClock, type VirtualClock } from '../../../../local/workflows/engine/clocks';
import {
  createLocalCallbackService,
  type LocalCallbackService,
} from '../../../../local/workflows/engine/interpreter/local-callback-service';
import { runWorkflow } from '../../../../local/workflows/engine/interpreter/run-workflow';
import type {
  ExecutionOutcome,
  ExecutionServices,
  StepEvent,
  WorkflowLogEntry,
  WorkflowValue,
} from '../../../../local/workflows/engine/runtime-types';
import { createWorkflowCompiler } from '../../../../local/workflows/engine/validation/compile-workflow';
import { fromJson, toJson } from '../../../../local/workflows/engine/values';

/** Epoch ms every harness clock starts at: 2026-01-01T00:00:00Z. */
const START = Date.UTC(2026, 0, 1);

const compiler = createWorkflowCompiler();

interface Harness {
  clock: VirtualClock;
  callbacks: LocalCallbackService;
  logs: WorkflowLogEntry[];
  events: StepEvent[];
  services: ExecutionServices;
}

/** Services for one test execution: a virtual clock, in-process callbacks, collected logs; no network. */
const makeHarness = (overrides: Partial<ExecutionServices> = {}): Harness => {
  const clock = createVirtualClock(START);
  const callbacks = createLocalCallbackService({ clock });
  const logs: WorkflowLogEntry[] = [];
  let uuid = 0;
  const services: ExecutionServices = {
    clock,
    http: () => Promise.reject(new Error('no HTTP in this test')),
    callbacks,
    connectors: { call: () => Promise.reject(new Error('no connectors in this test')) },
    log: (entry) => logs.push(entry),
    env: { GOOGLE_CLOUD_PROJECT_ID: 'test-project' },
    randomUuid: () => {
      uuid += 1;
      return `00000000-0000-4000-8000-${String(uuid).padStart(12, '0')}`;
    },
    ...overrides,
  };
  return { clock, callbacks, logs, events: [], services };
};

/** What a run gave, with the result as plain JSON (ints as numbers). */
interface RunOutcome {
  outcome: ExecutionOutcome;
  state: ExecutionOutcome['state'];
  result: unknown;
  /** The error value (parsed payload) of a FAILED or CANCELLED run. */
  error: unknown;
  harness: Harness;
}

/** Compiles YAML source and runs it on the harness. */
const runSource = async (
  source: string,
  options: {
    argument?: unknown;
    harness?: Harness;
    signal?: AbortSignal;
    defaultExceptionPolicy?: 'continueAll' | 'abortOthers';
  } = {},
): Promise<RunOutcome> => {
  const harness = options.harness ?? makeHarness();
  const workflow = compiler.compile(source);
  const outcome = await runWorkflow(
    workflow,
    options.argument === undefined ? undefined : (fromJson(options.argument) as WorkflowValue),
    {
      services: harness.services,
      onStep: (event) => harness.events.push(event),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.defaultExceptionPolicy ? { defaultExceptionPolicy: options.defaultExceptionPolicy } : {}),
    },
  );
  return {
    outcome,
    state: outcome.state,
    result: outcome.state === 'SUCCEEDED' ? toJson(outcome.result) : undefined,
    error: outcome.state === 'SUCCEEDED' ? undefined : JSON.parse(outcome.error.payload),
    harness,
  };
};

export type { Harness, RunOutcome };
export { compiler, makeHarness, runSource, START };
