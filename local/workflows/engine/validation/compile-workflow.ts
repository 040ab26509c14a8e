import { createFunctionCatalogue } from '../interpreter/standard-library';
import { buildDefinition } from './build-definition';
import type { FunctionCatalogue } from './function-catalogue';
import { checkAgainstSchema, createSchemaValidators, type SchemaValidators } from './schema-check';
import { checkWorkflowSemantics } from './semantic-checks';
import { loadSourceTree } from './source-tree';
import { sortIssues, type ValidationIssue, WorkflowValidationError } from './validation-error';
import type { CompiledWorkflow } from './workflow-definition';

interface CompileOptions {
  /** Named in the error message; `workflow.yaml` when not given. */
  fileName?: string;
}

/** A compiler with the schema validators and function catalogue built once, for many workflows. */
interface WorkflowCompiler {
  /** Like `compileWorkflow`. */
  compile(source: string, options?: CompileOptions): CompiledWorkflow;
  /** Every issue of the source, without throwing (empty when it compiles). */
  check(source: string, options?: CompileOptions): ValidationIssue[];
}

/**
 * Makes a compiler. Compiling the JSON Schema takes a few milliseconds, so a server deploying many
 * workflows keeps one compiler; `compileWorkflow` makes one per call.
 */
const createWorkflowCompiler = (
  dependencies: { validators?: SchemaValidators; catalogue?: FunctionCatalogue } = {},
): WorkflowCompiler => {
  let validators = dependencies.validators;
  const catalogue = dependencies.catalogue ?? createFunctionCatalogue();
  const analyse = (
    source: string,
    options: CompileOptions,
  ): { workflow: CompiledWorkflow | undefined; issues: ValidationIssue[] } => {
    const fileName = options.fileName ?? 'workflow.yaml';
    const loaded = loadSourceTree(source);
    if (!loaded.root) return { workflow: undefined, issues: loaded.issues };
    validators ??= createSchemaValidators();
    const issues = [...loaded.issues, ...checkAgainstSchema(loaded.root, validators)];
    const built = buildDefinition(loaded.root, {
      source,
      lineCounter: loaded.lineCounter,
      catalogue,
      fileName,
    });
    issues.push(...built.issues);
    if (built.workflow) issues.push(...checkWorkflowSemantics(built.workflow, catalogue));
    return { workflow: built.workflow, issues };
  };
  return {
    compile(source, options = {}) {
      const { workflow, issues } = analyse(source, options);
      if (issues.length > 0 || !workflow) {
        throw new WorkflowValidationError(
          options.fileName ?? 'workflow.yaml',
          issues.length > 0 ? issues : [{ line: 1, column: 1, message: 'the workflow has no main' }],
        );
      }
      return workflow;
    },
    check(source, options = {}) {
      const { workflow, issues } = analyse(source, options);
      return issues.length > 0 || workflow
        ? sortIssues(issues)
        : [{ line: 1, column: 1, message: 'the workflow has no main' }];
    },
  };
};

/**
 * Checks a workflow source (YAML or JSON) the way a deploy does and compiles it: YAML syntax, the
 * official JSON Schema, expressions, jumps, variables and scopes, calls. Every issue found is
 * reported at once.
 * @throws WorkflowValidationError listing each issue as `line L, column C: reason`.
 */
const compileWorkflow = (source: string, options: CompileOptions = {}): CompiledWorkflow =>
  createWorkflowCompiler().compile(source, options);

export type { CompileOptions, WorkflowCompiler };
export { compileWorkflow, createWorkflowCompiler };
