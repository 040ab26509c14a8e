import type { OffHoursWindow } from '../../../shared/desired-state';
import { inOffHoursWindow } from '../../../shared/schedules';

const WEEKDAYS: OffHoursWindow = {
  timeZone: 'America/Chicago',
  scaleDownAt: '19:00',
  scaleUpAt: '07:00',
  weekends: 'off',
};

describe('inOffHoursWindow', () => {
  it.each([
    ['2025-06-02T11:59:00Z', 'Monday 06:59 (after the weekend)', true],
    ['2025-06-02T12:00:00Z', 'Monday 07:00 (the morning restore)', false],
    ['2025-06-02T23:59:00Z', 'Monday 18:59', false],
    ['2025-06-03T00:00:00Z', 'Monday 19:00 (the evening scale-down)', true],
    ['2025-06-03T05:00:00Z', 'Tuesday 00:00', true],
    ['2025-06-06T17:00:00Z', 'Friday 12:00', false],
    ['2025-06-07T17:00:00Z', 'Saturday 12:00', true],
    ['2025-06-08T17:00:00Z', 'Sunday 12:00', true],
  ])('weekdays 19:00–07:00 Chicago, weekends off: %s (%s) → %s', (instant, _label, inside) => {
    // Act, Assert
    expect(inOffHoursWindow(WEEKDAYS, new Date(instant))).toBe(inside);
  });

  it('reads the times in the zone across a DST change, and every night when weekends are on', () => {
    // Prepare: Sunday 2025-03-09, Chicago springs forward at 02:00 (CST -6 → CDT -5).
    const everyNight: OffHoursWindow = { ...WEEKDAYS, weekends: 'on' };
    // Act, Assert: 06:59 CDT (11:59Z) inside, 07:00 CDT (12:00Z) outside; a week earlier in CST
    // the same wall times are an hour later in UTC.
    expect(inOffHoursWindow(everyNight, new Date('2025-03-10T11:59:00Z'))).toBe(true);
    expect(inOffHoursWindow(everyNight, new Date('2025-03-10T12:00:00Z'))).toBe(false);
    expect(inOffHoursWindow(everyNight, new Date('2025-03-03T12:59:00Z'))).toBe(true);
    expect(inOffHoursWindow(everyNight, new Date('2025-03-03T13:00:00Z'))).toBe(false);
    expect(inOffHoursWindow(everyNight, new Date('2025-03-08T17:00:00Z'))).toBe(false); // Saturday noon
    expect(inOffHoursWindow(everyNight, new Date('2025-03-09T02:00:00Z'))).toBe(true); // Saturday 20:00 CST
  });

  it('handles a daytime window within one day', () => {
    // Prepare
    const lunch: OffHoursWindow = {
      timeZone: 'UTC',
      scaleDownAt: '12:00',
      scaleUpAt: '14:00',
      weekends: 'on',
    };
    // Act, Assert
    expect(inOffHoursWindow(lunch, new Date('2025-06-02T11:59:00Z'))).toBe(false);
    expect(inOffHoursWindow(lunch, new Date('2025-06-02T12:00:00Z'))).toBe(true);
    expect(inOffHoursWindow(lunch, new Date('2025-06-02T14:00:00Z'))).toBe(false);
  });
});
