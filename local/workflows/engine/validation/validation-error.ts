/** One problem found in a workflow definition before it runs; line and column are 1-based. */
interface ValidationIssue {
  line: number;
  column: number;
  message: string;
}

/** Issues in source order (line, then column), each once. */
const sortIssues = (issues: ValidationIssue[]): ValidationIssue[] => {
  const seen = new Set<string>();
  return [...issues]
    .sort((a, b) => a.line - b.line || a.column - b.column || a.message.localeCompare(b.message))
    .filter((issue) => {
      const key = `${issue.line}:${issue.column}:${issue.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
};

/**
 * A workflow refused at deploy time, with every issue found (not just the first), so a runbook
 * author fixes them all in one go, as `gcloud workflows deploy` would report them.
 */
class WorkflowValidationError extends Error {
  readonly issues: ValidationIssue[];
  readonly fileName: string;

  constructor(fileName: string, issues: ValidationIssue[]) {
    const sorted = sortIssues(issues);
    super(
      `${fileName}: the workflow is not valid (${sorted.length} issue${sorted.length === 1 ? '' : 's'}):\n${sorted
        .map((issue) => `  line ${issue.line}, column ${issue.column}: ${issue.message}`)
        .join('\n')}`,
    );
    this.name = 'WorkflowValidationError';
    this.fileName = fileName;
    this.issues = sorted;
  }
}

export type { ValidationIssue };
export { sortIssues, WorkflowValidationError };
