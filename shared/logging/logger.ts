/**
 * One JSON object per line, shaped for Cloud Logging: `severity`, `message`, and labels under
 * `logging.googleapis.com/labels`. Library code takes the narrow `Logger` interface; the composition
 * root builds the concrete one. Values under keys that can carry key material or tokens are
 * replaced before anything is written, so a careless `logger.info('x', {response})` cannot leak.
 */

const SEVERITIES = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const;
type Severity = (typeof SEVERITIES)[number];

type LogFields = Record<string, unknown>;

interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose every line carries these labels too (e.g. operationId, resource). */
  child(labels: Record<string, string>): Logger;
}

/** Keys whose values are never logged, matched case-insensitively anywhere in the fields. */
const REDACTED_KEYS =
  /^(privatekeydata|privatekey|private_key|payload|data|accesstoken|access_token|token|authorization|secret|password|clientkey)$/i;
const REDACTED = '[redacted]';
const MAX_DEPTH = 6;

const redact = (value: unknown, depth = 0): unknown => {
  if (depth > MAX_DEPTH) return '[…]';
  if (value instanceof Error) {
    return { name: value.name, message: value.message, ...(value.stack ? { stack: value.stack } : {}) };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = REDACTED_KEYS.test(key) ? REDACTED : redact(inner, depth + 1);
    }
    return out;
  }
  return value;
};

interface JsonLoggerOptions {
  /** Where each line goes; defaults to stdout. Tests pass an array-backed sink. */
  write?: (line: string) => void;
  /** Lines below this severity are dropped. */
  minSeverity?: Severity;
  labels?: Record<string, string>;
}

const severityRank = (severity: Severity): number => SEVERITIES.indexOf(severity);

const createJsonLogger = (options: JsonLoggerOptions = {}): Logger => {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const min = severityRank(options.minSeverity ?? 'DEBUG');
  const labels = options.labels ?? {};

  const log = (severity: Severity, message: string, fields?: LogFields): void => {
    if (severityRank(severity) < min) return;
    const entry: Record<string, unknown> = {
      severity,
      message,
      time: new Date().toISOString(),
      ...(fields ? (redact(fields) as LogFields) : {}),
    };
    if (Object.keys(labels).length > 0) entry['logging.googleapis.com/labels'] = labels;
    write(JSON.stringify(entry));
  };

  return {
    debug: (message, fields) => log('DEBUG', message, fields),
    info: (message, fields) => log('INFO', message, fields),
    warn: (message, fields) => log('WARNING', message, fields),
    error: (message, fields) => log('ERROR', message, fields),
    child: (more) => createJsonLogger({ ...options, labels: { ...labels, ...more } }),
  };
};

/** A logger that drops everything; for tests that do not assert on logs. */
const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

export type { JsonLoggerOptions, LogFields, Logger, Severity };
export { createJsonLogger, redact, SEVERITIES, silentLogger };
