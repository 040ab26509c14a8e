import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readFirebaseEmulatorPorts } from '../../../local/emulators';
import { ConfigError } from '../../../shared/errors';

const GOOD = {
  emulators: {
    firestore: { host: '127.0.0.1', port: 8480 },
    pubsub: { host: 'localhost', port: 8485 },
    singleProjectMode: true,
  },
};

/** GOOD with one key removed, given as a dotted path. */
const without = (dottedPath: string): unknown => {
  const copy = structuredClone(GOOD) as Record<string, unknown>;
  const keys = dottedPath.split('.');
  const last = keys.pop() as string;
  let node = copy;
  for (const key of keys) node = node[key] as Record<string, unknown>;
  delete node[last];
  return copy;
};

/** GOOD with one value replaced. */
const withValue = (kind: 'firestore' | 'pubsub', key: 'host' | 'port', value: unknown): unknown => {
  const copy = structuredClone(GOOD);
  (copy.emulators[kind] as Record<string, unknown>)[key] = value;
  return copy;
};

describe('emulator-launcher', () => {
  describe('readFirebaseEmulatorPorts', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'opsplane-firebase-json-'));
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const writeConfig = (name: string, content: unknown): string => {
      const file = path.join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.json`);
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
      return file;
    };

    it('returns host and port of both emulators', () => {
      // Prepare
      const file = writeConfig('good', GOOD);

      // Act
      const ports = readFirebaseEmulatorPorts(file);

      // Assess
      expect(ports).toEqual({
        firestore: { host: '127.0.0.1', port: 8480 },
        pubsub: { host: 'localhost', port: 8485 },
      });
    });

    it("reads the repository's own firebase.json", () => {
      // Act
      const ports = readFirebaseEmulatorPorts(path.join(__dirname, '../../../firebase.json'));

      // Assess
      expect(ports.firestore.port).toEqual(expect.any(Number));
      expect(ports.pubsub.port).toEqual(expect.any(Number));
    });

    it.each([
      { missing: 'emulators', content: without('emulators') },
      { missing: 'emulators.firestore', content: without('emulators.firestore') },
      { missing: 'emulators.pubsub', content: without('emulators.pubsub') },
      { missing: 'emulators.firestore.host', content: without('emulators.firestore.host') },
      { missing: 'emulators.firestore.port', content: without('emulators.firestore.port') },
      { missing: 'emulators.pubsub.host', content: without('emulators.pubsub.host') },
      { missing: 'emulators.pubsub.port', content: without('emulators.pubsub.port') },
    ])('throws a ConfigError naming the missing key $missing', ({ missing, content }) => {
      // Prepare
      const file = writeConfig(`missing-${missing}`, content);

      // Act
      const act = (): unknown => readFirebaseEmulatorPorts(file);

      // Assess
      expect(act).toThrow(ConfigError);
      expect(act).toThrow(`missing key "${missing}"`);
    });

    it.each([
      { case: 'a string port', content: withValue('pubsub', 'port', '8485'), names: 'emulators.pubsub.port' },
      {
        case: 'a fractional port',
        content: withValue('firestore', 'port', 84.5),
        names: 'emulators.firestore.port',
      },
      { case: 'port 0', content: withValue('firestore', 'port', 0), names: 'emulators.firestore.port' },
      {
        case: 'a port above 65535',
        content: withValue('pubsub', 'port', 70000),
        names: 'emulators.pubsub.port',
      },
      { case: 'an empty host', content: withValue('pubsub', 'host', ''), names: 'emulators.pubsub.host' },
      {
        case: 'a numeric host',
        content: withValue('firestore', 'host', 127),
        names: 'emulators.firestore.host',
      },
      {
        case: 'a non-object block',
        content: { emulators: { ...GOOD.emulators, pubsub: 8485 } },
        names: 'emulators.pubsub',
      },
      { case: 'a top-level array', content: [GOOD], names: 'top level' },
      { case: 'invalid JSON', content: '{"emulators": ', names: 'not valid JSON' },
    ])('throws a ConfigError for $case', ({ case: name, content, names }) => {
      // Prepare
      const file = writeConfig(`invalid-${name}`, content);

      // Act
      const act = (): unknown => readFirebaseEmulatorPorts(file);

      // Assess
      expect(act).toThrow(ConfigError);
      expect(act).toThrow(names);
    });

    it('throws a ConfigError naming a file that does not exist', () => {
      // Prepare
      const file = path.join(dir, 'absent.json');

      // Act
      const act = (): unknown => readFirebaseEmulatorPorts(file);

      // Assess
      expect(act).toThrow(ConfigError);
      expect(act).toThrow(`cannot read ${file}`);
    });
  });
});
