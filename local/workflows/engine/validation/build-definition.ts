import type { LineCounter } from 'yaml';
import {
  dottedName,
  ExpressionSyntaxError,
  expressionSource,
  isExpressionString,
  parseAssignmentTarget,
  parseExpression,
} from '../expression';
import type { WorkflowMap, WorkflowValue } from '../runtime-types';
import { type FunctionCatalogue, RETRY_POLICY_NAMES } from './function-catalogue';
import {
  childOf,
  entryOf,
  type SourceEntry,
  type SourceMap,
  type SourceNode,
  type SourceSpan,
} from './source-tree';
import type { ValidationIssue } from './validation-error';
import type {
  AssignmentDefinition,
  BranchDefinition,
  CallArguments,
  CallTarget,
  CompiledWorkflow,
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
} from './workflow-definition';

/** Google helper modules used by official samples, which the local executor does not provide. */
const HELPER_MODULES = ['gke.', 'shell.'];

/** The keys that make a step do something; a step has at most one of them. */
const ACTION_KEYS = [
  'assign',
  'call',
  'switch',
  'for',
  'parallel',
  'raise',
  'return',
  'try',
  'steps',
] as const;

const positionOf = (span: SourceSpan): SourcePosition => ({
  line: span.line,
  column: span.column,
  length: span.length,
});

/**
 * Turns a (schema-checked) source tree into a workflow definition, parsing every expression and
 * classifying every call. It is forgiving: shapes the schema already reported are skipped, so the
 * issues it adds are its own (expression syntax, one action per step, unknown calls and policies).
 */
class DefinitionBuilder {
  readonly issues: ValidationIssue[] = [];
  private readonly routineNames = new Set<string>();

  constructor(
    private readonly source: string,
    private readonly lineCounter: LineCounter,
    private readonly catalogue: FunctionCatalogue,
  ) {}

  private issue(span: SourceSpan | SourcePosition, message: string): void {
    this.issues.push({ line: span.line, column: span.column, message });
  }

  build(root: SourceNode, fileName: string): CompiledWorkflow | undefined {
    const routines = new Map<string, RoutineDefinition>();
    if (root.kind === 'list') {
      this.routineNames.add('main');
      routines.set('main', {
        name: 'main',
        params: [],
        body: this.block(root, 'main'),
        position: positionOf(root.span),
      });
    } else if (root.kind === 'map') {
      for (const entry of root.entries) this.routineNames.add(entry.key);
      for (const entry of root.entries) routines.set(entry.key, this.routine(entry));
    } else {
      return undefined;
    }
    const main = routines.get('main');
    if (!main) return undefined;
    return { fileName, main, routines };
  }

  private routine(entry: SourceEntry): RoutineDefinition {
    const params: ParamDefinition[] = [];
    const paramsNode = childOf(entry.value, 'params');
    if (paramsNode?.kind === 'list') {
      for (const item of paramsNode.items) {
        if (item.kind === 'scalar' && typeof item.value === 'string') {
          params.push({ name: item.value, defaultValue: undefined });
        } else if (item.kind === 'map' && item.entries.length === 1) {
          const param = item.entries[0] as SourceEntry;
          if (entry.key === 'main')
            this.issue(param.keySpan, 'the main workflow parameter cannot have a default');
          params.push({ name: param.key, defaultValue: this.template(param.value) });
        } else {
          this.issue(item.span, 'a parameter is a name, or `name: default` for an optional one');
        }
      }
    }
    const stepsNode = childOf(entry.value, 'steps');
    if (entry.value.kind === 'map' && !stepsNode)
      this.issue(entry.keySpan, `workflow "${entry.key}" has no steps`);
    return {
      name: entry.key,
      params,
      body: stepsNode ? this.block(stepsNode, entry.key) : { steps: [], index: new Map() },
      position: positionOf(entry.keySpan),
    };
  }

  private block(node: SourceNode, ownerName: string): StepBlock {
    const steps: StepDefinition[] = [];
    const index = new Map<string, number>();
    if (node.kind !== 'list') return { steps, index };
    for (const item of node.items) {
      if (item.kind !== 'map' || item.entries.length !== 1) continue;
      const entry = item.entries[0] as SourceEntry;
      const step = this.step(entry.key, entry.keySpan, entry.value, ownerName);
      if (!index.has(step.name)) index.set(step.name, steps.length);
      steps.push(step);
    }
    return { steps, index };
  }

  private step(name: string, nameSpan: SourceSpan, body: SourceNode, ownerName: string): StepDefinition {
    const position = positionOf(nameSpan);
    if (body.kind !== 'map') return { name, position, action: undefined, next: undefined };
    const actionKeys = ACTION_KEYS.filter((key) => entryOf(body, key) !== undefined);
    if (actionKeys.length > 1) {
      this.issue(
        nameSpan,
        `step "${name}" does ${actionKeys.map((key) => `"${key}"`).join(' and ')}; a step does one of them (split it into several steps)`,
      );
    }
    return {
      name,
      position,
      action: this.action(name, nameSpan, body, actionKeys[0], ownerName),
      next: this.jump(childOf(body, 'next')),
    };
  }

  private jump(node: SourceNode | undefined): JumpDefinition | undefined {
    if (node?.kind !== 'scalar' || typeof node.value !== 'string') return undefined;
    return { target: node.value, position: positionOf(node.span) };
  }

  private action(
    stepName: string,
    nameSpan: SourceSpan,
    body: SourceMap,
    key: (typeof ACTION_KEYS)[number] | undefined,
    ownerName: string,
  ): StepAction | undefined {
    if (key === undefined) return undefined;
    const node = childOf(body, key) as SourceNode;
    switch (key) {
      case 'assign':
        return { kind: 'assign', assignments: this.assignments(node) };
      case 'call':
        return this.call(body, node);
      case 'switch':
        return { kind: 'switch', conditions: this.conditions(stepName, nameSpan, node, ownerName) };
      case 'for': {
        const loop = this.forLoop(node, ownerName);
        return loop ? { kind: 'for', loop } : undefined;
      }
      case 'parallel':
        return this.parallel(node, ownerName);
      case 'raise':
        return { kind: 'raise', value: this.template(node) };
      case 'return':
        return { kind: 'return', value: this.template(node) };
      case 'try':
        return this.tryAction(stepName, nameSpan, body, node, ownerName);
      case 'steps':
        return { kind: 'steps', body: this.block(node, ownerName) };
    }
  }

  private assignments(node: SourceNode): AssignmentDefinition[] {
    const assignments: AssignmentDefinition[] = [];
    if (node.kind !== 'list') return assignments;
    for (const item of node.items) {
      if (item.kind !== 'map' || item.entries.length !== 1) continue;
      const entry = item.entries[0] as SourceEntry;
      try {
        assignments.push({
          text: entry.key,
          target: parseAssignmentTarget(entry.key),
          value: this.template(entry.value),
          position: positionOf(entry.keySpan),
        });
      } catch (error) {
        if (!(error instanceof ExpressionSyntaxError)) throw error;
        this.issue(
          { ...entry.keySpan, column: entry.keySpan.column + Math.max(0, error.offset) },
          `cannot assign to "${entry.key}": ${error.message}`,
        );
      }
    }
    return assignments;
  }

  private callTarget(name: string, span: SourceSpan): CallTarget {
    if (this.routineNames.has(name)) return { kind: 'subworkflow', name };
    if (name.startsWith('googleapis.')) return { kind: 'connector', name };
    if (this.catalogue.has(name)) return { kind: 'function', name };
    // Helper modules of the official samples (gke.request, shell.gcloud, ...): valid workflows
    // that the local executor cannot run; the call fails when it is reached.
    if (HELPER_MODULES.some((prefix) => name.startsWith(prefix))) return { kind: 'function', name };
    this.issue(
      span,
      `call: "${name}" is neither a subworkflow of this workflow nor a standard library function`,
    );
    return { kind: 'function', name };
  }

  private call(body: SourceMap, node: SourceNode): StepAction | undefined {
    if (node.kind !== 'scalar' || typeof node.value !== 'string') return undefined;
    const target = this.callTarget(node.value, node.span);
    const argsNode = childOf(body, 'args');
    let args: CallArguments = { kind: 'none' };
    if (argsNode?.kind === 'map') {
      args = {
        kind: 'named',
        entries: argsNode.entries.map((entry) => ({
          name: entry.key,
          value: this.template(entry.value),
          position: positionOf(entry.keySpan),
        })),
      };
    } else if (argsNode?.kind === 'list') {
      args = { kind: 'positional', items: argsNode.items.map((item) => this.template(item)) };
    }
    const resultNode = childOf(body, 'result');
    let result: string | undefined;
    if (resultNode?.kind === 'scalar' && typeof resultNode.value === 'string') result = resultNode.value;
    else if (resultNode) this.issue(resultNode.span, '`result` names the variable that receives the result');
    return { kind: 'call', target, args, result, position: positionOf(node.span) };
  }

  private conditions(
    stepName: string,
    nameSpan: SourceSpan,
    node: SourceNode,
    ownerName: string,
  ): SwitchConditionDefinition[] {
    const conditions: SwitchConditionDefinition[] = [];
    if (node.kind !== 'list') return conditions;
    for (const item of node.items) {
      if (item.kind !== 'map') continue;
      const conditionNode = childOf(item, 'condition');
      if (!conditionNode) continue;
      const actionKeys = ACTION_KEYS.filter((key) => entryOf(item, key) !== undefined);
      if (actionKeys.length > 1) {
        this.issue(
          item.span,
          `a condition of step "${stepName}" does ${actionKeys.map((key) => `"${key}"`).join(' and ')}; use "steps" to do several things`,
        );
      }
      conditions.push({
        condition: this.template(conditionNode),
        position: positionOf(conditionNode.span),
        action: this.action(stepName, nameSpan, item, actionKeys[0], ownerName),
        next: this.jump(childOf(item, 'next')),
      });
    }
    return conditions;
  }

  private forLoop(node: SourceNode, ownerName: string): ForLoopDefinition | undefined {
    if (node.kind !== 'map') return undefined;
    const valueNode = childOf(node, 'value');
    const indexNode = childOf(node, 'index');
    const inNode = childOf(node, 'in');
    const rangeNode = childOf(node, 'range');
    const stepsNode = childOf(node, 'steps');
    if (valueNode?.kind !== 'scalar' || typeof valueNode.value !== 'string' || !stepsNode) return undefined;
    const source = inNode
      ? { kind: 'in' as const, items: this.template(inNode) }
      : rangeNode
        ? { kind: 'range' as const, bounds: this.template(rangeNode) }
        : undefined;
    if (!source) return undefined;
    return {
      value: valueNode.value,
      index:
        indexNode?.kind === 'scalar' && typeof indexNode.value === 'string' ? indexNode.value : undefined,
      source,
      body: this.block(stepsNode, ownerName),
      position: positionOf(node.span),
    };
  }

  private parallel(node: SourceNode, ownerName: string): StepAction | undefined {
    if (node.kind !== 'map') return undefined;
    const sharedNode = childOf(node, 'shared');
    const shared =
      sharedNode?.kind === 'list'
        ? sharedNode.items.flatMap((item) =>
            item.kind === 'scalar' && typeof item.value === 'string' ? [item.value] : [],
          )
        : [];
    const limitNode = childOf(node, 'concurrency_limit');
    const policyNode = childOf(node, 'exception_policy');
    const branchesNode = childOf(node, 'branches');
    const forNode = childOf(node, 'for');
    let branches: BranchDefinition[] | undefined;
    if (branchesNode?.kind === 'list') {
      branches = [];
      for (const item of branchesNode.items) {
        if (item.kind !== 'map' || item.entries.length !== 1) continue;
        const entry = item.entries[0] as SourceEntry;
        const onlySteps =
          entry.value.kind === 'map' &&
          entry.value.entries.length === 1 &&
          entryOf(entry.value, 'steps') !== undefined;
        const body = onlySteps
          ? this.block(childOf(entry.value, 'steps') as SourceNode, ownerName)
          : this.singleStepBlock(this.step(entry.key, entry.keySpan, entry.value, ownerName));
        branches.push({ name: entry.key, position: positionOf(entry.keySpan), body });
      }
    }
    return {
      kind: 'parallel',
      shared,
      concurrencyLimit: limitNode ? this.template(limitNode) : undefined,
      exceptionPolicy:
        policyNode?.kind === 'scalar' && typeof policyNode.value === 'string' ? policyNode.value : undefined,
      branches,
      loop: forNode ? this.forLoop(forNode, ownerName) : undefined,
      position: positionOf(node.span),
    };
  }

  private singleStepBlock(step: StepDefinition): StepBlock {
    return { steps: [step], index: new Map([[step.name, 0]]) };
  }

  private tryAction(
    stepName: string,
    nameSpan: SourceSpan,
    body: SourceMap,
    node: SourceNode,
    ownerName: string,
  ): StepAction {
    let tryBody: StepBlock;
    if (node.kind === 'list') tryBody = this.block(node, ownerName);
    else if (node.kind === 'map' && node.entries.length === 1 && entryOf(node, 'steps')) {
      tryBody = this.block(childOf(node, 'steps') as SourceNode, ownerName);
    } else tryBody = this.singleStepBlock(this.step(stepName, nameSpan, node, ownerName));
    const exceptNode = childOf(body, 'except');
    let except: { as: string | undefined; body: StepBlock } | undefined;
    if (exceptNode?.kind === 'map') {
      const asNode = childOf(exceptNode, 'as');
      const stepsNode = childOf(exceptNode, 'steps');
      except = {
        as: asNode?.kind === 'scalar' && typeof asNode.value === 'string' ? asNode.value : undefined,
        body: stepsNode ? this.block(stepsNode, ownerName) : { steps: [], index: new Map() },
      };
    }
    const retryNode = childOf(body, 'retry');
    return { kind: 'try', body: tryBody, retry: retryNode ? this.retry(retryNode) : undefined, except };
  }

  private retry(node: SourceNode): RetryDefinition | undefined {
    if (node.kind === 'scalar' && typeof node.value === 'string') {
      const name = this.referenceName(node);
      if (name === undefined) return undefined;
      if (!RETRY_POLICY_NAMES.has(name)) {
        this.issue(
          node.span,
          `unknown retry policy "${name}" (use \${http.default_retry}, \${http.default_retry_non_idempotent} or a retry block)`,
        );
        return undefined;
      }
      return { kind: 'policy', name, position: positionOf(node.span) };
    }
    if (node.kind !== 'map') return undefined;
    const predicateNode = childOf(node, 'predicate');
    let predicate: PredicateReference | undefined;
    if (predicateNode) {
      const name = this.referenceName(predicateNode);
      if (name !== undefined) {
        if (this.routineNames.has(name)) predicate = { kind: 'subworkflow', name };
        else if (this.catalogue.has(name)) predicate = { kind: 'function', name };
        else
          this.issue(
            predicateNode.span,
            `retry predicate "${name}" is neither a subworkflow nor a standard predicate`,
          );
      }
    }
    if (!entryOf(node, 'max_retries')) this.issue(node.span, 'a retry block needs max_retries');
    const backoff = childOf(node, 'backoff');
    const optional = (value: SourceNode | undefined): ValueTemplate | undefined =>
      value ? this.template(value) : undefined;
    return {
      kind: 'custom',
      predicate,
      maxRetries: optional(childOf(node, 'max_retries')),
      initialDelay: optional(childOf(backoff, 'initial_delay')),
      maxDelay: optional(childOf(backoff, 'max_delay')),
      multiplier: optional(childOf(backoff, 'multiplier')),
      position: positionOf(node.span),
    };
  }

  /** The dotted name in `${http.default_retry}` / `${my_predicate}`; an issue when it is not one. */
  private referenceName(node: SourceNode): string | undefined {
    if (node.kind !== 'scalar' || typeof node.value !== 'string' || !isExpressionString(node.value)) {
      this.issue(node.span, `expected a reference like \${name}`);
      return undefined;
    }
    const expression = this.expression(node.value, node.span);
    const name = expression ? dottedName(expression.node) : undefined;
    if (expression && name === undefined)
      this.issue(node.span, `expected a name like \${my_predicate}, not a computation`);
    return name;
  }

  /** Parses `${...}`; a syntax error becomes an issue at the column where it went wrong. */
  private expression(text: string, span: SourceSpan): ExpressionTemplate | undefined {
    const inner = expressionSource(text);
    // Where the text inside `${` starts in the source, when it is there verbatim (no escapes).
    const raw = this.source.slice(span.offset, span.offset + span.length);
    const at = raw.indexOf(text);
    const innerStart = at >= 0 ? this.lineCounter.linePos(span.offset + at + 2) : undefined;
    try {
      return {
        kind: 'expression',
        source: inner,
        node: parseExpression(inner),
        position: positionOf(span),
        ...(innerStart && !inner.includes('\n')
          ? { innerStart: { line: innerStart.line, column: innerStart.col } }
          : {}),
      };
    } catch (error) {
      if (!(error instanceof ExpressionSyntaxError)) throw error;
      const position =
        at >= 0 ? this.lineCounter.linePos(span.offset + at + 2 + Math.max(0, error.offset)) : undefined;
      this.issues.push({
        line: position?.line ?? span.line,
        column: position?.col ?? span.column,
        message: `invalid expression \${${inner.length > 60 ? `${inner.slice(0, 60)}…` : inner}}: ${error.message}`,
      });
      return undefined;
    }
  }

  /** A YAML value as a template: literals stay literal, `${...}` strings become expressions. */
  template(node: SourceNode): ValueTemplate {
    if (node.kind === 'scalar') {
      const { value } = node;
      if (typeof value === 'string' && isExpressionString(value)) {
        return this.expression(value, node.span) ?? { kind: 'literal', value: null };
      }
      return { kind: 'literal', value };
    }
    if (node.kind === 'list') {
      const items = node.items.map((item) => this.template(item));
      if (items.every((item) => item.kind === 'literal')) {
        return { kind: 'literal', value: items.map((item) => (item as { value: WorkflowValue }).value) };
      }
      return { kind: 'list', items };
    }
    const entries = node.entries.map((entry) => ({
      key: isExpressionString(entry.key)
        ? (this.expression(entry.key, entry.keySpan) ?? entry.key)
        : entry.key,
      value: this.template(entry.value),
    }));
    if (entries.every((entry) => typeof entry.key === 'string' && entry.value.kind === 'literal')) {
      const map: WorkflowMap = new Map();
      for (const entry of entries)
        map.set(entry.key as string, (entry.value as { value: WorkflowValue }).value);
      return { kind: 'literal', value: map };
    }
    return { kind: 'map', entries };
  }
}

/**
 * Builds the definition of a workflow from its source tree. Returns the workflow (undefined when
 * there is no `main` to build) and the issues found while building.
 */
const buildDefinition = (
  root: SourceNode,
  options: { source: string; lineCounter: LineCounter; catalogue: FunctionCatalogue; fileName: string },
): { workflow: CompiledWorkflow | undefined; issues: ValidationIssue[] } => {
  const builder = new DefinitionBuilder(options.source, options.lineCounter, options.catalogue);
  const workflow = builder.build(root, options.fileName);
  return { workflow, issues: builder.issues };
};

export { ACTION_KEYS, buildDefinition };
