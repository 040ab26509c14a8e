import { createDataFunctions } from './data-functions';
import { createExpressionHelpers } from './expression-helpers';
import type { StdlibFunction } from './stdlib-function';
import { createSystemFunctions } from './system-functions';
import { createTextFunctions } from './text-functions';

/**
 * Every non-blocking standard-library function (expression helpers, `sys.now`, `sys.get_env`,
 * `text.*`, `json.*`, `base64.*`, `list.*`, `map.*`, `math.*`, `time.*`, `uuid.generate`, `hash.*`,
 * `retry.always/never`, `http.default_retry_predicate*`) by its dotted name. A fresh map per call,
 * so the interpreter can add the blocking functions (`sys.sleep`, `sys.log`, `http.*`, `events.*`).
 */
const createPureStandardLibrary = (): Map<string, StdlibFunction> =>
  new Map(
    Object.entries({
      ...createExpressionHelpers(),
      ...createSystemFunctions(),
      ...createTextFunctions(),
      ...createDataFunctions(),
    }),
  );

export { toDouble, toInt } from './expression-helpers';
export { compileRe2 } from './re2-regex';
export type { ArgumentReader, CallArguments, StdlibFunction } from './stdlib-function';
export { argumentReader, definePure, pureFunction, valueError, wrongType } from './stdlib-function';
export { DEFAULT_BACKOFF, DEFAULT_RETRY_POLICIES } from './system-functions';
export { decodeText, encodeText } from './text-functions';
export { formatTimestamp, parseTimestamp } from './time-functions';
export { createPureStandardLibrary };
