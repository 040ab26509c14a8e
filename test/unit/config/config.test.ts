import { loadConfig } from '../../../shared/config';
import { ConfigError } from '../../../shared/errors';

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig({ GOOGLE_CLOUD_PROJECT: 'p1' });
    expect(config).toMatchObject({
      GOOGLE_CLOUD_PROJECT: 'p1',
      OPSPLANE_COMMANDS_TOPIC: 'ops-commands',
      OPSPLANE_RESULTS_TOPIC: 'ops-results',
      OPSPLANE_POLL_INTERVAL_MS: 5000,
      OPSPLANE_MAX_ATTEMPTS: 20,
      LOG_LEVEL: 'INFO',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    [{}, /GOOGLE_CLOUD_PROJECT/],
    [
      { GOOGLE_CLOUD_PROJECT: 'p', FIRESTORE_EMULATOR_HOST: 'http://x' },
      /FIRESTORE_EMULATOR_HOST: must be host:port/,
    ],
    [{ GOOGLE_CLOUD_PROJECT: 'p', OPSPLANE_POLL_INTERVAL_MS: 'soon' }, /OPSPLANE_POLL_INTERVAL_MS/],
    [{ GOOGLE_CLOUD_PROJECT: 'p', OPSPLANE_CONTAINER_ENDPOINT: 'not a url' }, /OPSPLANE_CONTAINER_ENDPOINT/],
    [{ GOOGLE_CLOUD_PROJECT: 'p', LOG_LEVEL: 'LOUD' }, /LOG_LEVEL/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
