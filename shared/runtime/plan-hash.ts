import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so that equal plans serialise equally whatever their key order. */
const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/**
 * What an approval is bound to: the SHA-256 of the plan's diff (its `changes`, canonical JSON), the
 * part the approver reads. A fresh plan at apply time whose diff hashes differently means the
 * platform changed since the approver looked. Bookkeeping the modules keep beside the diff (when
 * the plan was made, ids derived from the date, warnings about ages) does not void an approval.
 */
const planHash = (plan: { changes: unknown; noop: boolean }): string =>
  createHash('sha256')
    .update(canonicalJson({ changes: plan.changes, noop: plan.noop }))
    .digest('hex');

export { canonicalJson, planHash };
