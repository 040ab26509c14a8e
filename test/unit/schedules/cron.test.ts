import { ControlPlaneError } from '../../../shared/errors';
import { createCronSchedule, formatInZone, nextRun, parseCron } from '../../../shared/schedules';

const CHICAGO = 'America/Chicago';
const iso = (date: Date) => date.toISOString();

describe('cron expressions', () => {
  it('parses lists, ranges, steps and names into the values they match', () => {
    // Act
    const cron = parseCron('0,30 */6 1-3,15 JAN,jul-SEP MON-FRI');
    const stepped = parseCron('5/20 0-12/4 * * 7');
    // Assert
    expect(cron.minutes).toEqual([0, 30]);
    expect(cron.hours).toEqual([0, 6, 12, 18]);
    expect([...cron.daysOfMonth].sort((a, b) => a - b)).toEqual([1, 2, 3, 15]);
    expect([...cron.months].sort((a, b) => a - b)).toEqual([1, 7, 8, 9]);
    expect([...cron.daysOfWeek].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(stepped.minutes).toEqual([5, 25, 45]);
    expect(stepped.hours).toEqual([0, 4, 8, 12]);
    expect([...stepped.daysOfWeek]).toEqual([0]);
  });

  it.each([
    ['* * * *', 'expected 5 fields'],
    ['60 * * * *', 'minute: 60 is outside 0-59'],
    ['* 24 * * *', 'hour: 24 is outside 0-23'],
    ['* * 0 * *', 'day of month: 0 is outside 1-31'],
    ['* * * FOO *', 'month: "FOO" is not a number or name'],
    ['* * * * FRI-MON', 'runs backwards'],
    ['*/0 * * * *', 'step "0" must be a positive number'],
    ['1-2-3 * * * *', 'is malformed'],
  ])('refuses %s with a ConfigError saying why', (source, why) => {
    // Act
    const parse = () => parseCron(source);
    // Assert
    expect(parse).toThrow(ControlPlaneError);
    expect(parse).toThrow(why);
  });

  it('refuses an unknown time zone, and takes "utc" as Cloud Scheduler does', () => {
    // Act
    const unknown = () => createCronSchedule('0 3 * * *', 'Mars/Olympus_Mons');
    const utc = createCronSchedule('0 3 * * *', 'utc');
    // Assert
    expect(unknown).toThrow('unknown time zone "Mars/Olympus_Mons"');
    expect(iso(utc.nextRun(new Date('2026-05-01T03:00:00Z')))).toBe('2026-05-02T03:00:00.000Z');
  });

  it('matches a day when either restricted day field matches (vixie cron), and only the restricted one otherwise', () => {
    // Prepare: 2026-11-01 is a Sunday.
    const after = new Date('2026-11-01T06:31:00Z');
    // Act
    const either = nextRun('0 0 1,15 * MON', 'UTC', after);
    const weekdayOnly = nextRun('0 0 * * MON', 'UTC', after);
    const monthDayOnly = nextRun('0 0 15 * *', 'UTC', after);
    // Assert
    expect(iso(either)).toBe('2026-11-02T00:00:00.000Z');
    expect(iso(weekdayOnly)).toBe('2026-11-02T00:00:00.000Z');
    expect(iso(monthDayOnly)).toBe('2026-11-15T00:00:00.000Z');
  });

  it('finds a run years away (29 February) and runs strictly after the given instant', () => {
    // Act
    const leap = nextRun('0 0 29 FEB *', 'UTC', new Date('2026-03-01T00:00:00Z'));
    const atRunTime = nextRun('*/15 * * * *', 'UTC', new Date('2026-03-01T00:15:00Z'));
    // Assert
    expect(iso(leap)).toBe('2028-02-29T00:00:00.000Z');
    expect(iso(atRunTime)).toBe('2026-03-01T00:30:00.000Z');
  });
});

describe('next run in a time zone', () => {
  it('runs the weekday evening job at 19:00 Chicago time, CST and CDT alike, skipping the weekend', () => {
    // Prepare: Friday 2026-03-06 (CST, UTC-6) and the Monday after the DST change (CDT, UTC-5).
    const schedule = createCronSchedule('0 19 * * MON-FRI', CHICAGO);
    // Act
    const friday = schedule.nextRun(new Date('2026-03-06T12:00:00Z'));
    const afterFriday = schedule.nextRun(friday);
    // Assert
    expect(iso(friday)).toBe('2026-03-07T01:00:00.000Z');
    expect(iso(afterFriday)).toBe('2026-03-10T00:00:00.000Z');
    expect(formatInZone(afterFriday, CHICAGO)).toBe('2026-03-09 19:00 (America/Chicago)');
  });

  it('runs a wall time the spring-forward change skips as if the clock had not moved yet (02:30 CST = 03:30 CDT)', () => {
    // Prepare: on 2026-03-08 Chicago goes from 02:00 CST straight to 03:00 CDT.
    const schedule = createCronSchedule('30 2 * * *', CHICAGO);
    // Act
    const onChangeDay = schedule.nextRun(new Date('2026-03-08T06:00:00Z'));
    const dayAfter = schedule.nextRun(onChangeDay);
    // Assert
    expect(iso(onChangeDay)).toBe('2026-03-08T08:30:00.000Z');
    expect(formatInZone(onChangeDay, CHICAGO)).toBe('2026-03-08 03:30 (America/Chicago)');
    expect(iso(dayAfter)).toBe('2026-03-09T07:30:00.000Z');
  });

  it('keeps every half-hour of real time through the spring-forward night, none twice', () => {
    // Prepare
    const schedule = createCronSchedule('*/30 * * * *', CHICAGO);
    // Act
    const runs = schedule.runsBetween(new Date('2026-03-08T07:00:00Z'), new Date('2026-03-08T10:00:00Z'));
    // Assert
    expect(runs.map(iso)).toEqual([
      '2026-03-08T07:30:00.000Z', // 01:30 CST
      '2026-03-08T08:00:00.000Z', // 02:00 CST does not exist: 03:00 CDT
      '2026-03-08T08:30:00.000Z', // 03:30 CDT
      '2026-03-08T09:00:00.000Z',
      '2026-03-08T09:30:00.000Z',
      '2026-03-08T10:00:00.000Z',
    ]);
  });

  it('runs a wall time the fall-back change repeats once, at its first occurrence', () => {
    // Prepare: on 2026-11-01 Chicago goes from 02:00 CDT back to 01:00 CST.
    const schedule = createCronSchedule('30 1 * * *', CHICAGO);
    // Act
    const first = schedule.nextRun(new Date('2026-11-01T05:00:00Z'));
    const next = schedule.nextRun(first);
    // Assert
    expect(iso(first)).toBe('2026-11-01T06:30:00.000Z'); // 01:30 CDT
    expect(iso(next)).toBe('2026-11-02T07:30:00.000Z'); // not 01:30 CST (07:30Z) the same night
  });

  it('keeps a daily job at the same Chicago wall time across both changes: 23 and 25 hours apart', () => {
    // Prepare
    const schedule = createCronSchedule('0 3 * * *', CHICAGO);
    // Act
    const spring = schedule.runsBetween(new Date('2026-03-07T00:00:00Z'), new Date('2026-03-10T00:00:00Z'));
    const fall = schedule.runsBetween(new Date('2026-10-31T00:00:00Z'), new Date('2026-11-03T00:00:00Z'));
    // Assert
    expect(spring.map(iso)).toEqual([
      '2026-03-07T09:00:00.000Z',
      '2026-03-08T08:00:00.000Z',
      '2026-03-09T08:00:00.000Z',
    ]);
    expect(fall.map(iso)).toEqual([
      '2026-10-31T08:00:00.000Z',
      '2026-11-01T09:00:00.000Z',
      '2026-11-02T09:00:00.000Z',
    ]);
  });

  it('counts 672 quarter-hours in a week in UTC', () => {
    // Act
    const runs = createCronSchedule('*/15 * * * *', 'UTC').runsBetween(
      new Date('2026-03-02T00:00:00Z'),
      new Date('2026-03-09T00:00:00Z'),
    );
    // Assert
    expect(runs).toHaveLength(672);
    expect(iso(runs[671] as Date)).toBe('2026-03-09T00:00:00.000Z');
  });
});
