import type { AssignmentTarget, ExpressionNode } from '../expression';
import type { WorkflowValue } from '../runtime-types';

/**
 * A compiled workflow: the source checked and turned into a tree the interpreter walks. Every
 * expression is parsed once here, every `next` target resolved, every `call` classified, so a
 * run never meets a syntax error and errors can name the step, routine and line.
 */

/** A place in the source; line and column are 1-based, length in characters. */
interface SourcePosition {
  line: number;
  column: number;
  length: number;
}

/** An expression as written (`${...}`), parsed. */
interface ExpressionTemplate {
  kind: 'expression';
  /** The text inside `${...}`. */
  source: string;
  node: ExpressionNode;
  position: SourcePosition;
  /**
   * Where the text inside `${` starts, when the expression is on one line and verbatim in the
   * source: a node at offset N is then at column `innerStart.column + N`.
   */
  innerStart?: { line: number; column: number };
}

/**
 * A value as written in YAML: a literal, an expression, or a list/map that may hold expressions
 * (and expression keys, `"${key}": value`) at any depth. Literal subtrees are kept as one literal.
 */
type ValueTemplate =
  | { kind: 'literal'; value: WorkflowValue }
  | ExpressionTemplate
  | { kind: 'list'; items: ValueTemplate[] }
  | { kind: 'map'; entries: Array<{ key: string | ExpressionTemplate; value: ValueTemplate }> };

/** `next: TARGET` — a step name, or `end`, `break`, `continue`. */
interface JumpDefinition {
  target: string;
  position: SourcePosition;
}

interface AssignmentDefinition {
  /** The left-hand side as written, e.g. `my_map["key"]`. */
  text: string;
  target: AssignmentTarget;
  value: ValueTemplate;
  position: SourcePosition;
}

/** What a `call:` names, decided at compile time. */
type CallTarget =
  | { kind: 'subworkflow'; name: string }
  | { kind: 'function'; name: string }
  | { kind: 'connector'; name: string };

type CallArguments =
  | { kind: 'none' }
  | { kind: 'named'; entries: Array<{ name: string; value: ValueTemplate; position: SourcePosition }> }
  | { kind: 'positional'; items: ValueTemplate[] };

interface ForLoopDefinition {
  value: string;
  index: string | undefined;
  source: { kind: 'in'; items: ValueTemplate } | { kind: 'range'; bounds: ValueTemplate };
  body: StepBlock;
  position: SourcePosition;
}

interface BranchDefinition {
  name: string;
  position: SourcePosition;
  body: StepBlock;
}

/** A retry predicate: a subworkflow taking the error, or a standard function such as `retry.always`. */
type PredicateReference = { kind: 'subworkflow'; name: string } | { kind: 'function'; name: string };

type RetryDefinition =
  | {
      kind: 'policy';
      /** `http.default_retry` or `http.default_retry_non_idempotent`. */
      name: string;
      position: SourcePosition;
    }
  | {
      kind: 'custom';
      /** Absent: every error is retried (as `retry.always`). */
      predicate: PredicateReference | undefined;
      maxRetries: ValueTemplate | undefined;
      initialDelay: ValueTemplate | undefined;
      maxDelay: ValueTemplate | undefined;
      multiplier: ValueTemplate | undefined;
      position: SourcePosition;
    };

interface ExceptDefinition {
  as: string | undefined;
  body: StepBlock;
}

interface SwitchConditionDefinition {
  condition: ValueTemplate;
  position: SourcePosition;
  /** What runs when the condition is the first true one (absent: nothing but the jump). */
  action: StepAction | undefined;
  next: JumpDefinition | undefined;
}

/** The action of a step; a step has at most one (plus an optional `next`). */
type StepAction =
  | { kind: 'assign'; assignments: AssignmentDefinition[] }
  | {
      kind: 'call';
      target: CallTarget;
      args: CallArguments;
      result: string | undefined;
      position: SourcePosition;
    }
  | { kind: 'switch'; conditions: SwitchConditionDefinition[] }
  | { kind: 'for'; loop: ForLoopDefinition }
  | {
      kind: 'parallel';
      shared: string[];
      concurrencyLimit: ValueTemplate | undefined;
      /** `continueAll` when written; undefined when omitted (which also means continueAll). */
      exceptionPolicy: string | undefined;
      branches: BranchDefinition[] | undefined;
      loop: ForLoopDefinition | undefined;
      position: SourcePosition;
    }
  | { kind: 'raise'; value: ValueTemplate }
  | { kind: 'return'; value: ValueTemplate }
  | {
      kind: 'try';
      body: StepBlock;
      retry: RetryDefinition | undefined;
      except: ExceptDefinition | undefined;
    }
  | { kind: 'steps'; body: StepBlock };

interface StepDefinition {
  name: string;
  /** The step's name in the source. */
  position: SourcePosition;
  action: StepAction | undefined;
  next: JumpDefinition | undefined;
}

/** A list of steps run in order, e.g. a routine body, a for body, a `steps:` group. */
interface StepBlock {
  steps: StepDefinition[];
  /** Step name → index in `steps`. */
  index: Map<string, number>;
}

interface ParamDefinition {
  name: string;
  /** A default from `params: [name: value]`; absent when the parameter is required. */
  defaultValue: ValueTemplate | undefined;
}

/** `main` or a subworkflow. */
interface RoutineDefinition {
  name: string;
  params: ParamDefinition[];
  body: StepBlock;
  position: SourcePosition;
}

/** A workflow ready to run: compile once, run many times. */
interface CompiledWorkflow {
  fileName: string;
  main: RoutineDefinition;
  routines: Map<string, RoutineDefinition>;
}

export type {
  AssignmentDefinition,
  BranchDefinition,
  CallArguments,
  CallTarget,
  CompiledWorkflow,
  ExceptDefinition,
  ExpressionTemplate,
  ForLoopDefinition,
  JumpDefinition,
  ParamDefinition,
  PredicateReference,
  RetryDefinition,
  RoutineDefinition,
  SourcePosition,
  StepAction,
  StepBlock,
  StepDefinition,
  SwitchConditionDefinition,
  ValueTemplate,
};
