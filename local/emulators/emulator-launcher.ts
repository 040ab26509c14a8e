/**
 * Starts and stops the Firestore and Pub/Sub emulators of the Google Cloud SDK for the local stack
 * and the integration tests.
 *
 * Process model (why it looks the way it does):
 *
 * ```
 * node (this process)
 *  ├─ gcloud (python)            ← spawned detached: leader of its own process group G
 *  │   └─ bash wrapper script     (same group G)
 *  │       └─ java                (same group G; the actual emulator)
 *  └─ sh watchdog                ← spawned detached: its own group W; stdin is a pipe from node
 * ```
 *
 * - Killing the gcloud pid alone leaves java running, so every signal goes to the whole group G
 *   (`kill(-G)`).
 * - If node dies hard (SIGKILL, OOM, a jest worker being killed) nothing in node gets to run, so a
 *   separate watchdog kills G. It blocks reading a pipe whose only writer is node; the kernel closes
 *   that pipe however node dies, so the watchdog needs no polling, is not fooled by pid reuse, and
 *   does not care whether node's pid lingers as a zombie.
 * - `stop()` resolves only once no live process of G remains, checked in `/proc` (zombies excluded)
 *   so callers can immediately reuse the ports.
 *
 * POSIX only (process groups, `sh`); the control plane is developed and tested on Linux and macOS.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { constants as fsConstants, promises as fsp, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, ControlPlaneError } from '../../shared/errors';
import { type Logger, silentLogger } from '../../shared/logging';

/** The emulators this launcher knows how to run, as a tuple with a derived union (no TS enums). */
const EMULATOR_KINDS = ['firestore', 'pubsub'] as const;
type EmulatorKind = (typeof EMULATOR_KINDS)[number];

/** Where one emulator should listen. */
interface EmulatorEndpointOptions {
  /**
   * Interface to bind. Loopback by default: the emulators have no authentication, so they must not
   * be reachable from other machines unless someone asks for it explicitly.
   * @default '127.0.0.1'
   */
  host?: string;
  /** TCP port; `0` picks a free port before spawning. */
  port: number;
}

/** Options of {@link startEmulators}. An emulator is started only if its key is present. */
interface StartEmulatorsOptions {
  /** Start the Firestore emulator (native mode) on this endpoint. */
  firestore?: EmulatorEndpointOptions;
  /** Start the Pub/Sub emulator on this endpoint. */
  pubsub?: EmulatorEndpointOptions;
  /** Project id passed to the Pub/Sub emulator (Firestore accepts any project id per request). */
  projectId: string;
  /** Receives lifecycle lines (starting, ready with timings, stopped). @default silentLogger */
  logger?: Logger;
  /** How long each emulator may take to answer "Ok" on `GET /`. @default 60000 */
  startTimeoutMs?: number;
  /**
   * Directory for `firestore-<port>.log` / `pubsub-<port>.log` (created if missing, appended to).
   * Without it the output is kept only as a bounded in-memory tail for error messages.
   */
  logDir?: string;
}

/** Handle on the emulators started by {@link startEmulators}. */
interface RunningEmulators {
  /** `host:port` of the Firestore emulator, the value for `FIRESTORE_EMULATOR_HOST`. */
  firestoreHost?: string;
  /** `host:port` of the Pub/Sub emulator, the value for `PUBSUB_EMULATOR_HOST`. */
  pubsubHost?: string;
  /**
   * Stops every emulator process (SIGTERM to the process group, SIGKILL after a grace period) and
   * its watchdog. Resolves once the processes are gone. Idempotent: later calls return the same
   * promise.
   */
  stop(): Promise<void>;
}

/** The `emulators` block of `firebase.json`, reduced to what the launcher needs. */
interface FirebaseEmulatorPorts {
  firestore: { host: string; port: number };
  pubsub: { host: string; port: number };
}

/** Thrown when an emulator exits before it is ready or does not become ready in time. */
class EmulatorStartError extends ControlPlaneError {
  /** Which emulator failed. */
  readonly emulator: EmulatorKind;
  /** The last lines the emulator printed, also included in the message. */
  readonly outputTail: string;

  constructor(emulator: EmulatorKind, message: string, outputTail: string) {
    // Not retryable in the Pub/Sub-redelivery sense: this never happens inside a function.
    super(
      'INTERNAL',
      outputTail ? `${message}\n--- last emulator output ---\n${outputTail}` : message,
      false,
      {
        details: { emulator },
      },
    );
    this.name = 'EmulatorStartError';
    this.emulator = emulator;
    this.outputTail = outputTail;
  }
}

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_START_TIMEOUT_MS = 60_000;
/** Readiness poll period; the emulators take seconds to boot, so finer polling buys nothing. */
const READY_POLL_INTERVAL_MS = 200;
/** One readiness probe must not eat the whole budget if the port accepts but never answers. */
const READY_PROBE_TIMEOUT_MS = 1_000;
/** SIGTERM → SIGKILL grace period. The JVM shuts down in well under a second when healthy. */
const STOP_GRACE_MS = 5_000;
/** After SIGKILL only the kernel is left to act; give it this long before reporting failure. */
const KILL_WAIT_MS = 5_000;
const GROUP_POLL_INTERVAL_MS = 100;
/** In-memory output kept per emulator. Bounded so a chatty emulator cannot grow the heap. */
const OUTPUT_TAIL_MAX_CHARS = 64 * 1024;
/** Lines of output quoted in a start error: enough for a Java stack trace's head and tail. */
const ERROR_TAIL_LINES = 40;

/** gcloud component ids each emulator needs (`.install/<id>.manifest` in the SDK root). */
const REQUIRED_COMPONENTS: Readonly<Record<EmulatorKind, readonly string[]>> = {
  firestore: ['cloud-firestore-emulator'],
  pubsub: ['pubsub-emulator', 'beta'],
};

/** Debian/Ubuntu package providing each component when the SDK itself came from apt. */
const APT_PACKAGE_OF_COMPONENT: Readonly<Record<string, string>> = {
  'cloud-firestore-emulator': 'google-cloud-cli-firestore-emulator',
  'pubsub-emulator': 'google-cloud-cli-pubsub-emulator',
  // The apt build of the CLI ships the alpha and beta command groups in the main package.
  beta: 'google-cloud-cli',
};

/**
 * The watchdog, run as `sh -c SCRIPT NAME PGID [DATA_DIR]` with stdin a pipe from this process.
 * `cat` returns at EOF, i.e. when this process has died (or closed its end); then the group gets
 * SIGTERM and, if anything is left after ~5 s, SIGKILL, and the private data dir that `stop()`
 * would have removed is removed. `kill -SIG -N` signals group N (dash and bash both accept it;
 * dash rejects `--`).
 */
const WATCHDOG_SCRIPT = [
  'cat >/dev/null 2>&1',
  'kill -TERM -"$1" 2>/dev/null',
  'i=0',
  'while [ "$i" -lt 5 ] && kill -0 -"$1" 2>/dev/null; do sleep 1; i=$((i + 1)); done',
  'kill -KILL -"$1" 2>/dev/null',
  'if [ -n "$2" ]; then rm -rf "$2"; fi',
  'exit 0',
].join('\n');

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** `host:port`, with IPv6 literals bracketed as gcloud's `--host-port` and the client libraries expect. */
const formatHostPort = (host: string, port: number): string =>
  host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;

const lastLines = (text: string, count: number): string =>
  text.trimEnd().split('\n').slice(-count).join('\n');

// ---------------------------------------------------------------------------------------------
// Prerequisites
// ---------------------------------------------------------------------------------------------

const isExecutableFile = async (candidate: string): Promise<boolean> => {
  try {
    await fsp.access(candidate, fsConstants.X_OK);
    return (await fsp.stat(candidate)).isFile();
  } catch {
    return false;
  }
};

const pathExists = async (candidate: string): Promise<boolean> => {
  try {
    await fsp.access(candidate);
    return true;
  } catch {
    return false;
  }
};

/** Like `which`: the first executable `name` in `$PATH`, or undefined. */
const findOnPath = async (name: string): Promise<string | undefined> => {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
};

/**
 * The SDK root (the directory holding `.install/`). Resolving the `gcloud` symlink covers the apt
 * and tarball layouts without running Python; `gcloud info` is the slow fallback for wrappers
 * (snap, Homebrew shims) whose real path is not inside the SDK.
 */
const findSdkRoot = async (gcloudPath: string): Promise<string | undefined> => {
  try {
    const fromSymlink = path.dirname(path.dirname(await fsp.realpath(gcloudPath)));
    if (await pathExists(path.join(fromSymlink, '.install'))) return fromSymlink;
  } catch {
    // fall through to asking gcloud
  }
  const reported = await new Promise<string>((resolve) => {
    execFile(
      gcloudPath,
      ['info', '--format=value(installation.sdk_root)'],
      { timeout: 30_000, env: { ...process.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' } },
      (error, stdout) => resolve(error ? '' : stdout.trim()),
    );
  });
  if (reported !== '' && (await pathExists(path.join(reported, '.install')))) return reported;
  return undefined;
};

/**
 * Fails fast, before anything is spawned, with one ConfigError listing everything that is missing
 * and the command that installs it; otherwise the first symptom would be an opaque early exit.
 */
const checkPrerequisites = async (kinds: readonly EmulatorKind[], logger: Logger): Promise<string> => {
  const problems: string[] = [];
  const gcloudPath = await findOnPath('gcloud');
  if (!gcloudPath) {
    problems.push(
      '`gcloud` (Google Cloud SDK) is not on PATH. Install it with the emulators, e.g. on Debian/Ubuntu ' +
        'after adding the packages.cloud.google.com apt repository: `apt-get install google-cloud-cli ' +
        'google-cloud-cli-firestore-emulator google-cloud-cli-pubsub-emulator`, or see ' +
        'https://cloud.google.com/sdk/docs/install.',
    );
  }
  if (!(await findOnPath('java'))) {
    problems.push(
      '`java` is not on PATH; the emulators are Java programs (JRE 17 works with gcloud 528, newer ' +
        'emulator releases need JRE 21+). Install one, e.g. `apt-get install openjdk-17-jre-headless`.',
    );
  }
  if (gcloudPath) {
    const sdkRoot = await findSdkRoot(gcloudPath);
    if (sdkRoot) {
      const wanted = [...new Set(kinds.flatMap((kind) => REQUIRED_COMPONENTS[kind]))];
      const missing: string[] = [];
      for (const component of wanted) {
        if (!(await pathExists(path.join(sdkRoot, '.install', `${component}.manifest`))))
          missing.push(component);
      }
      if (missing.length > 0) {
        const aptPackages = [...new Set(missing.map((component) => APT_PACKAGE_OF_COMPONENT[component]))];
        problems.push(
          `gcloud component(s) ${missing.join(', ')} not installed in the SDK at ${sdkRoot}. Install with ` +
            `\`gcloud components install ${missing.join(' ')}\`, or, if the SDK was installed with apt ` +
            `(the component manager is disabled there), \`apt-get install ${aptPackages.join(' ')}\`.`,
        );
      }
    } else {
      // Unknown layout: let gcloud itself report a missing component; its output lands in the error.
      logger.warn('cannot locate the Google Cloud SDK root; skipping the emulator component check', {
        gcloudPath,
      });
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`cannot start the Cloud emulators:\n- ${problems.join('\n- ')}`);
  }
  return gcloudPath as string;
};

const validateEndpoint = (kind: EmulatorKind, endpoint: EmulatorEndpointOptions): void => {
  if (!Number.isInteger(endpoint.port) || endpoint.port < 0 || endpoint.port > 65_535) {
    throw new ConfigError(
      `${kind}.port must be an integer between 0 and 65535, got ${String(endpoint.port)}`,
    );
  }
  if (endpoint.host !== undefined && endpoint.host.trim() === '') {
    throw new ConfigError(`${kind}.host must not be empty`);
  }
};

// ---------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------

const listenOnFreePort = (host: string): Promise<net.Server> =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });

/**
 * Free ports for each host. All probe servers stay open until every port is read, so the kernel
 * cannot hand the same ephemeral port out twice. (Between close and the emulator's bind another
 * process could take the port; the emulator then exits early and the error says so.)
 */
const findFreePorts = async (hosts: readonly string[]): Promise<number[]> => {
  const servers: net.Server[] = [];
  try {
    for (const host of hosts) servers.push(await listenOnFreePort(host));
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('probe server has no TCP address');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
};

// ---------------------------------------------------------------------------------------------
// Output capture
// ---------------------------------------------------------------------------------------------

/** Where an emulator's stdout/stderr go and how to read back their tail for an error message. */
interface OutputSink {
  /** The stdout/stderr entries of `spawn`'s `stdio` option. */
  readonly stdio: [number | 'pipe', number | 'pipe'];
  /** Called right after spawn. */
  attach(child: ChildProcess): Promise<void>;
  tail(): Promise<string>;
  readonly logFile: string | undefined;
}

const memorySink = (): OutputSink => {
  // Per-sink state, not module state: each emulator gets its own buffer.
  let buffer = '';
  const append = (chunk: Buffer): void => {
    buffer += chunk.toString('utf8');
    if (buffer.length > OUTPUT_TAIL_MAX_CHARS) buffer = buffer.slice(-OUTPUT_TAIL_MAX_CHARS);
  };
  return {
    stdio: ['pipe', 'pipe'],
    logFile: undefined,
    attach: async (child) => {
      // Always consume the pipes: an unread pipe fills up and blocks the emulator mid-write.
      child.stdout?.on('data', append);
      child.stderr?.on('data', append);
    },
    tail: async () => lastLines(buffer, ERROR_TAIL_LINES),
  };
};

const fileSink = async (logDir: string, fileName: string): Promise<OutputSink> => {
  await fsp.mkdir(logDir, { recursive: true });
  const logFile = path.join(logDir, fileName);
  const handle = await fsp.open(logFile, 'a');
  return {
    stdio: [handle.fd, handle.fd],
    logFile,
    // The child holds its own duplicate of the descriptor; ours is no longer needed.
    attach: async () => handle.close(),
    tail: async () => {
      try {
        const file = await fsp.open(logFile, 'r');
        try {
          const { size } = await file.stat();
          const length = Math.min(size, OUTPUT_TAIL_MAX_CHARS);
          const bytes = Buffer.alloc(length);
          await file.read(bytes, 0, length, size - length);
          return lastLines(bytes.toString('utf8'), ERROR_TAIL_LINES);
        } finally {
          await file.close();
        }
      } catch (error) {
        return `(cannot read ${logFile}: ${errorMessage(error)})`;
      }
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Process groups
// ---------------------------------------------------------------------------------------------

/**
 * Pids of live (non-zombie) processes in group `pgid`. On Linux this reads `/proc`, because
 * `kill(-pgid, 0)` also succeeds for zombies, which are already dead but not yet reaped.
 * Elsewhere it falls back to `kill(-pgid, 0)` and reports the group leader's id.
 */
const liveGroupMembers = async (pgid: number): Promise<number[]> => {
  let entries: string[];
  try {
    entries = await fsp.readdir('/proc');
  } catch {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM' ? [pgid] : [];
    }
  }
  const members: number[] = [];
  await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map(async (entry) => {
        let stat: string;
        try {
          stat = await fsp.readFile(`/proc/${entry}/stat`, 'utf8');
        } catch {
          return; // exited between readdir and read
        }
        // Format: "pid (comm) state ppid pgrp …"; comm may contain spaces and parentheses.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
      }),
  );
  return members;
};

const signalGroup = (pgid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
};

const waitForGroupGone = async (pgid: number, timeoutMs: number): Promise<number[]> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const members = await liveGroupMembers(pgid);
    if (members.length === 0 || Date.now() >= deadline) return members;
    await sleep(GROUP_POLL_INTERVAL_MS);
  }
};

/** SIGTERM, then SIGKILL after the grace period; resolves when no live member is left. */
const terminateGroup = async (pgid: number): Promise<void> => {
  signalGroup(pgid, 'SIGTERM');
  if ((await waitForGroupGone(pgid, STOP_GRACE_MS)).length === 0) return;
  signalGroup(pgid, 'SIGKILL');
  const survivors = await waitForGroupGone(pgid, KILL_WAIT_MS);
  if (survivors.length > 0) {
    throw new ControlPlaneError(
      'INTERNAL',
      `process group ${pgid} still has live processes ${survivors.join(', ')} after SIGKILL`,
      false,
    );
  }
};

/** Spawns the watchdog for group `pgid` (see the file comment). */
const spawnWatchdog = (pgid: number, dataDir: string | undefined): ChildProcess => {
  const watchdog = spawn(
    'sh',
    ['-c', WATCHDOG_SCRIPT, 'opsplane-emulator-watchdog', String(pgid), dataDir ?? ''],
    {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  // Never written to; a late EPIPE after the watchdog is killed must not crash the process.
  watchdog.stdin?.on('error', () => undefined);
  watchdog.on('error', () => undefined);
  // The watchdog must not keep node alive: it exists for the case where node is already gone.
  // For a 'pipe' stdio entry node creates a net.Socket, though the type only says Writable.
  (watchdog.stdin as net.Socket | null)?.unref();
  watchdog.unref();
  return watchdog;
};

// ---------------------------------------------------------------------------------------------
// One emulator
// ---------------------------------------------------------------------------------------------

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface EmulatorProcess {
  readonly kind: EmulatorKind;
  readonly hostPort: string;
  readonly child: ChildProcess;
  /** Equal to the gcloud pid: `detached` makes the child a session and group leader. */
  readonly pgid: number;
  readonly watchdog: ChildProcess;
  readonly output: OutputSink;
  readonly exited: Promise<ExitInfo>;
  /** Set once the child has exited; read by the readiness loop without awaiting. */
  exitInfo: ExitInfo | undefined;
  readonly dataDir: string | undefined;
}

const gcloudArgs = (kind: EmulatorKind, hostPort: string, projectId: string, dataDir?: string): string[] =>
  kind === 'firestore'
    ? ['emulators', 'firestore', 'start', `--host-port=${hostPort}`]
    : [
        'beta',
        'emulators',
        'pubsub',
        'start',
        `--host-port=${hostPort}`,
        `--project=${projectId}`,
        // Private data dir: gcloud writes env.yaml there, and concurrent instances would share it.
        ...(dataDir ? [`--data-dir=${dataDir}`] : []),
      ];

const spawnEmulator = async (
  kind: EmulatorKind,
  hostPort: string,
  port: number,
  gcloudPath: string,
  options: StartEmulatorsOptions,
): Promise<EmulatorProcess> => {
  const dataDir =
    kind === 'pubsub' ? await fsp.mkdtemp(path.join(os.tmpdir(), 'opsplane-pubsub-')) : undefined;
  const output = options.logDir ? await fileSink(options.logDir, `${kind}-${port}.log`) : memorySink();
  const child = spawn(gcloudPath, gcloudArgs(kind, hostPort, options.projectId, dataDir), {
    detached: true,
    stdio: ['ignore', ...output.stdio],
    env: {
      ...process.env,
      // Never block on an interactive prompt or spend time on an update check.
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    },
  });
  await output.attach(child);
  if (child.pid === undefined) {
    // Spawn failed synchronously-ish (ENOENT, EACCES); the reason arrives as an 'error' event.
    const reason = await new Promise<string>((resolve) =>
      child.once('error', (error) => resolve(error.message)),
    );
    if (dataDir) await fsp.rm(dataDir, { recursive: true, force: true });
    throw new EmulatorStartError(kind, `cannot spawn ${gcloudPath}: ${reason}`, '');
  }
  const pgid = child.pid;
  const watchdog = spawnWatchdog(pgid, dataDir);
  if (watchdog.pid === undefined) {
    // Not fatal: stop() still works; only the hard-crash cleanup is lost, so say so loudly.
    (options.logger ?? silentLogger).warn(
      'cannot spawn the emulator watchdog (sh); a hard crash would orphan it',
      {
        emulator: kind,
        pid: pgid,
      },
    );
  }
  const proc: EmulatorProcess = {
    kind,
    hostPort,
    child,
    pgid,
    watchdog,
    output,
    dataDir,
    exitInfo: undefined,
    exited: new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        proc.exitInfo = { code, signal };
        resolve(proc.exitInfo);
      });
    }),
  };
  child.on('error', () => undefined);
  return proc;
};

const probeReady = async (hostPort: string, timeoutMs: number): Promise<boolean> => {
  try {
    const response = await fetch(`http://${hostPort}/`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await response.text();
    return response.ok && body.trim() === 'Ok';
  } catch {
    return false; // not listening yet, or not answering yet
  }
};

/** Polls `GET /` until "Ok"; fails on early exit, timeout, or when a sibling emulator failed. */
const waitUntilReady = async (
  proc: EmulatorProcess,
  timeoutMs: number,
  abort: AbortSignal,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (abort.aborted) return; // a sibling failed; its error is the one reported
    if (proc.exitInfo) {
      const { code, signal } = proc.exitInfo;
      throw new EmulatorStartError(
        proc.kind,
        `${proc.kind} emulator exited before it was ready on ${proc.hostPort} (code ${code}, signal ${signal})` +
          (proc.output.logFile ? `; full log: ${proc.output.logFile}` : ''),
        await proc.output.tail(),
      );
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new EmulatorStartError(
        proc.kind,
        `${proc.kind} emulator did not answer "Ok" on http://${proc.hostPort}/ within ${timeoutMs} ms` +
          (proc.output.logFile ? `; full log: ${proc.output.logFile}` : ''),
        await proc.output.tail(),
      );
    }
    if (await probeReady(proc.hostPort, Math.min(READY_PROBE_TIMEOUT_MS, remaining))) return;
    await sleep(READY_POLL_INTERVAL_MS);
  }
};

/** Stops one emulator: its group first, then the watchdog (so node dying mid-stop is still covered). */
const stopEmulator = async (proc: EmulatorProcess): Promise<void> => {
  try {
    await terminateGroup(proc.pgid);
    // The group is gone, so 'exit' has fired or is about to; waiting releases the child's handles.
    await Promise.race([proc.exited, sleep(1_000)]);
  } finally {
    // Guarded: with no pid, kill(-0) would signal this process's own group.
    if (proc.watchdog.pid !== undefined) signalGroup(proc.watchdog.pid, 'SIGKILL');
    proc.watchdog.stdin?.destroy();
    if (proc.dataDir) await fsp.rm(proc.dataDir, { recursive: true, force: true });
  }
};

const stopAll = async (procs: readonly EmulatorProcess[]): Promise<void> => {
  const results = await Promise.allSettled(procs.map(stopEmulator));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
};

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * Starts the Firestore and/or Pub/Sub emulators in parallel and waits until each answers "Ok" on
 * `GET /`.
 *
 * @param options - which emulators, where, and how long to wait; see {@link StartEmulatorsOptions}.
 * @returns the `host:port` of each started emulator and an idempotent `stop()`.
 * @throws ConfigError when `gcloud`, `java` or an emulator component is missing (before anything
 *   is spawned), or when an option is invalid.
 * @throws EmulatorStartError when an emulator exits early or is not ready within `startTimeoutMs`;
 *   everything already started is stopped first, and the message carries the emulator's last output.
 *
 * @example
 * ```ts
 * const emulators = await startEmulators({ projectId: 'demo', firestore: { port: 0 }, pubsub: { port: 0 } });
 * process.env.FIRESTORE_EMULATOR_HOST = emulators.firestoreHost;
 * process.env.PUBSUB_EMULATOR_HOST = emulators.pubsubHost;
 * try { … } finally { await emulators.stop(); }
 * ```
 */
const startEmulators = async (options: StartEmulatorsOptions): Promise<RunningEmulators> => {
  const logger = options.logger ?? silentLogger;
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const requested = EMULATOR_KINDS.flatMap((kind) => {
    const endpoint = options[kind];
    return endpoint ? [{ kind, endpoint }] : [];
  });
  if (requested.length === 0)
    throw new ConfigError('startEmulators: neither firestore nor pubsub was requested');
  if (options.projectId.trim() === '') throw new ConfigError('startEmulators: projectId must not be empty');
  for (const { kind, endpoint } of requested) validateEndpoint(kind, endpoint);

  const gcloudPath = await checkPrerequisites(
    requested.map(({ kind }) => kind),
    logger,
  );

  const needFree = requested.filter(({ endpoint }) => endpoint.port === 0);
  const freePorts = await findFreePorts(needFree.map(({ endpoint }) => endpoint.host ?? DEFAULT_HOST));
  const targets = requested.map(({ kind, endpoint }) => {
    const host = endpoint.host ?? DEFAULT_HOST;
    const port =
      endpoint.port === 0 ? (freePorts[needFree.findIndex((r) => r.kind === kind)] as number) : endpoint.port;
    return { kind, port, hostPort: formatHostPort(host, port) };
  });

  const startedAt = Date.now();
  const spawned = await Promise.allSettled(
    targets.map(async ({ kind, port, hostPort }) => {
      const proc = await spawnEmulator(kind, hostPort, port, gcloudPath, options);
      logger.info('emulator starting', {
        emulator: kind,
        hostPort,
        pid: proc.pgid,
        ...(proc.output.logFile ? { logFile: proc.output.logFile } : {}),
      });
      return proc;
    }),
  );
  const procs = spawned.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const spawnFailure = spawned.find(
    (result): result is PromiseRejectedResult => result.status === 'rejected',
  );
  if (spawnFailure) {
    await stopAll(procs);
    throw spawnFailure.reason;
  }

  // The first failure aborts the sibling's wait so the caller does not sit out its full timeout.
  const abort = new AbortController();
  const readiness = await Promise.allSettled(
    procs.map(async (proc) => {
      try {
        await waitUntilReady(proc, startTimeoutMs, abort.signal);
        if (!abort.signal.aborted) {
          logger.info('emulator ready', {
            emulator: proc.kind,
            hostPort: proc.hostPort,
            startMs: Date.now() - startedAt,
          });
        }
      } catch (error) {
        abort.abort();
        throw error;
      }
    }),
  );
  const readyFailure = readiness.find(
    (result): result is PromiseRejectedResult => result.status === 'rejected',
  );
  if (readyFailure) {
    try {
      await stopAll(procs);
    } catch (stopError) {
      logger.error('could not stop emulators after a failed start', { error: stopError });
    }
    throw readyFailure.reason;
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const stopStartedAt = Date.now();
      await stopAll(procs);
      logger.info('emulators stopped', {
        emulators: procs.map((proc) => proc.kind),
        stopMs: Date.now() - stopStartedAt,
      });
    })();
    return stopping;
  };

  const hostOf = (kind: EmulatorKind): string | undefined =>
    procs.find((proc) => proc.kind === kind)?.hostPort;
  const firestoreHost = hostOf('firestore');
  const pubsubHost = hostOf('pubsub');
  return {
    ...(firestoreHost ? { firestoreHost } : {}),
    ...(pubsubHost ? { pubsubHost } : {}),
    stop,
  };
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads the `emulators.firestore` and `emulators.pubsub` endpoints from a `firebase.json`, the one
 * place the fixed local ports are written down (the Firebase CLI reads the same file).
 *
 * @param firebaseJsonPath - path of the `firebase.json` to read.
 * @returns host and port of each emulator.
 * @throws ConfigError when the file cannot be read or parsed, when a key is missing (the message
 *   names it, e.g. `emulators.pubsub.port`), or when a value has the wrong type or range.
 *
 * @example
 * ```ts
 * const ports = readFirebaseEmulatorPorts(path.join(repoRoot, 'firebase.json'));
 * await startEmulators({ projectId: 'opsplane-local', firestore: ports.firestore, pubsub: ports.pubsub });
 * ```
 */
const readFirebaseEmulatorPorts = (firebaseJsonPath: string): FirebaseEmulatorPorts => {
  let text: string;
  try {
    text = readFileSync(firebaseJsonPath, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${firebaseJsonPath}: ${errorMessage(error)}`);
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${firebaseJsonPath} is not valid JSON: ${errorMessage(error)}`);
  }

  const child = (parent: Record<string, unknown>, key: string, keyPath: string): unknown => {
    if (!(key in parent)) throw new ConfigError(`${firebaseJsonPath}: missing key "${keyPath}"`);
    return parent[key];
  };
  const object = (parent: Record<string, unknown>, key: string, keyPath: string): Record<string, unknown> => {
    const value = child(parent, key, keyPath);
    if (!isRecord(value)) throw new ConfigError(`${firebaseJsonPath}: "${keyPath}" must be an object`);
    return value;
  };
  const endpoint = (
    emulators: Record<string, unknown>,
    kind: EmulatorKind,
  ): { host: string; port: number } => {
    const block = object(emulators, kind, `emulators.${kind}`);
    const host = child(block, 'host', `emulators.${kind}.host`);
    if (typeof host !== 'string' || host.trim() === '') {
      throw new ConfigError(`${firebaseJsonPath}: "emulators.${kind}.host" must be a non-empty string`);
    }
    const port = child(block, 'port', `emulators.${kind}.port`);
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new ConfigError(
        `${firebaseJsonPath}: "emulators.${kind}.port" must be an integer between 1 and 65535, got ${JSON.stringify(port)}`,
      );
    }
    return { host, port };
  };

  if (!isRecord(root)) throw new ConfigError(`${firebaseJsonPath}: the top level must be a JSON object`);
  const emulators = object(root, 'emulators', 'emulators');
  return { firestore: endpoint(emulators, 'firestore'), pubsub: endpoint(emulators, 'pubsub') };
};

export type {
  EmulatorEndpointOptions,
  EmulatorKind,
  FirebaseEmulatorPorts,
  RunningEmulators,
  StartEmulatorsOptions,
};
export { EMULATOR_KINDS, EmulatorStartError, readFirebaseEmulatorPorts, startEmulators };
