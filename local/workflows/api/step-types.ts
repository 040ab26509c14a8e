import type { StepAction, StepBlock } from '../engine';

/**
 * The `stepType` of each step (`STEP_ASSIGN`, `STEP_CONNECTOR_CALL`, …) for the step history,
 * read from the compiled workflow once per revision: the interpreter's step events say which step
 * ran, the compiled tree says what kind of step it is.
 */

/** The StepEntry.StepType values of the Executions v1 API. */
type StepType =
  | 'STEP_TYPE_UNSPECIFIED'
  | 'STEP_ASSIGN'
  | 'STEP_STD_LIB_CALL'
  | 'STEP_CONNECTOR_CALL'
  | 'STEP_SUBWORKFLOW_CALL'
  | 'STEP_CALL'
  | 'STEP_SWITCH'
  | 'STEP_CONDITION'
  | 'STEP_FOR'
  | 'STEP_FOR_ITERATION'
  | 'STEP_PARALLEL_FOR'
  | 'STEP_PARALLEL_BRANCH'
  | 'STEP_PARALLEL_BRANCH_ENTRY'
  | 'STEP_TRY_RETRY_EXCEPT'
  | 'STEP_TRY'
  | 'STEP_RETRY'
  | 'STEP_EXCEPT'
  | 'STEP_RETURN'
  | 'STEP_RAISE'
  | 'STEP_GOTO';

/**
 * `routine/step` → types, outermost first. A name can stand for nested steps: the compiler turns
 * `try: {call: …}` into a try step holding a call step of the same name, and both report events.
 */
type StepTypeIndex = ReadonlyMap<string, readonly StepType[]>;

const stepKey = (routine: string, step: string): string => `${routine}/${step}`;

const typeOf = (action: StepAction | undefined): StepType => {
  switch (action?.kind) {
    case undefined:
      return 'STEP_GOTO';
    case 'assign':
      return 'STEP_ASSIGN';
    case 'call':
      if (action.target.kind === 'subworkflow') return 'STEP_SUBWORKFLOW_CALL';
      return action.target.kind === 'connector' ? 'STEP_CONNECTOR_CALL' : 'STEP_STD_LIB_CALL';
    case 'switch':
      return 'STEP_SWITCH';
    case 'for':
      return 'STEP_FOR';
    case 'parallel':
      return action.loop ? 'STEP_PARALLEL_FOR' : 'STEP_PARALLEL_BRANCH';
    case 'raise':
      return 'STEP_RAISE';
    case 'return':
      return 'STEP_RETURN';
    case 'try':
      return 'STEP_TRY_RETRY_EXCEPT';
    case 'steps':
      return 'STEP_TYPE_UNSPECIFIED';
  }
};

/** The blocks nested in an action (for bodies, branches, try/except, switch conditions). */
const nestedBlocks = (action: StepAction | undefined): StepBlock[] => {
  switch (action?.kind) {
    case 'for':
      return [action.loop.body];
    case 'parallel':
      return [
        ...(action.branches ?? []).map((branch) => branch.body),
        ...(action.loop ? [action.loop.body] : []),
      ];
    case 'try':
      return [action.body, ...(action.except ? [action.except.body] : [])];
    case 'steps':
      return [action.body];
    case 'switch':
      return action.conditions.flatMap((condition) => nestedBlocks(condition.action));
    default:
      return [];
  }
};

/**
 * Indexes a compiled workflow. Anything that is not the engine's compiled tree (a test's stand-in
 * engine) gives an empty index, so every entry is `STEP_TYPE_UNSPECIFIED`.
 */
const indexStepTypes = (compiled: unknown): StepTypeIndex => {
  const index = new Map<string, StepType[]>();
  const routines = (compiled as { routines?: unknown } | null)?.routines;
  if (!(routines instanceof Map)) return index;
  const visit = (routine: string, block: StepBlock): void => {
    for (const step of block.steps) {
      const key = stepKey(routine, step.name);
      index.set(key, [...(index.get(key) ?? []), typeOf(step.action)]);
      for (const nested of nestedBlocks(step.action)) visit(routine, nested);
    }
  };
  for (const [name, routine] of routines as Map<string, { body?: StepBlock }>) {
    if (routine.body && Array.isArray(routine.body.steps)) visit(name, routine.body);
  }
  return index;
};

/**
 * The type of `step` in `routine`, `STEP_TYPE_UNSPECIFIED` when unknown.
 *
 * @param nesting - how many steps of the same name are running around this one (0 for the outermost).
 */
const stepTypeOf = (index: StepTypeIndex, routine: string, step: string, nesting = 0): StepType => {
  const types = index.get(stepKey(routine, step));
  return types?.[nesting] ?? types?.[0] ?? 'STEP_TYPE_UNSPECIFIED';
};

export type { StepType, StepTypeIndex };
export { indexStepTypes, stepTypeOf };
