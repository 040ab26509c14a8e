import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { compileWorkflow } from '../../../local/workflows/engine';

/**
 * Every runbook in workflows/ is deployable as it is: valid against the official Cloud Workflows
 * JSON Schema (draft-07, unrelaxed), and accepted by the local executor's deploy-time validation.
 * The subworkflows every runbook carries a copy of (a Workflows file cannot import another) stay
 * identical across files.
 */

const ROOT = join(__dirname, '..', '..', '..');
const RUNBOOK_DIR = join(ROOT, 'workflows');
const SCHEMA_PATH = join(ROOT, 'local', 'workflows', 'schema', 'workflows.schema.json');
/** Subworkflows copied into every runbook. */
const SHARED_SUBWORKFLOWS = ['read_inputs', 'run_command', 'read_operation', 'fail'];

const runbookFiles = readdirSync(RUNBOOK_DIR)
  .filter((file) => file.endsWith('.workflows.yaml'))
  .sort();
const sourceOf = (file: string): string => readFileSync(join(RUNBOOK_DIR, file), 'utf8');
const definitionOf = (file: string): Record<string, { params?: unknown[]; steps: unknown[] }> =>
  parse(sourceOf(file)) as Record<string, { params?: unknown[]; steps: unknown[] }>;

describe('runbooks', () => {
  it('are the seven runbooks of ARCHITECTURE §6', () => {
    // Assert
    expect(runbookFiles).toEqual([
      'filestore-restore.workflows.yaml',
      'gpu-offhours.workflows.yaml',
      'key-rotation.workflows.yaml',
      'offboard-user.workflows.yaml',
      'onboard-user.workflows.yaml',
      'sql-pitr-clone.workflows.yaml',
      'sql-restore.workflows.yaml',
    ]);
  });

  describe.each(runbookFiles)('%s', (file) => {
    it('is valid against the official Workflows JSON Schema', () => {
      // Prepare
      const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, logger: false });
      const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);

      // Act
      const valid = validate(definitionOf(file));

      // Assert
      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
    });

    it("deploys through the local engine's validation", () => {
      // Act
      const compile = () => compileWorkflow(sourceOf(file), { fileName: file });

      // Assert
      expect(compile).not.toThrow();
    });

    it('takes one argument and documents it and its result in the header', () => {
      // Prepare
      const header = sourceOf(file)
        .split('\n')
        .filter((line) => line.startsWith('#'))
        .join('\n');

      // Assert
      expect(definitionOf(file).main?.params).toEqual(['args']);
      expect(header).toMatch(new RegExp(`^# ${file.replace('.workflows.yaml', '')}: `));
      expect(header).toMatch(/# Argument \(a JSON object\):/);
      expect(header).toMatch(/# Returns: /);
      expect(header).toMatch(/OPSPLANE_OPS_API_URL/);
    });

    it('carries the shared subworkflows unchanged', () => {
      // Prepare
      const reference = definitionOf(runbookFiles[0] as string);

      // Act
      const definition = definitionOf(file);

      // Assert
      for (const name of SHARED_SUBWORKFLOWS) {
        expect({ name, routine: definition[name] }).toEqual({ name, routine: reference[name] });
      }
    });
  });

  it('are each described in workflows/README.md', () => {
    // Prepare
    const readme = readFileSync(join(RUNBOOK_DIR, 'README.md'), 'utf8');

    // Assert
    for (const file of runbookFiles) {
      expect(readme).toContain(`## ${file.replace('.workflows.yaml', '')}`);
    }
  });
});
