/**
 * The local Cloud Workflows executor, in one import: compile a workflow (deploy-time validation),
 * run it (the interpreter), on a system, scaled or virtual clock, with the value model, runtime
 * error, expression language and standard library it is built on. The Workflows/Executions API
 * server, the file runner and the CLI use only what is exported here.
 */

export type { VirtualClock } from './clocks';
export { createScaledClock, createSystemClock, createVirtualClock, isVirtualClock } from './clocks';
export { errorTags, hasErrorTag, toWorkflowRuntimeError, WorkflowRuntimeError } from './errors';
export type { AssignmentTarget, ExpressionContext, ExpressionNode } from './expression';
export {
  dottedName,
  ExpressionSyntaxError,
  evaluateExpression,
  expressionSource,
  functionsCalled,
  isExpressionString,
  parseAssignmentTarget,
  parseExpression,
  variablesRead,
} from './expression';
export { ExecutionInterrupt } from './interpreter/control-flow';
export { createFetchHttpService } from './interpreter/fetch-http-service';
export type { CallbackRequest, LocalCallbackService } from './interpreter/local-callback-service';
export { createLocalCallbackService } from './interpreter/local-callback-service';
export type { RunWorkflowOptions } from './interpreter/run-workflow';
export {
  DEFAULT_EXCEPTION_POLICY,
  MAX_CALL_DEPTH,
  MAX_PARALLEL_DEPTH,
  MAX_RUNNING_BRANCHES,
  MAX_STEPS,
  runWorkflow,
} from './interpreter/run-workflow';
export { createFunctionCatalogue, createStandardLibrary } from './interpreter/standard-library';
export { MEMORY_LIMIT_BYTES } from './interpreter/variable-scope';
export type {
  CallbackService,
  ConnectorService,
  ExecutionError,
  ExecutionOutcome,
  ExecutionServices,
  PollingPolicy,
  ReceivedCallback,
  StepEvent,
  WorkflowClock,
  WorkflowErrorTag,
  WorkflowHttpRequest,
  WorkflowHttpResponse,
  WorkflowLogEntry,
  WorkflowMap,
  WorkflowValue,
} from './runtime-types';
export type { StdlibFunction } from './stdlib';
export { createPureStandardLibrary } from './stdlib';
export type { CompileOptions, WorkflowCompiler } from './validation/compile-workflow';
export { compileWorkflow, createWorkflowCompiler } from './validation/compile-workflow';
export type { FunctionCatalogue, FunctionSignature } from './validation/function-catalogue';
export type { ValidationIssue } from './validation/validation-error';
export { WorkflowValidationError } from './validation/validation-error';
export type {
  CompiledWorkflow,
  RoutineDefinition,
  SourcePosition,
  StepAction,
  StepBlock,
  StepDefinition,
} from './validation/workflow-definition';
export type { WorkflowTypeName } from './values';
export {
  compareValues,
  decodeJsonText,
  deepCopy,
  encodeJsonText,
  formatDouble,
  fromJson,
  isBytes,
  isDouble,
  isInt,
  isList,
  isMap,
  isNumber,
  stringify,
  toJson,
  typeName,
  valuesEqual,
} from './values';
