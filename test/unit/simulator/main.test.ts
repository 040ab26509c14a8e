import { resolve } from 'node:path';
import { readSimulatorEnv } from '../../../local/simulator/main';

describe('simulator main', () => {
  it('uses the default ports and time scale 0.05 by default', () => {
    // Act
    const config = readSimulatorEnv({});

    // Assess
    expect(config).toMatchObject({
      ports: {
        container: 8490,
        compute: 8491,
        sqladmin: 8492,
        file: 8493,
        iam: 8494,
        cloudresourcemanager: 8496,
        iap: 8497,
        secretmanager: 8498,
        kubernetes: 8499,
      },
      timeScale: 0.05,
      host: '127.0.0.1',
    });
    expect(config.fixturePath).toMatch(/acme-ml-prod\.json$/);
    expect(config.virtualClockStart).toBeUndefined();
    expect(config.stateFile).toBeUndefined();
  });

  it('reads a virtual clock start and a state file resolved from the working directory', () => {
    // Act
    const config = readSimulatorEnv({
      SIM_VIRTUAL_CLOCK: '2026-03-02T19:00:00+01:00',
      SIM_STATE_FILE: '.opsplane/simulator-state.json',
    });

    // Assess
    expect(config).toMatchObject({
      virtualClockStart: '2026-03-02T18:00:00.000Z',
      stateFile: resolve('.opsplane/simulator-state.json'),
    });
  });

  it('reads ports and time scale from the environment', () => {
    // Act
    const config = readSimulatorEnv({
      SIM_CONTAINER_PORT: '0',
      SIM_COMPUTE_PORT: '9001',
      SIM_SECRETMANAGER_PORT: '9002',
      SIM_TIME_SCALE: '0',
    });

    // Assess
    expect(config).toMatchObject({
      ports: { container: 0, compute: 9001, secretmanager: 9002, iam: 8494 },
      timeScale: 0,
    });
  });

  it.each([
    [{ SIM_CONTAINER_PORT: 'http' }, 'SIM_CONTAINER_PORT'],
    [{ SIM_COMPUTE_PORT: '70000' }, 'SIM_COMPUTE_PORT'],
    [{ SIM_KUBERNETES_PORT: '-2' }, 'SIM_KUBERNETES_PORT'],
    [{ SIM_TIME_SCALE: '-1' }, 'SIM_TIME_SCALE'],
    [{ SIM_LOG_LEVEL: 'LOUD' }, 'SIM_LOG_LEVEL'],
    [{ SIM_VIRTUAL_CLOCK: 'tomorrow' }, 'SIM_VIRTUAL_CLOCK'],
  ])('rejects %j naming the variable', (env, name) => {
    // Act
    const read = () => readSimulatorEnv(env);

    // Assess
    expect(read).toThrow(name);
  });
});
