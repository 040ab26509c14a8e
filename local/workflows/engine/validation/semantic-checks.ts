import { type ExpressionNode, variablesRead, walkExpression } from '../expression';
import type { FunctionCatalogue } from './function-catalogue';
import type { ValidationIssue } from './validation-error';
import type {
  CallArguments,
  CompiledWorkflow,
  ExpressionTemplate,
  ForLoopDefinition,
  JumpDefinition,
  RoutineDefinition,
  SourcePosition,
  StepAction,
  StepBlock,
  StepDefinition,
  ValueTemplate,
} from './workflow-definition';

/** The deepest allowed nesting of parallel steps (quotas page). */
const MAX_PARALLEL_NESTING = 2;

/** Every expression in a template, in source order. */
const expressionsOf = (template: ValueTemplate | undefined): ExpressionTemplate[] => {
  if (!template || template.kind === 'literal') return [];
  if (template.kind === 'expression') return [template];
  if (template.kind === 'list') return template.items.flatMap(expressionsOf);
  return template.entries.flatMap((entry) => [
    ...(typeof entry.key === 'string' ? [] : [entry.key]),
    ...expressionsOf(entry.value),
  ]);
};

/** Every variable an expression reads and every function it calls, with offsets in the expression. */
const references = (
  node: ExpressionNode,
): Array<{ kind: 'variable' | 'call'; name: string; offset: number }> => {
  const found: Array<{ kind: 'variable' | 'call'; name: string; offset: number }> = [];
  walkExpression(node, (current) => {
    if (current.kind === 'variable')
      found.push({ kind: 'variable', name: current.name, offset: current.offset });
    // A dotted callee's node sits at its last dot; its name starts that much earlier.
    if (current.kind === 'call') {
      found.push({
        kind: 'call',
        name: current.name,
        offset: Math.max(0, current.offset - Math.max(0, current.name.lastIndexOf('.'))),
      });
    }
  });
  return found;
};

/** The source position of a node of an expression (the expression's own when it cannot be told). */
const positionInExpression = (expression: ExpressionTemplate, offset: number): SourcePosition =>
  expression.innerStart
    ? { line: expression.innerStart.line, column: expression.innerStart.column + offset, length: 0 }
    : expression.position;

// ---------------------------------------------------------------------------------------------
// Jumps: `next` targets, and the blocks a jump may leave or enter.
// ---------------------------------------------------------------------------------------------

/** A block a `next` cannot cross: the routine body, a for body, a parallel branch or iteration. */
interface Region {
  kind: 'routine' | 'for' | 'branch' | 'parallel-for';
  /** The step that opens the region (absent for the routine). */
  owner: StepDefinition | undefined;
  parent: Region | undefined;
}

/** How a block is nested: `group` blocks (`steps:`) can be jumped into; the others cannot. */
type BlockKind = 'region' | 'group' | 'switch' | 'try' | 'except';

interface BlockInfo {
  kind: BlockKind;
  /** The step whose action holds the block. */
  owner: StepDefinition | undefined;
  parent: BlockInfo | undefined;
  region: Region;
}

interface PlacedStep {
  step: StepDefinition;
  block: BlockInfo;
  synthetic: boolean;
}

const REGION_WORDS: Record<Region['kind'], string> = {
  routine: 'the workflow body',
  for: 'the for loop',
  branch: 'the parallel branch',
  'parallel-for': 'the parallel for loop',
};

const BLOCK_WORDS: Record<BlockKind, string> = {
  region: 'the body',
  group: 'the steps',
  switch: 'a condition',
  try: 'the try block',
  except: 'the except block',
};

/** Checks `next` targets and duplicate step names of one routine. */
const checkJumps = (routine: RoutineDefinition, issues: ValidationIssue[]): void => {
  const placed: PlacedStep[] = [];
  const jumps: Array<{ from: StepDefinition; block: BlockInfo; jump: JumpDefinition }> = [];
  const rootRegion: Region = { kind: 'routine', owner: undefined, parent: undefined };

  const visitBlock = (block: StepBlock, info: BlockInfo, syntheticName?: string): void => {
    for (const step of block.steps) {
      placed.push({ step, block: info, synthetic: step.name === syntheticName });
      if (step.next) jumps.push({ from: step, block: info, jump: step.next });
      visitAction(step, step.action, info);
    }
  };
  const child = (kind: BlockKind, owner: StepDefinition, parent: BlockInfo): BlockInfo => ({
    kind,
    owner,
    parent,
    region: parent.region,
  });
  const regionBlock = (kind: Region['kind'], owner: StepDefinition, parent: BlockInfo): BlockInfo => ({
    kind: 'region',
    owner,
    parent,
    region: { kind, owner, parent: parent.region },
  });
  const visitAction = (step: StepDefinition, action: StepAction | undefined, info: BlockInfo): void => {
    if (!action) return;
    switch (action.kind) {
      case 'steps':
        visitBlock(action.body, child('group', step, info));
        return;
      case 'switch':
        for (const condition of action.conditions) {
          if (condition.next) jumps.push({ from: step, block: info, jump: condition.next });
          if (condition.action?.kind === 'steps')
            visitBlock(condition.action.body, child('switch', step, info));
          else visitAction(step, condition.action, info);
        }
        return;
      case 'for':
        visitBlock(action.loop.body, regionBlock('for', step, info));
        return;
      case 'parallel':
        for (const branch of action.branches ?? [])
          visitBlock(branch.body, regionBlock('branch', step, info));
        if (action.loop) visitBlock(action.loop.body, regionBlock('parallel-for', step, info));
        return;
      case 'try':
        visitBlock(action.body, child('try', step, info), step.name);
        if (action.except) visitBlock(action.except.body, child('except', step, info));
        return;
      default:
        return;
    }
  };
  visitBlock(routine.body, { kind: 'region', owner: undefined, parent: undefined, region: rootRegion });

  // Duplicate names: within what one `next` can reach (a region), a name must be unique.
  const seen = new Map<Region, Map<string, StepDefinition>>();
  for (const { step, block, synthetic } of placed) {
    if (synthetic) continue;
    const names = seen.get(block.region) ?? new Map<string, StepDefinition>();
    seen.set(block.region, names);
    const first = names.get(step.name);
    if (first) {
      issues.push({
        line: step.position.line,
        column: step.position.column,
        message: `duplicate step name "${step.name}" in workflow "${routine.name}" (first at line ${first.position.line})`,
      });
    } else names.set(step.name, step);
  }

  const regionChain = (region: Region): Region[] => {
    const chain: Region[] = [];
    for (let current: Region | undefined = region; current; current = current.parent) chain.push(current);
    return chain;
  };
  const blockChain = (block: BlockInfo): BlockInfo[] => {
    const chain: BlockInfo[] = [];
    for (let current: BlockInfo | undefined = block; current; current = current.parent) chain.push(current);
    return chain;
  };
  const inParallel = (region: Region): Region | undefined =>
    regionChain(region).find((candidate) => candidate.kind === 'branch' || candidate.kind === 'parallel-for');

  for (const { from, block, jump } of jumps) {
    const at = (message: string): void => {
      issues.push({ line: jump.position.line, column: jump.position.column, message });
    };
    const { target } = jump;
    if (target === 'break' || target === 'continue') {
      const kind = block.region.kind;
      if (kind === 'routine') at(`step "${from.name}": next: ${target} is only allowed inside a for loop`);
      else if (kind === 'branch') {
        at(
          `step "${from.name}": next: ${target} cannot leave a parallel branch (the for loop is outside it)`,
        );
      }
      continue;
    }
    if (target === 'end') {
      const parallel = inParallel(block.region);
      if (parallel) {
        at(
          `step "${from.name}": next: end inside ${REGION_WORDS[parallel.kind]} of step "${parallel.owner?.name}" is not supported by the local executor; assign a shared variable instead`,
        );
      }
      continue;
    }
    const candidates = placed.filter((entry) => entry.step.name === target && !entry.synthetic);
    if (candidates.length === 0) {
      at(`step "${from.name}" jumps to "${target}", which is not a step of workflow "${routine.name}"`);
      continue;
    }
    const sameRegion = candidates.find((candidate) => candidate.block.region === block.region);
    if (!sameRegion) {
      const targetRegion = (candidates[0] as PlacedStep).block.region;
      const fromChain = regionChain(block.region);
      const targetChain = regionChain(targetRegion);
      if (targetChain.includes(block.region)) {
        const entered = targetChain[targetChain.indexOf(block.region) - 1] as Region;
        at(
          `step "${from.name}" jumps to "${target}" inside ${REGION_WORDS[entered.kind]} of step "${entered.owner?.name}"; a next cannot jump into it`,
        );
      } else {
        const left = fromChain.find((region) => !targetChain.includes(region)) as Region;
        at(
          `step "${from.name}" jumps to "${target}" outside ${REGION_WORDS[left.kind]} of step "${left.owner?.name}"; a next cannot jump out of it${
            left.kind === 'for' ? ' (use next: break)' : ''
          }`,
        );
      }
      continue;
    }
    // Same region: the target must be in this block or an enclosing one, or inside plain `steps:`
    // groups below one of those.
    const fromBlocks = new Set(blockChain(block));
    const targetBlocks = blockChain(sameRegion.block);
    const commonIndex = targetBlocks.findIndex((candidate) => fromBlocks.has(candidate));
    const entered = targetBlocks.slice(0, commonIndex).find((candidate) => candidate.kind !== 'group');
    if (entered) {
      at(
        `step "${from.name}" jumps to "${target}" inside ${BLOCK_WORDS[entered.kind]} of step "${entered.owner?.name}"; a next cannot jump into it`,
      );
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Variables: symbols read must exist; parallel branches write only shared variables.
// ---------------------------------------------------------------------------------------------

interface Scope {
  kind: 'routine' | 'for' | 'except' | 'branch' | 'parallel-for';
  owner: StepDefinition | undefined;
  position: SourcePosition;
  /** Parameters, loop variables, the except `as` variable. */
  bound: Set<string>;
  /** Every name assigned in this scope (outside nested scopes), wherever in the source. */
  assigned: Set<string>;
  /** Names assigned so far in source order (for the parallel write check). */
  definedSoFar: Set<string>;
  /** For a parallel branch or iteration: the names listed in `shared`. */
  shared: Set<string> | undefined;
}

const SCOPE_WORDS: Record<Scope['kind'], string> = {
  routine: 'the workflow',
  for: 'the for loop',
  except: 'the except block',
  branch: 'the parallel branch',
  'parallel-for': 'the parallel for loop',
};

/** The names assigned directly in a block (not in nested scopes): assign targets and call results. */
const assignedNames = (block: StepBlock): Set<string> => {
  const names = new Set<string>();
  const visitAction = (action: StepAction | undefined): void => {
    if (!action) return;
    switch (action.kind) {
      case 'assign':
        for (const assignment of action.assignments) {
          if (assignment.target.path.length === 0) names.add(assignment.target.variable);
        }
        return;
      case 'call':
        if (action.result) names.add(action.result);
        return;
      case 'steps':
        visitBlock(action.body);
        return;
      case 'switch':
        for (const condition of action.conditions) visitAction(condition.action);
        return;
      case 'try':
        visitBlock(action.body);
        return;
      default:
        return;
    }
  };
  const visitBlock = (current: StepBlock): void => {
    for (const step of current.steps) visitAction(step.action);
  };
  visitBlock(block);
  return names;
};

/**
 * Checks the variables of one routine the way a deploy does: every symbol an expression reads must
 * be a variable of an enclosing scope (or a subworkflow name); variables first created inside a
 * for loop, an except block or a parallel branch do not exist outside it; a parallel branch may
 * only assign parent variables listed in `shared`, which must exist before the parallel step.
 */
const checkVariables = (
  routine: RoutineDefinition,
  routineNames: ReadonlySet<string>,
  issues: ValidationIssue[],
): void => {
  /** Where each name is assigned, for "exists only inside ..." hints. */
  const homes = new Map<string, Scope>();
  const makeScope = (
    kind: Scope['kind'],
    owner: StepDefinition | undefined,
    position: SourcePosition,
    block: StepBlock,
    bound: string[],
    shared?: string[],
  ): Scope => {
    const scope: Scope = {
      kind,
      owner,
      position,
      bound: new Set(bound),
      assigned: assignedNames(block),
      definedSoFar: new Set(bound),
      shared: shared ? new Set(shared) : undefined,
    };
    for (const name of [...scope.bound, ...scope.assigned]) if (!homes.has(name)) homes.set(name, scope);
    return scope;
  };

  const visible = (name: string, chain: Scope[]): boolean =>
    routineNames.has(name) || chain.some((scope) => scope.bound.has(name) || scope.assigned.has(name));

  const checkRead = (name: string, position: SourcePosition, chain: Scope[]): void => {
    if (visible(name, chain)) return;
    const home = homes.get(name);
    const where =
      home && home.kind !== 'routine'
        ? `: it exists only inside ${SCOPE_WORDS[home.kind]}${home.owner ? ` of step "${home.owner.name}"` : ''} (line ${home.position.line})`
        : '';
    issues.push({
      line: position.line,
      column: position.column,
      message: `symbol '${name}' is neither a variable nor a sub-workflow name${where}`,
    });
  };
  const checkTemplate = (template: ValueTemplate | undefined, chain: Scope[]): void => {
    for (const expression of expressionsOf(template)) {
      for (const { kind, name, offset } of references(expression.node)) {
        if (kind === 'variable') checkRead(name, positionInExpression(expression, offset), chain);
      }
    }
  };

  /** A write of `name` from the innermost scope: inside a parallel branch it must be shared. */
  const checkWrite = (name: string, position: SourcePosition, chain: Scope[]): void => {
    for (const scope of chain) {
      if (scope.bound.has(name) || scope.definedSoFar.has(name)) return;
      if (scope.kind === 'branch' || scope.kind === 'parallel-for') {
        const outer = chain.slice(chain.indexOf(scope) + 1);
        const inParent = outer.some((parent) => parent.bound.has(name) || parent.definedSoFar.has(name));
        if (inParent && !scope.shared?.has(name)) {
          issues.push({
            line: position.line,
            column: position.column,
            message: `variable '${name}' belongs to the scope enclosing the parallel step "${scope.owner?.name}"; list it in "shared" to assign it in a branch`,
          });
        }
        return;
      }
    }
  };
  const define = (name: string, chain: Scope[]): void => {
    const owner = chain.find((scope) => scope.bound.has(name) || scope.definedSoFar.has(name));
    if (!owner) chain[0]?.definedSoFar.add(name);
  };

  const visitLoop = (
    kind: 'for' | 'parallel-for',
    step: StepDefinition,
    loop: ForLoopDefinition,
    chain: Scope[],
    shared?: string[],
  ): void => {
    checkTemplate(loop.source.kind === 'in' ? loop.source.items : loop.source.bounds, chain);
    const bound = [loop.value, ...(loop.index ? [loop.index] : [])];
    const scope = makeScope(kind, step, loop.position, loop.body, bound, shared);
    visitBlock(loop.body, [scope, ...chain]);
  };

  const visitCallArgs = (args: CallArguments, chain: Scope[]): void => {
    if (args.kind === 'named') for (const entry of args.entries) checkTemplate(entry.value, chain);
    if (args.kind === 'positional') for (const item of args.items) checkTemplate(item, chain);
  };

  const visitAction = (step: StepDefinition, action: StepAction | undefined, chain: Scope[]): void => {
    if (!action) return;
    switch (action.kind) {
      case 'assign':
        for (const assignment of action.assignments) {
          checkTemplate(assignment.value, chain);
          const { variable, path } = assignment.target;
          for (const segment of path) {
            if (segment.kind === 'index') {
              for (const name of variablesRead(segment.expression))
                checkRead(name, assignment.position, chain);
            }
          }
          if (path.length > 0) checkRead(variable, assignment.position, chain);
          checkWrite(variable, assignment.position, chain);
          define(variable, chain);
        }
        return;
      case 'call':
        visitCallArgs(action.args, chain);
        if (action.result) {
          checkWrite(action.result, action.position, chain);
          define(action.result, chain);
        }
        return;
      case 'switch':
        for (const condition of action.conditions) {
          checkTemplate(condition.condition, chain);
          visitAction(step, condition.action, chain);
        }
        return;
      case 'for':
        visitLoop('for', step, action.loop, chain);
        return;
      case 'parallel': {
        checkTemplate(action.concurrencyLimit, chain);
        for (const name of action.shared) {
          const defined = chain.some((scope) => scope.bound.has(name) || scope.definedSoFar.has(name));
          if (!defined) {
            issues.push({
              line: action.position.line,
              column: action.position.column,
              message: `shared variable '${name}' of parallel step "${step.name}" must be assigned before the parallel step`,
            });
          }
        }
        for (const branch of action.branches ?? []) {
          const scope = makeScope('branch', step, branch.position, branch.body, [], action.shared);
          visitBlock(branch.body, [scope, ...chain]);
        }
        if (action.loop) visitLoop('parallel-for', step, action.loop, chain, action.shared);
        return;
      }
      case 'raise':
      case 'return':
        checkTemplate(action.value, chain);
        return;
      case 'try': {
        visitBlock(action.body, chain);
        if (action.retry?.kind === 'custom') {
          for (const template of [
            action.retry.maxRetries,
            action.retry.initialDelay,
            action.retry.maxDelay,
            action.retry.multiplier,
          ]) {
            checkTemplate(template, chain);
          }
        }
        if (action.except) {
          const bound = action.except.as ? [action.except.as] : [];
          const scope = makeScope('except', step, step.position, action.except.body, bound);
          visitBlock(action.except.body, [scope, ...chain]);
        }
        return;
      }
      case 'steps':
        visitBlock(action.body, chain);
        return;
    }
  };
  const visitBlock = (block: StepBlock, chain: Scope[]): void => {
    for (const step of block.steps) visitAction(step, step.action, chain);
  };

  const root = makeScope(
    'routine',
    undefined,
    routine.position,
    routine.body,
    routine.params.map((param) => param.name),
  );
  visitBlock(routine.body, [root]);
};

// ---------------------------------------------------------------------------------------------
// Calls, functions in expressions, parallel nesting.
// ---------------------------------------------------------------------------------------------

/** Checks call steps and expression calls against subworkflow parameters and the function catalogue. */
const checkCalls = (
  workflow: CompiledWorkflow,
  routine: RoutineDefinition,
  catalogue: FunctionCatalogue,
  issues: ValidationIssue[],
): void => {
  const at = (position: SourcePosition, message: string): void => {
    issues.push({ line: position.line, column: position.column, message });
  };
  const checkExpressionCalls = (template: ValueTemplate | undefined): void => {
    for (const expression of expressionsOf(template)) {
      for (const { kind, name, offset } of references(expression.node)) {
        if (kind !== 'call' || workflow.routines.has(name)) continue;
        const signature = catalogue.get(name);
        const position = positionInExpression(expression, offset);
        if (signature?.blocking) {
          at(position, `${name} is a blocking function: call it from a call step, not inside \${...}`);
        } else if (!signature && !name.startsWith('googleapis.')) {
          at(position, `unknown function ${name}() (neither a standard library function nor a subworkflow)`);
        }
      }
    }
  };

  const visitAction = (step: StepDefinition, action: StepAction | undefined, depth: number): void => {
    if (!action) return;
    switch (action.kind) {
      case 'assign':
        for (const assignment of action.assignments) checkExpressionCalls(assignment.value);
        return;
      case 'call': {
        const { target, args, position } = action;
        if (args.kind === 'named') for (const entry of args.entries) checkExpressionCalls(entry.value);
        if (args.kind === 'positional') for (const item of args.items) checkExpressionCalls(item);
        if (target.kind === 'subworkflow') {
          const callee = workflow.routines.get(target.name) as RoutineDefinition;
          if (target.name === 'main') at(position, 'the main workflow cannot be called as a subworkflow');
          if (args.kind === 'positional') {
            at(position, `call ${target.name}: pass subworkflow arguments by name (args: {param: value})`);
            return;
          }
          const given = new Set(args.kind === 'named' ? args.entries.map((entry) => entry.name) : []);
          const known = new Set(callee.params.map((param) => param.name));
          for (const entry of args.kind === 'named' ? args.entries : []) {
            if (!known.has(entry.name)) {
              at(
                entry.position,
                `call ${target.name}: unknown argument "${entry.name}" (parameters: ${[...known].join(', ') || 'none'})`,
              );
            }
          }
          const missing = callee.params.filter(
            (param) => param.defaultValue === undefined && !given.has(param.name),
          );
          if (missing.length > 0) {
            at(
              position,
              `call ${target.name}: missing required argument${missing.length > 1 ? 's' : ''} ${missing
                .map((param) => `"${param.name}"`)
                .join(', ')}`,
            );
          }
        } else if (target.kind === 'function') {
          const signature = catalogue.get(target.name);
          if (!signature) return;
          if (args.kind === 'named') {
            for (const entry of args.entries) {
              if (!signature.params.includes(entry.name)) {
                at(
                  entry.position,
                  `call ${target.name}: unknown argument "${entry.name}" (arguments: ${signature.params.join(', ') || 'none'})`,
                );
              }
            }
            const names = new Set(args.entries.map((entry) => entry.name));
            const missing = signature.params.slice(0, signature.minArgs).filter((name) => !names.has(name));
            if (missing.length > 0) {
              at(
                position,
                `call ${target.name}: missing required argument ${missing.map((name) => `"${name}"`).join(', ')}`,
              );
            }
          } else {
            const count = args.kind === 'positional' ? args.items.length : 0;
            if (count < signature.minArgs || count > signature.params.length) {
              at(
                position,
                `call ${target.name}: takes ${signature.minArgs === signature.params.length ? signature.minArgs : `${signature.minArgs} to ${signature.params.length}`} argument(s), got ${count}`,
              );
            }
          }
        }
        return;
      }
      case 'switch':
        for (const condition of action.conditions) {
          checkExpressionCalls(condition.condition);
          visitAction(step, condition.action, depth);
        }
        return;
      case 'for':
        checkExpressionCalls(
          action.loop.source.kind === 'in' ? action.loop.source.items : action.loop.source.bounds,
        );
        visitBlock(action.loop.body, depth);
        return;
      case 'parallel': {
        if (depth + 1 > MAX_PARALLEL_NESTING) {
          at(
            step.position,
            `parallel step "${step.name}" is nested ${depth + 1} deep; parallel steps nest at most ${MAX_PARALLEL_NESTING} deep`,
          );
        }
        checkExpressionCalls(action.concurrencyLimit);
        for (const branch of action.branches ?? []) visitBlock(branch.body, depth + 1);
        if (action.loop) {
          checkExpressionCalls(
            action.loop.source.kind === 'in' ? action.loop.source.items : action.loop.source.bounds,
          );
          visitBlock(action.loop.body, depth + 1);
        }
        return;
      }
      case 'raise':
      case 'return':
        checkExpressionCalls(action.value);
        return;
      case 'try':
        visitBlock(action.body, depth);
        if (action.retry?.kind === 'custom' && action.retry.predicate?.kind === 'subworkflow') {
          const predicate = workflow.routines.get(action.retry.predicate.name) as RoutineDefinition;
          const required = predicate.params.filter((param) => param.defaultValue === undefined).length;
          if (predicate.params.length === 0 || required > 1) {
            at(
              action.retry.position,
              `retry predicate "${predicate.name}" must take exactly one parameter (the error), it takes ${predicate.params.length}`,
            );
          }
        }
        if (action.except) visitBlock(action.except.body, depth);
        return;
      case 'steps':
        visitBlock(action.body, depth);
        return;
    }
  };
  const visitBlock = (block: StepBlock, depth: number): void => {
    for (const step of block.steps) {
      if (step.action?.kind === 'return' && depth > 0) {
        at(
          step.position,
          `step "${step.name}": return inside a parallel branch or iteration is not supported by the local executor; assign a shared variable and return after the parallel step`,
        );
      }
      if (step.action?.kind === 'switch') {
        for (const condition of step.action.conditions) {
          if (condition.action?.kind === 'return' && depth > 0) {
            at(
              condition.position,
              `step "${step.name}": return inside a parallel branch or iteration is not supported by the local executor; assign a shared variable and return after the parallel step`,
            );
          }
        }
      }
      visitAction(step, step.action, depth);
    }
  };
  visitBlock(routine.body, 0);
};

/**
 * The deploy-time checks that need the whole workflow: jumps, duplicate step names, variables and
 * scopes, shared variables of parallel steps, call arguments, functions in expressions, parallel
 * nesting. Shapes and limits the JSON Schema covers are not repeated here.
 */
const checkWorkflowSemantics = (
  workflow: CompiledWorkflow,
  catalogue: FunctionCatalogue,
): ValidationIssue[] => {
  const issues: ValidationIssue[] = [];
  const routineNames = new Set(workflow.routines.keys());
  for (const routine of workflow.routines.values()) {
    const paramNames = new Set<string>();
    for (const param of routine.params) {
      if (paramNames.has(param.name)) {
        issues.push({
          line: routine.position.line,
          column: routine.position.column,
          message: `workflow "${routine.name}" lists parameter "${param.name}" twice`,
        });
      }
      paramNames.add(param.name);
    }
    checkJumps(routine, issues);
    checkVariables(routine, routineNames, issues);
    checkCalls(workflow, routine, catalogue, issues);
  }
  return issues;
};

export { checkWorkflowSemantics, expressionsOf, MAX_PARALLEL_NESTING };
