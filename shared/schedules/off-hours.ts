import type { OffHoursWindow } from '../desired-state';
import { createZoneConverter } from './cron';

/**
 * Whether an instant lies inside a GPU pool's off-hours window, read in the window's zone: the
 * schedules' `gpu-offhours-evening` and `-morning` jobs open and close it, and drift expects the
 * pool's night bounds inside it and its day bounds outside. With `weekends: 'off'` the Friday night
 * runs on to Monday morning, since no morning job runs on Saturday or Sunday.
 */

/** `HH:MM` → minutes after midnight. */
const minutesOf = (time: string): number => {
  const [hour = '0', minute = '0'] = time.split(':');
  return Number(hour) * 60 + Number(minute);
};

/** ISO weekday (Monday 1 … Sunday 7) of a calendar date, whatever the zone. */
const isoWeekday = (year: number, month: number, day: number): number => {
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return weekday === 0 ? 7 : weekday;
};

/** Whether `now` lies inside `window`. */
const inOffHoursWindow = (window: OffHoursWindow, now: Date): boolean => {
  const wall = createZoneConverter(window.timeZone).wallTimeOf(now);
  const minute = wall.hour * 60 + wall.minute;
  const weekend = isoWeekday(wall.year, wall.month, wall.day) >= 6;
  // Weekends off: no morning job runs on Saturday or Sunday, so the pool is down all weekend.
  if (window.weekends === 'off' && weekend) return true;
  const down = minutesOf(window.scaleDownAt);
  const up = minutesOf(window.scaleUpAt);
  // A daytime window (12:00 → 14:00) lies within one day; a night one (19:00 → 07:00) spans two.
  return down < up ? minute >= down && minute < up : minute >= down || minute < up;
};

export { inOffHoursWindow };
