/** What deploy-time checks need to know about a standard-library function. */
interface FunctionSignature {
  /** Parameter names in positional order (named arguments use these names). */
  params: readonly string[];
  /** How many leading parameters are required. */
  minArgs: number;
  /** Blocking functions (HTTP, sleep, callbacks, sys.log) may only be called from a `call` step. */
  blocking: boolean;
}

/** The functions a workflow may call by name, e.g. `text.split`, `http.get`. */
type FunctionCatalogue = ReadonlyMap<string, FunctionSignature>;

/** The predefined retry policies (`retry: ${http.default_retry}`). */
const RETRY_POLICY_NAMES = new Set(['http.default_retry', 'http.default_retry_non_idempotent']);

export type { FunctionCatalogue, FunctionSignature };
export { RETRY_POLICY_NAMES };
