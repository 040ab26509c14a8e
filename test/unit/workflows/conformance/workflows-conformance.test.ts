import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVirtualClock } from '../../../../local/workflows/engine/clocks';
import {
  createLocalCallbackService,
  type LocalCallbackService,
} from '../../../../local/workflows/engine/interpreter/local-callback-service';
import type { WorkflowClock } from '../../../../local/workflows/engine/runtime-types';
import { createWorkflowCompiler } from '../../../../local/workflows/engine/validation/compile-workflow';
import { WorkflowValidationError } from '../../../../local/workflows/engine/validation/validation-error';
import { type ExecutionJson, runWorkflowFile } from '../../../../local/workflows/run-workflow-file';

/**
 * The conformance corpus (/work/shared/conformance/workflows, see its INDEX.md), run through
 * `runWorkflowFile` (the entry the CLI uses) on a virtual clock: the official samples and demos
 * with documented or derived results, and every emulator-asserted case of the lemonberrylabs
 * emulator. Where the official documentation and an emulator expectation disagree, the table
 * DOCUMENTED_BEHAVIOUR says why and the documented behaviour is asserted instead.
 */

const CORPUS = '/work/shared/conformance/workflows';
const EMULATOR_CASES = join(CORPUS, 'lemonberrylabs-gcw-emulator/extracted');

const compiler = createWorkflowCompiler();

type Fidelity = 'plausible' | 'uncertain' | 'suspect';

/** What running a case should give: refused at deploy, or an execution with this outcome. */
type Expectation =
  | { refused: RegExp }
  | { state: 'FAILED'; payload: RegExp }
  | { state: 'SUCCEEDED'; result?: unknown; resultKeys?: Record<string, unknown> };

interface Outcome {
  refused?: string;
  execution?: ExecutionJson;
}

/** Runs a case; a validation error is an outcome too (the workflow was refused at deploy). */
const runCase = async (
  path: string,
  argument: unknown,
  makeCallbacks?: (clock: WorkflowClock) => LocalCallbackService,
): Promise<Outcome> => {
  const clock = createVirtualClock(Date.UTC(2026, 0, 1));
  const callbacks = makeCallbacks?.(clock);
  try {
    const execution = await runWorkflowFile(path, {
      compiler,
      clock,
      ...(argument === undefined ? {} : { data: JSON.stringify(argument) }),
      services: { log: () => undefined, ...(callbacks ? { callbacks } : {}) },
    });
    return { execution };
  } catch (error) {
    if (error instanceof WorkflowValidationError) return { refused: error.message };
    throw error;
  } finally {
    await callbacks?.close();
  }
};

/** The result as plain JSON (numbers int/double-insensitive, as the emulator's Go tests compare). */
const resultOf = (outcome: Outcome): unknown =>
  outcome.execution?.result === undefined ? undefined : JSON.parse(outcome.execution.result);

/** Why an outcome does not meet an expectation; empty when it does. */
const mismatches = (outcome: Outcome, expected: Expectation): string[] => {
  const problems: string[] = [];
  const seen = outcome.refused
    ? `refused: ${outcome.refused}`
    : `${outcome.execution?.state} ${outcome.execution?.result ?? outcome.execution?.error?.payload}`;
  if ('refused' in expected) {
    if (!outcome.refused || !expected.refused.test(outcome.refused))
      problems.push(`want refused ${expected.refused}, got ${seen}`);
    return problems;
  }
  if (outcome.execution?.state !== expected.state) {
    problems.push(`want ${expected.state}, got ${seen}`);
    return problems;
  }
  if (expected.state === 'FAILED') {
    if (!expected.payload.test(outcome.execution.error?.payload ?? '')) {
      problems.push(`want payload ${expected.payload}, got ${seen}`);
    }
    return problems;
  }
  const result = resultOf(outcome);
  if (
    'result' in expected &&
    JSON.stringify(sortKeys(result)) !== JSON.stringify(sortKeys(expected.result))
  ) {
    problems.push(`want result ${JSON.stringify(expected.result)}, got ${outcome.execution.result}`);
  }
  for (const [key, value] of Object.entries(expected.resultKeys ?? {})) {
    const actual = (result as Record<string, unknown> | null)?.[key];
    if (JSON.stringify(sortKeys(actual)) !== JSON.stringify(sortKeys(value))) {
      problems.push(`want ${key} = ${JSON.stringify(value)}, got ${JSON.stringify(actual)} (${seen})`);
    }
  }
  return problems;
};

const sortKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
};

// ---------------------------------------------------------------------------------------------
// Official samples and demos (documented or derived results, INDEX.md §1 and §2)
// ---------------------------------------------------------------------------------------------

interface OfficialCase {
  file: string;
  argument?: unknown;
  expected: Expectation;
  provenance: 'documented' | 'derived';
}

const SAMPLE_CASES: OfficialCase[] = [
  {
    file: 'args',
    argument: { firstName: 'Ada', lastName: 'Lovelace' },
    expected: { state: 'SUCCEEDED', result: 'Hello Ada Lovelace' },
    provenance: 'derived',
  },
  {
    file: 'array',
    expected: { state: 'SUCCEEDED', result: { concat_result: 'foobar' } },
    provenance: 'derived',
  },
  { file: 'dictionary', expected: { state: 'SUCCEEDED', result: null }, provenance: 'derived' },
  {
    file: 'expression',
    expected: { state: 'SUCCEEDED', result: 'Current temperature is 80.6 F' },
    provenance: 'derived',
  },
  { file: 'iterate_for_range', expected: { state: 'SUCCEEDED', result: 45 }, provenance: 'documented' },
  { file: 'iterate_list', expected: { state: 'SUCCEEDED', result: 15 }, provenance: 'documented' },
  { file: 'iterate_map', expected: { state: 'SUCCEEDED', result: 60 }, provenance: 'documented' },
  { file: 'list', expected: { state: 'SUCCEEDED', result: null }, provenance: 'derived' },
  { file: 'list_reverse', expected: { state: 'SUCCEEDED', result: [3, 2, 1] }, provenance: 'derived' },
  { file: 'loop_scope', expected: { state: 'SUCCEEDED', result: [8] }, provenance: 'derived' },
  {
    file: 'step_iterate',
    expected: { state: 'SUCCEEDED', result: { concat_result: 'foobar' } },
    provenance: 'derived',
  },
  {
    file: 'step_switch_embedded',
    expected: { state: 'SUCCEEDED', result: 'increase a to:8' },
    provenance: 'derived',
  },
  { file: 'subworkflow', expected: { state: 'SUCCEEDED', result: 'Hello Kristof' }, provenance: 'derived' },
  { file: 'vars', expected: { state: 'SUCCEEDED', result: null }, provenance: 'derived' },
];

/** Each sample in YAML and in its JSON twin (same semantics, and a test of the JSON loader). */
const SAMPLE_RUNS = SAMPLE_CASES.flatMap((sample) =>
  ['yaml', 'json'].map((extension) => ({
    ...sample,
    path: join(CORPUS, 'workflows-samples/src', `${sample.file}.workflows.${extension}`),
    label: `${sample.file}.workflows.${extension}`,
  })),
);

/** Terraform templates (`$${...}`) are left out: they are not runnable as they are. */
const DEMO_CASES: OfficialCase[] = [
  {
    file: 'gitops/workflow.yaml',
    expected: { state: 'SUCCEEDED', result: 'Hello World' },
    provenance: 'derived',
  },
  {
    file: 'multi-env-deployment/workflow1.yaml',
    argument: { urls: { url1: 'a', url2: 'b' } },
    expected: { state: 'SUCCEEDED', result: { url1: 'a', url2: 'b' } },
    provenance: 'derived',
  },
  {
    file: 'multi-env-deployment/workflow2.yaml',
    expected: { state: 'SUCCEEDED', result: { url1: 'REPLACE_url1', url2: 'REPLACE_url2' } },
    provenance: 'derived',
  },
  {
    file: 'workflow-executes-other-workflows/workflow-child.yaml',
    argument: { iteration: 1 },
    expected: { state: 'SUCCEEDED', result: 'Hello world1' },
    provenance: 'derived',
  },
  {
    file: 'workflow-executes-other-workflows/workflow-child.yaml',
    argument: { iteration: 2 },
    expected: { state: 'FAILED', payload: /^"Error with iteration 2"$/ },
    provenance: 'derived',
  },
  {
    file: 'workflow-tasks-workflow/workflow-child.yaml',
    argument: { iteration: 3 },
    expected: { state: 'SUCCEEDED', result: 'Hello world3' },
    provenance: 'derived',
  },
];

const DEMO_RUNS = DEMO_CASES.map((demo) => ({
  ...demo,
  path: join(CORPUS, 'workflows-demos', demo.file),
  label: `${demo.file} ${JSON.stringify(demo.argument ?? null)}`,
}));

// ---------------------------------------------------------------------------------------------
// Emulator-asserted cases (INDEX.md §3)
// ---------------------------------------------------------------------------------------------

/**
 * Where the official documentation and the emulator's expectation disagree. Each entry says which
 * documentation decides, and the documented behaviour is what the case must show here.
 */
const DOCUMENTED_BEHAVIOUR: Record<string, { reason: string; expected: Expectation }> = {
  TestStdlib_ListConcat: {
    reason: 'list.concat page: appends `val` as ONE element, so concat([1,2],[3,4]) is [1,2,[3,4]]',
    expected: { state: 'SUCCEEDED', result: [1, 2, [3, 4]] },
  },
  TestFor_BreakInNestedLoop: {
    reason: 'list.concat(result, [x]) appends the list [x] as one element (list.concat page)',
    expected: { state: 'SUCCEEDED', result: [[11], [12], [21], [22], [31], [32]] },
  },
  TestFor_ListWithIndex: {
    reason: 'list.concat(result, [x]) appends the list [x] as one element (list.concat page)',
    expected: { state: 'SUCCEEDED', result: [['0:a'], ['1:b'], ['2:c']] },
  },
  TestStdlib_MapGet: {
    reason: 'map.get page: two arguments (map, keys), no default; a third one is a TypeError',
    expected: { state: 'FAILED', payload: /map\.get.*TypeError/ },
  },
  TestExpr_TypeFunction: {
    reason:
      'there is no type() helper: the expression helpers are double/int/string/keys/len/default/if/get_type',
    expected: { refused: /unknown function type\(\)/ },
  },
  TestExpr_NullHandling: {
    reason: 'there is no type() helper (get_type() is the documented one, and names null "null")',
    expected: { refused: /unknown function type\(\)/ },
  },
  TestError_TypeError: {
    reason:
      'datatypes page `+` table: STRING + INTEGER is STRING, so "hello" + 42 is "hello42"; nothing raises and main ends without return',
    expected: { state: 'SUCCEEDED', result: null },
  },
  TestParallel_ExceptionPolicyUnhandled: {
    reason:
      'parallel-steps page: continueAll is the only exception_policy (schema const), so the workflow does not deploy',
    expected: { refused: /exception_policy: must be "continueAll"/ },
  },
  TestParallel_UnhandledPolicyAbortsBranches: {
    reason:
      'parallel-steps page: "The default policy, continueAll, results in no further action, and all other branches will attempt to run": the slow branch still sets x, then UnhandledBranchError is caught',
    expected: { state: 'SUCCEEDED', resultKeys: { caught: true, x_value: 999 } },
  },
  TestParallel_NestingDepth2Allowed: {
    reason:
      'official JSON Schema: `branches` has minItems 2; a parallel step with one branch does not deploy',
    expected: { refused: /needs at least 2 branches/ },
  },
  TestParallel_NestingDepthExceeded: {
    reason:
      'quotas page: parallel nesting depth 2, checked when deploying (and one-branch parallel steps are refused too)',
    expected: { refused: /nest at most 2 deep/ },
  },
  TestFor_VariableScoping: {
    reason:
      'iteration page: a variable created in a loop does not exist after it, and reading it is a deployment error',
    expected: { refused: /symbol 'loop_var' is neither a variable nor a sub-workflow name/ },
  },
  TestError_NestedTryExcept: {
    reason:
      'catching-errors page: a variable created in an except block is local to it; reading it elsewhere is an undefined symbol at deploy (troubleshooting page)',
    expected: { refused: /symbol 'inner_caught'/ },
  },
  TestError_RaiseString: {
    reason:
      'raising-errors page: a raised error is the string or map given, so `e` is the string and e.message a TypeError',
    expected: { state: 'FAILED', payload: /TypeError/ },
  },
  TestError_ErrorPropagation: {
    reason: 'raising-errors page: a raised string stays a string, so e.message is a TypeError',
    expected: { state: 'FAILED', payload: /TypeError/ },
  },
  TestStdlib_Base64EncodeDecode: {
    reason: 'base64.encode page: `data` is bytes; a string is a TypeError (use text.encode first)',
    expected: { state: 'FAILED', payload: /base64\.encode.*bytes/ },
  },
  TestEdge_MapLiteralInExpression: {
    reason:
      'cheat sheet: quote an expression containing ": "; unquoted, a $-brace map literal is not valid YAML',
    expected: { refused: /YAML/ },
  },
  TestStdlib_TextMatchRegex: {
    reason:
      'text.match_regex takes (source, regexp) [two independent sources, spec §6]; the emulator names it `regex`',
    expected: { refused: /unknown argument "regex"/ },
  },
  TestStdlib_TextReplaceAll: {
    reason:
      'text.replace_all takes (source, substr, repl) [two independent sources, spec §6]; the emulator names it `replacement`',
    expected: { refused: /unknown argument "replacement"/ },
  },
};

interface EmulatorRecord {
  test: string;
  workflow_file: string;
  gcp_fidelity: Fidelity;
  offline: boolean;
  argument?: unknown;
  asserts: Array<{ state?: string; result_equals?: unknown; result_key?: string; equals?: unknown }>;
  cases?: Array<{ argument?: unknown; result_equals?: unknown }>;
}

interface EmulatorCase {
  name: string;
  area: string;
  path: string;
  fidelity: Fidelity;
  offline: boolean;
  runs: Array<{ argument?: unknown; expected: Expectation }>;
}

/** An emulator record's assertions as expectations (one run per table-driven case). */
const emulatorExpectation = (asserts: EmulatorRecord['asserts']): Expectation => {
  const state = asserts.find((assertion) => assertion.state !== undefined)?.state ?? 'SUCCEEDED';
  if (state === 'FAILED') return { state: 'FAILED', payload: /./ };
  const expected: Expectation = { state: 'SUCCEEDED' };
  const exact = asserts.find((assertion) => 'result_equals' in assertion);
  if (exact) expected.result = exact.result_equals;
  const keys = asserts.filter((assertion) => assertion.result_key !== undefined);
  if (keys.length > 0) {
    expected.resultKeys = Object.fromEntries(
      keys.map((assertion) => [assertion.result_key, assertion.equals]),
    );
  }
  return expected;
};

const EMULATOR_CASES_LIST: EmulatorCase[] = readdirSync(EMULATOR_CASES)
  .sort()
  .flatMap((area) =>
    readdirSync(join(EMULATOR_CASES, area))
      .filter((file) => file.endsWith('.expected.json'))
      .sort()
      .map((file) => {
        const record = JSON.parse(readFileSync(join(EMULATOR_CASES, area, file), 'utf8')) as EmulatorRecord;
        const runs = record.cases
          ? record.cases.map((tableCase) => ({
              argument: tableCase.argument,
              expected: { state: 'SUCCEEDED', result: tableCase.result_equals } as Expectation,
            }))
          : [{ argument: record.argument, expected: emulatorExpectation(record.asserts) }];
        return {
          name: record.test,
          area,
          path: join(EMULATOR_CASES, area, record.workflow_file),
          fidelity: record.gcp_fidelity,
          offline: record.offline,
          runs,
        };
      }),
  );

/**
 * The callback service for "needs external actor" cases: every endpoint gets one POST, sent over
 * real HTTP to the local endpoint as soon as it is created (queued until the workflow waits).
 */
const answeringCallbacks = (clock: WorkflowClock): LocalCallbackService => {
  const service = createLocalCallbackService({ clock, serve: true });
  return {
    ...service,
    async create(method) {
      const endpoint = await service.create(method);
      const response = await fetch(endpoint.url, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ approved: true }),
      });
      await response.arrayBuffer();
      return endpoint;
    },
  };
};

// ---------------------------------------------------------------------------------------------

const tally = new Map<string, { passed: number; total: number }>();
const count = (group: string, passed: boolean): void => {
  const entry = tally.get(group) ?? { passed: 0, total: 0 };
  entry.total += 1;
  if (passed) entry.passed += 1;
  tally.set(group, entry);
};

afterAll(() => {
  const lines = [...tally.entries()].map(
    ([group, { passed, total }]) => `  ${group}: ${passed}/${total} pass`,
  );
  console.log(`Workflows conformance\n${lines.join('\n')}`);
});

describe('workflows-samples (official samples, documented or derived results)', () => {
  it.each(SAMPLE_RUNS)('$label gives its $provenance result', async (sample) => {
    // Prepare
    const { path, argument, expected } = sample;
    // Act
    const outcome = await runCase(path, argument);
    // Assert
    const problems = mismatches(outcome, expected);
    count(`workflows-samples ${sample.provenance}`, problems.length === 0);
    expect(problems).toEqual([]);
  });
});

describe('workflows-demos (official demos, derived results)', () => {
  it.each(DEMO_RUNS)('$label gives its $provenance result', async (demo) => {
    // Prepare
    const { path, argument, expected } = demo;
    // Act
    const outcome = await runCase(path, argument);
    // Assert
    const problems = mismatches(outcome, expected);
    count(`workflows-demos ${demo.provenance}`, problems.length === 0);
    expect(problems).toEqual([]);
  });
});

describe('lemonberrylabs emulator cases where the documentation decides', () => {
  const documented = EMULATOR_CASES_LIST.filter((emulatorCase) => emulatorCase.name in DOCUMENTED_BEHAVIOUR);

  it('lists only cases that exist in the corpus', () => {
    // Prepare
    const names = new Set(EMULATOR_CASES_LIST.map((emulatorCase) => emulatorCase.name));
    // Act
    const unknown = Object.keys(DOCUMENTED_BEHAVIOUR).filter((name) => !names.has(name));
    // Assert
    expect(unknown).toEqual([]);
  });

  it.each(documented.map((emulatorCase) => [emulatorCase.name, emulatorCase] as const))(
    '%s follows the documentation',
    async (_name, emulatorCase) => {
      // Prepare
      const { reason, expected } = DOCUMENTED_BEHAVIOUR[emulatorCase.name] as {
        reason: string;
        expected: Expectation;
      };
      // Act
      const outcome = await runCase(emulatorCase.path, emulatorCase.runs[0]?.argument);
      // Assert
      const problems = mismatches(outcome, expected);
      count(`lemonberrylabs ${emulatorCase.fidelity} (documented behaviour)`, problems.length === 0);
      expect({ reason, problems }).toEqual({ reason, problems: [] });
    },
  );
});

describe('lemonberrylabs emulator-asserted cases', () => {
  const asserted = EMULATOR_CASES_LIST.filter((emulatorCase) => !(emulatorCase.name in DOCUMENTED_BEHAVIOUR));
  const failures: Record<Fidelity, string[]> = { plausible: [], uncertain: [], suspect: [] };
  const totals: Record<Fidelity, number> = { plausible: 0, uncertain: 0, suspect: 0 };

  beforeAll(async () => {
    for (const emulatorCase of asserted) {
      const problems: string[] = [];
      for (const run of emulatorCase.runs) {
        const outcome = await runCase(
          emulatorCase.path,
          run.argument,
          emulatorCase.offline ? undefined : answeringCallbacks,
        );
        problems.push(...mismatches(outcome, run.expected));
      }
      totals[emulatorCase.fidelity] += 1;
      count(`lemonberrylabs ${emulatorCase.fidelity}`, problems.length === 0);
      if (problems.length > 0)
        failures[emulatorCase.fidelity].push(`${emulatorCase.name}: ${problems.join('; ')}`);
    }
  });

  it('passes at least 95% of the plausible cases', () => {
    // Prepare
    const passed = totals.plausible - failures.plausible.length;
    // Act
    const rate = passed / totals.plausible;
    // Assert
    expect(totals.plausible).toBeGreaterThan(100);
    expect({ rate: rate >= 0.95, failures: failures.plausible }).toEqual({
      rate: true,
      failures: expect.any(Array),
    });
  });

  it('passes every uncertain and suspect case it does not overrule with the documentation', () => {
    // Prepare
    const failed = [...failures.uncertain, ...failures.suspect];
    // Act
    const ran = totals.uncertain + totals.suspect;
    // Assert
    expect(ran).toBeGreaterThan(0);
    expect(failed).toEqual([]);
  });

  it('drives the callback case that needs an external actor', () => {
    // Prepare
    const external = asserted
      .filter((emulatorCase) => !emulatorCase.offline)
      .map((emulatorCase) => emulatorCase.name);
    // Act
    const failed = Object.values(failures)
      .flat()
      .filter((failure) => external.some((name) => failure.startsWith(`${name}:`)));
    // Assert
    expect(external).toEqual(['TestCallbacks_CreateAndAwait']);
    expect(failed).toEqual([]);
  });
});
