import {
  createScaledClock,
  createSystemClock,
  createVirtualClock,
} from '../../../../local/workflows/engine/clocks';

describe('createVirtualClock', () => {
  it('jumps to each timer in order, concurrent sleeps overlapping', async () => {
    // Prepare
    const clock = createVirtualClock(1000);
    const order: Array<[string, number]> = [];
    // Act
    await Promise.all([
      clock.sleep(10_000).then(() => order.push(['ten', clock.now()])),
      clock.sleep(5000).then(() => order.push(['five', clock.now()])),
      clock.sleep(5000).then(() => order.push(['five again', clock.now()])),
    ]);
    // Assert
    expect(order).toEqual([
      ['five', 6000],
      ['five again', 6000],
      ['ten', 11_000],
    ]);
    expect(clock.now()).toBe(11_000);
  });

  it('does not move while work held in hold() is in flight', async () => {
    // Prepare
    const clock = createVirtualClock(0);
    let timerFiredDuringWork = false;
    const timer = clock.sleep(1).then(() => clock.now());
    // Act
    await clock.hold(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      timerFiredDuringWork = clock.now() !== 0;
    });
    const firedAt = await timer;
    // Assert
    expect(timerFiredDuringWork).toBe(false);
    expect(firedAt).toBe(1);
  });

  it('rejects a sleep whose signal aborts, and forgets its timer', async () => {
    // Prepare
    const clock = createVirtualClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(60_000, controller.signal);
    // Act
    controller.abort(new Error('stop'));
    // Assert
    await expect(sleeping).rejects.toThrow('stop');
    expect(clock.pendingTimers()).toBe(0);
    expect(clock.now()).toBe(0);
  });
});

describe('createScaledClock', () => {
  it('takes factor × the sleep in wall time and reports the full sleep in now()', async () => {
    // Prepare
    const clock = createScaledClock(0.01);
    const before = clock.now();
    const wallBefore = Date.now();
    // Act
    await clock.sleep(2000);
    // Assert
    expect(Date.now() - wallBefore).toBeLessThan(1000);
    expect(clock.now() - before).toBeGreaterThanOrEqual(1900);
  });

  it('refuses a factor that is not positive', () => {
    // Prepare
    const make = () => createScaledClock(0);
    // Act
    // Assert
    expect(make).toThrow(RangeError);
  });
});

describe('createSystemClock', () => {
  it('sleeps in real time and can be aborted', async () => {
    // Prepare
    const clock = createSystemClock();
    const controller = new AbortController();
    const started = Date.now();
    // Act
    await clock.sleep(20);
    const aborted = clock.sleep(60_000, controller.signal);
    controller.abort(new Error('cancelled'));
    // Assert
    await expect(aborted).rejects.toThrow('cancelled');
    expect(Date.now() - started).toBeGreaterThanOrEqual(19);
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(50);
  });
});
