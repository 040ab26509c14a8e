/**
 * What the simulator was asked, so tests can assert on the calls a workflow made ("exactly one
 * setSize", "no mutation during a dry run") instead of only on the end state. Control requests under
 * `/_sim/` are not recorded: they are the test talking to the simulator, not code under test
 * talking to Google.
 */

/** One API request as the simulator saw it. */
interface RequestLogEntry {
  /** ISO time from the simulator's clock when the request arrived. */
  time: string;
  /** The Google service whose listener received it, e.g. `container`. */
  service: string;
  method: string;
  /** The URL path, without the query string. */
  path: string;
  /** The matched route's name (`nodePools.setSize`); absent when no route matched. */
  route?: string;
  /** The HTTP status of the answer; 0 when none was sent (an injected timeout). */
  status: number;
  /** The parsed JSON body as sent (enum numbers and all), when there was one. */
  body?: unknown;
  /**
   * Set when the answer was an injected fault rather than the route's (see fault-injection.ts):
   * `error` for an injected status, `timeout` for a request held unanswered. Injected failures
   * count like any request, so a test sees a client's retries.
   */
  fault?: 'error' | 'timeout';
}

/** A copy of the log, as `GET /_sim/requests` returns it. */
interface RequestLogSnapshot {
  entries: RequestLogEntry[];
  /** Requests per `"METHOD route"` (`"POST nodePools.setSize"`), or `"METHOD path"` when unmatched. */
  counts: Record<string, number>;
}

/** The request log of one simulator; created by {@link createRequestLog}. */
interface RequestLog {
  record(entry: RequestLogEntry): void;
  /** Copies of the retained entries, oldest first. */
  entries(): RequestLogEntry[];
  /** Requests per key since the last `clear()`, including entries no longer retained. */
  counts(): Record<string, number>;
  /** How many requests had this `"METHOD route"` key; 0 if none. */
  count(key: string): number;
  snapshot(): RequestLogSnapshot;
  clear(): void;
}

interface RequestLogOptions {
  /**
   * Entries kept; older ones are dropped (counts keep counting). A long `npm run simulator`
   * session would otherwise grow without bound.
   * @default 10000
   */
  maxEntries?: number;
}

/** The key under which an entry is counted. */
const countKey = (entry: Pick<RequestLogEntry, 'method' | 'route' | 'path'>): string =>
  `${entry.method} ${entry.route ?? entry.path}`;

const createRequestLog = (options: RequestLogOptions = {}): RequestLog => {
  const maxEntries = options.maxEntries ?? 10_000;
  let entries: RequestLogEntry[] = [];
  let counts = new Map<string, number>();

  const countsObject = (): Record<string, number> => Object.fromEntries(counts);
  const copyEntries = (): RequestLogEntry[] => entries.map((entry) => structuredClone(entry));

  return {
    record(entry) {
      entries.push(structuredClone(entry));
      if (entries.length > maxEntries) entries = entries.slice(entries.length - maxEntries);
      const key = countKey(entry);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
    entries: copyEntries,
    counts: countsObject,
    count: (key) => counts.get(key) ?? 0,
    snapshot: () => ({ entries: copyEntries(), counts: countsObject() }),
    clear() {
      entries = [];
      counts = new Map();
    },
  };
};

export type { RequestLog, RequestLogEntry, RequestLogOptions, RequestLogSnapshot };
export { countKey, createRequestLog };
