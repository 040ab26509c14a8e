/**
 * The emulator launcher against the real SDK emulators. These tests start their own emulators on
 * free ports, separate from the pair the global setup started, because they stop them and inspect
 * the processes afterwards. Process checks read /proc directly (Linux) instead of trusting the
 * launcher's bookkeeping.
 */

import { promises as fsp } from 'node:fs';
import net from 'node:net';
import type { DocumentSnapshot } from '@google-cloud/firestore';
import type { Message, Subscription } from '@google-cloud/pubsub';
import { type RunningEmulators, startEmulators } from '../../../local/emulators';
import { ConfigError } from '../../../shared/errors';
import { clearFirestore, firestoreForTest, pubsubForTest, uniqueProjectId } from '../../helpers/emulators';

interface ProcessInfo {
  pid: number;
  pgid: number;
  state: string;
  cmdline: string;
}

const listProcesses = async (): Promise<ProcessInfo[]> => {
  const entries = (await fsp.readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const infos = await Promise.all(
    entries.map(async (entry): Promise<ProcessInfo | undefined> => {
      try {
        const stat = await fsp.readFile(`/proc/${entry}/stat`, 'utf8');
        const cmdline = (await fsp.readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').join(' ');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return { pid: Number(entry), state: fields[0] ?? '', pgid: Number(fields[2]), cmdline };
      } catch {
        return undefined; // exited while we looked
      }
    }),
  );
  return infos.filter((info): info is ProcessInfo => info !== undefined && info.state !== 'Z');
};

const portOf = (hostPort: string | undefined): number => Number(hostPort?.split(':').pop());

/** Live processes whose command line names one of the ports: gcloud, the wrapper script, java. */
const processesServing = async (ports: readonly number[]): Promise<ProcessInfo[]> =>
  (await listProcesses()).filter((info) =>
    ports.some((port) => new RegExp(`(--host-port=\\S*:|--port=)${port}(\\s|$)`).test(info.cmdline)),
  );

const liveMembersOf = async (pgids: ReadonlySet<number>): Promise<ProcessInfo[]> =>
  (await listProcesses()).filter((info) => pgids.has(info.pgid));

/** Resolves true if a TCP connection to host:port is accepted. */
const acceptsConnections = (hostPort: string): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({
      host: hostPort.slice(0, hostPort.lastIndexOf(':')),
      port: portOf(hostPort),
    });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });

/*
 * Jest reads testTimeout only from the top-level config, not from a project entry, so the
 * integration project's 120 s does not reach this file; each emulator start takes seconds.
 */
jest.setTimeout(120_000);

const EMULATOR_ENV_VARIABLES = ['FIRESTORE_EMULATOR_HOST', 'PUBSUB_EMULATOR_HOST', 'PATH'] as const;

describe('emulator-launcher', () => {
  // The helpers read the emulator hosts from the environment; these tests repoint them at their own
  // emulators and put the global setup's values back afterwards.
  const savedEnv = Object.fromEntries(EMULATOR_ENV_VARIABLES.map((name) => [name, process.env[name]]));
  afterEach(() => {
    for (const name of EMULATOR_ENV_VARIABLES) {
      if (savedEnv[name] === undefined) delete process.env[name];
      else process.env[name] = savedEnv[name];
    }
  });

  describe('startEmulators', () => {
    let emulators: RunningEmulators | undefined;
    afterEach(async () => {
      await emulators?.stop();
      emulators = undefined;
    });

    it('serves Firestore and Pub/Sub through the official clients and leaves no process or port after stop', async () => {
      // Prepare
      emulators = await startEmulators({
        projectId: 'launcher-test',
        firestore: { port: 0 },
        pubsub: { port: 0 },
      });
      const { firestoreHost, pubsubHost } = emulators;
      expect(firestoreHost).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(pubsubHost).toMatch(/^127\.0\.0\.1:\d+$/);
      process.env.FIRESTORE_EMULATOR_HOST = firestoreHost;
      process.env.PUBSUB_EMULATOR_HOST = pubsubHost;
      const serving = await processesServing([portOf(firestoreHost), portOf(pubsubHost)]);
      expect(serving.filter((info) => /\bjava\b/.test(info.cmdline))).toHaveLength(2);
      const pgids = new Set(serving.map((info) => info.pgid));
      expect(pgids.size).toBe(2);
      const projectId = uniqueProjectId('launcher');

      // Act: a Firestore round trip
      const firestore = firestoreForTest(projectId);
      let written: DocumentSnapshot;
      let cleared: DocumentSnapshot;
      try {
        await firestore.doc('probes/p1').set({ n: 1, label: 'hello' });
        written = await firestore.doc('probes/p1').get();
        await clearFirestore(projectId);
        cleared = await firestore.doc('probes/p1').get();
      } finally {
        await firestore.terminate();
      }

      // Act: a Pub/Sub round trip (ids need at least 3 characters in the emulator)
      const pubsub = pubsubForTest(projectId);
      let message: Message;
      let subscription: Subscription | undefined;
      try {
        const [topic] = await pubsub.createTopic('ops-events');
        [subscription] = await topic.createSubscription('ops-events-probe');
        const pulling = subscription;
        const received = new Promise<Message>((resolve, reject) => {
          pulling.once('message', (delivered: Message) => {
            delivered.ack();
            resolve(delivered);
          });
          pulling.once('error', reject);
        });
        await topic.publishMessage({ data: Buffer.from('ping'), attributes: { kind: 'probe' } });
        message = await received;
      } finally {
        // Close the streaming pull before the emulator goes away: a stream that errors after the
        // test environment is torn down makes google-gax require() too late and crashes jest.
        await subscription?.close();
        await pubsub.close();
      }

      // Act: stop
      await emulators.stop();

      // Assess
      expect(written.data()).toEqual({ n: 1, label: 'hello' });
      expect(cleared.exists).toBe(false);
      expect(message.data.toString('utf8')).toBe('ping');
      expect(message.attributes).toEqual({ kind: 'probe' });
      expect(await acceptsConnections(firestoreHost as string)).toBe(false);
      expect(await acceptsConnections(pubsubHost as string)).toBe(false);
      expect(await liveMembersOf(pgids)).toEqual([]);
      expect(await processesServing([portOf(firestoreHost), portOf(pubsubHost)])).toEqual([]);
    });

    it('returns the same promise from every stop() call and resolves each of them', async () => {
      // Prepare
      emulators = await startEmulators({ projectId: 'launcher-test', pubsub: { port: 0 } });
      const pgids = new Set(
        (await processesServing([portOf(emulators.pubsubHost)])).map((info) => info.pgid),
      );
      expect(pgids.size).toBe(1);

      // Act
      const first = emulators.stop();
      const second = emulators.stop();
      await Promise.all([first, second]);
      const third = emulators.stop();
      await third;

      // Assess
      expect(second).toBe(first);
      expect(third).toBe(first);
      expect(await liveMembersOf(pgids)).toEqual([]);
    });

    it('reports an emulator that exits early with its output and leaves nothing running', async () => {
      // Prepare: hold the port so the emulator's bind fails. Accepted sockets are dropped at once:
      // the launcher's readiness probes connect here too, and close() waits for open connections.
      const blocker = net.createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
      const port = (blocker.address() as net.AddressInfo).port;

      try {
        // Act
        const attempt = startEmulators({
          projectId: 'launcher-test',
          firestore: { port },
          pubsub: { port: 0 },
        });

        // Assess
        await expect(attempt).rejects.toMatchObject({
          name: 'EmulatorStartError',
          emulator: 'firestore',
          message: expect.stringMatching(/exited before it was ready[\s\S]*Address already in use/),
        });
        expect(
          (await listProcesses()).filter(
            (info) => /emulator/.test(info.cmdline) && /launcher-test/.test(info.cmdline),
          ),
        ).toEqual([]);
        expect(await processesServing([port])).toEqual([]);
      } finally {
        await new Promise<void>((resolve) => blocker.close(() => resolve()));
      }
    });

    it('throws a ConfigError naming gcloud and java when they are not on PATH', async () => {
      // Prepare
      const emptyDir = await fsp.mkdtemp('/tmp/opsplane-empty-path-');
      process.env.PATH = emptyDir;

      try {
        // Act
        const attempt = startEmulators({ projectId: 'launcher-test', firestore: { port: 0 } });

        // Assess
        await expect(attempt).rejects.toBeInstanceOf(ConfigError);
        await expect(attempt).rejects.toThrow(/`gcloud`[\s\S]*apt-get install google-cloud-cli[\s\S]*`java`/);
      } finally {
        await fsp.rm(emptyDir, { recursive: true, force: true });
      }
    });
  });

  describe('integration global setup', () => {
    it('exports the hosts of running emulators to the test environment', async () => {
      // Prepare
      const projectId = uniqueProjectId('global-setup');
      const firestore = firestoreForTest(projectId);
      const pubsub = pubsubForTest(projectId);

      try {
        // Act
        await firestore.doc('probes/p1').set({ ok: true });
        const read = await firestore.doc('probes/p1').get();
        const [topic] = await pubsub.createTopic('ops-probe');
        const [exists] = await topic.exists();

        // Assess
        expect(process.env.METADATA_SERVER_DETECTION).toBe('none');
        expect(read.data()).toEqual({ ok: true });
        expect(exists).toBe(true);
      } finally {
        await firestore.terminate();
        await pubsub.close();
      }
    });
  });
});
