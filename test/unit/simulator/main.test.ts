import { readSimulatorEnv } from '../../../local/simulator/main';

describe('simulator main', () => {
  it('uses ports 8490/8491 and time scale 0.05 by default', () => {
    // Act
    const config = readSimulatorEnv({});

    // Assess
    expect(config).toMatchObject({
      containerPort: 8490,
      computePort: 8491,
      timeScale: 0.05,
      host: '127.0.0.1',
    });
    expect(config.fixturePath).toMatch(/acme-ml-prod\.json$/);
  });

  it('reads ports and time scale from the environment', () => {
    // Act
    const config = readSimulatorEnv({
      SIM_CONTAINER_PORT: '0',
      SIM_COMPUTE_PORT: '9001',
      SIM_TIME_SCALE: '0',
    });

    // Assess
    expect(config).toMatchObject({ containerPort: 0, computePort: 9001, timeScale: 0 });
  });

  it.each([
    [{ SIM_CONTAINER_PORT: 'http' }, 'SIM_CONTAINER_PORT'],
    [{ SIM_COMPUTE_PORT: '70000' }, 'SIM_COMPUTE_PORT'],
    [{ SIM_TIME_SCALE: '-1' }, 'SIM_TIME_SCALE'],
    [{ SIM_LOG_LEVEL: 'LOUD' }, 'SIM_LOG_LEVEL'],
  ])('rejects %j naming the variable', (env, name) => {
    // Act
    const read = () => readSimulatorEnv(env);

    // Assess
    expect(read).toThrow(name);
  });
});
