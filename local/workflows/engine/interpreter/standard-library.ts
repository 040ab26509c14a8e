import { createPureStandardLibrary } from '../stdlib';
import type { StdlibFunction } from '../stdlib/stdlib-function';
import type { FunctionCatalogue } from '../validation/function-catalogue';
import { createBlockingSystemFunctions } from './blocking-system-functions';
import { createHttpFunctions } from './http-functions';

/**
 * Every function a workflow can call by name: the pure standard library (engineer E's) plus the
 * blocking ones the interpreter provides (`sys.sleep`, `sys.sleep_until`, `sys.log`, `http.*`,
 * `events.*`). A fresh map per call: nothing here is shared between executions.
 */
const createStandardLibrary = (): Map<string, StdlibFunction> => {
  const library = new Map<string, StdlibFunction>(createPureStandardLibrary());
  for (const [name, fn] of Object.entries({ ...createBlockingSystemFunctions(), ...createHttpFunctions() })) {
    library.set(name, fn);
  }
  return library;
};

/** The names and signatures deploy-time validation checks calls against. */
const createFunctionCatalogue = (): FunctionCatalogue => createStandardLibrary();

export { createFunctionCatalogue, createStandardLibrary };
