import { ConfigError } from '../errors';

/**
 * Unix-cron with a time zone, as Cloud Scheduler takes it: five fields (minute, hour, day of
 * month, month, day of week) read as wall-clock time in an IANA zone. The local scheduler and
 * `opsplane schedules` compute run times with it, so that they fire when Cloud Scheduler would.
 *
 * Fields take `*`, numbers, lists `1,15`, ranges `1-5`, steps `*\/15`, `0-30/10`, `5/20` (from 5 to
 * the field's maximum), month names JAN–DEC and day names SUN–SAT (7 is Sunday too). As in vixie
 * cron, when both day of month and day of week are restricted (neither starts with `*`), a day
 * matches if either does. Cloud Scheduler's English-like format ("every 5 minutes") is not taken.
 *
 * Daylight saving time (Temporal's "compatible" disambiguation):
 * - a wall time the zone skips (spring forward, e.g. 02:30 in America/Chicago on 2026-03-08) runs
 *   as if the clock had not moved yet: 02:30 CST, i.e. 03:30 CDT;
 * - a wall time the zone repeats (fall back, 01:30 on 2026-11-01) runs once, at its first
 *   occurrence. Jobs meant to run every N minutes through the night should use UTC.
 */

const DAY_MS = 86_400_000;
/** More than any zone's daylight-saving shift. */
const DST_SLACK_MS = 3 * 3_600_000;
/** A day-of-month and month combination like Feb 29 may be years away; nothing valid is further. */
const MAX_SEARCH_DAYS = 366 * 9;

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  /** Names for values, index + `nameBase` = value. */
  names?: readonly string[];
  nameBase?: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  // 7 is Sunday as well; folded into 0 after parsing.
  { name: 'day of week', min: 0, max: 7, names: DAY_NAMES, nameBase: 0 },
];

/** A parsed cron expression: the values each field matches, ascending. */
interface CronExpression {
  readonly source: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday. */
  readonly daysOfWeek: ReadonlySet<number>;
  /** Both day fields restricted: a day matches when either matches (vixie cron). */
  readonly dayFieldsOred: boolean;
  readonly dayOfMonthRestricted: boolean;
  readonly dayOfWeekRestricted: boolean;
}

const invalid = (source: string, why: string): ConfigError =>
  new ConfigError(`invalid cron schedule "${source}": ${why}`);

const parseValue = (text: string, spec: FieldSpec, source: string): number => {
  const upper = text.toUpperCase();
  const named = spec.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + (spec.nameBase ?? 0);
  if (!/^\d{1,2}$/.test(text)) throw invalid(source, `${spec.name}: "${text}" is not a number or name`);
  const value = Number(text);
  if (value < spec.min || value > spec.max)
    throw invalid(source, `${spec.name}: ${value} is outside ${spec.min}-${spec.max}`);
  return value;
};

const parseField = (field: string, spec: FieldSpec, source: string): Set<number> => {
  const values = new Set<number>();
  for (const item of field.split(',')) {
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined || range === '') throw invalid(source, `${spec.name}: "${item}" is malformed`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) < 1)
        throw invalid(source, `${spec.name}: step "${stepText}" must be a positive number`);
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max;
    } else if (range.includes('-')) {
      const [low = '', high = '', more] = range.split('-');
      if (more !== undefined) throw invalid(source, `${spec.name}: "${range}" is malformed`);
      from = parseValue(low, spec, source);
      to = parseValue(high, spec, source);
      if (from > to) throw invalid(source, `${spec.name}: range ${range} runs backwards`);
    } else {
      from = parseValue(range, spec, source);
      // `5/20` means 5, 25, 45: from the value to the field's end.
      to = stepText === undefined ? from : spec.max;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
};

/**
 * Parses a 5-field unix-cron expression.
 *
 * @throws ConfigError naming the field that is wrong.
 */
const parseCron = (source: string): CronExpression => {
  const fields = source.trim().split(/\s+/);
  if (fields.length !== 5)
    throw invalid(
      source,
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`,
    );
  const sets = fields.map((field, index) => parseField(field, FIELDS[index] as FieldSpec, source));
  const [minutes, hours, daysOfMonth, months, rawDaysOfWeek] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  const daysOfWeek = new Set([...rawDaysOfWeek].map((day) => day % 7));
  const dayOfMonthRestricted = !(fields[2] ?? '').startsWith('*');
  const dayOfWeekRestricted = !(fields[4] ?? '').startsWith('*');
  return {
    source,
    minutes: [...minutes].sort((a, b) => a - b),
    hours: [...hours].sort((a, b) => a - b),
    daysOfMonth,
    months,
    daysOfWeek,
    dayFieldsOred: dayOfMonthRestricted && dayOfWeekRestricted,
    dayOfMonthRestricted,
    dayOfWeekRestricted,
  };
};

/** A wall-clock time in some zone; `month` 1–12. */
interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** Converts between instants and wall-clock time in one IANA zone, through Intl. */
interface ZoneConverter {
  readonly timeZone: string;
  wallTimeOf(instant: Date): WallTime & { second: number };
  /**
   * The instant a wall time names: its first occurrence when the zone repeats it, the pre-transition
   * reading when the zone skips it.
   */
  instantOf(wall: WallTime): Date;
}

/**
 * A converter for `timeZone` ("UTC" and "utc" are accepted, as Cloud Scheduler does).
 *
 * @throws ConfigError for a zone Intl does not know.
 */
const createZoneConverter = (timeZone: string): ZoneConverter => {
  const zone = timeZone.toLowerCase() === 'utc' ? 'UTC' : timeZone;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
  } catch (error) {
    throw new ConfigError(`unknown time zone "${timeZone}": ${(error as Error).message}`);
  }
  const wallTimeOf = (instant: Date) => {
    const parts: Record<string, string> = {};
    for (const part of format.formatToParts(instant)) parts[part.type] = part.value;
    const year = Number(parts.year);
    return {
      year: parts.era === 'BC' ? 1 - year : year,
      month: Number(parts.month),
      day: Number(parts.day),
      hour: Number(parts.hour),
      minute: Number(parts.minute),
      second: Number(parts.second),
    };
  };
  const wallAsUtcMs = (wall: WallTime & { second?: number }): number =>
    Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second ?? 0);
  /** The zone's offset from UTC at an instant, in ms (UTC-6 is -21_600_000). */
  const offsetAt = (ms: number): number => {
    const whole = Math.floor(ms / 1000) * 1000;
    return wallAsUtcMs(wallTimeOf(new Date(whole))) - whole;
  };
  const sameWall = (instantMs: number, wall: WallTime): boolean => {
    const seen = wallTimeOf(new Date(instantMs));
    return (
      seen.year === wall.year &&
      seen.month === wall.month &&
      seen.day === wall.day &&
      seen.hour === wall.hour &&
      seen.minute === wall.minute
    );
  };
  // Per converter: the zone's offset for days with no transition near them (most days).
  const steadyOffsets = new Map<number, number | null>();
  const steadyOffsetOn = (dayMs: number): number | null => {
    const cached = steadyOffsets.get(dayMs);
    if (cached !== undefined) return cached;
    const early = offsetAt(dayMs - DAY_MS);
    const steady = early === offsetAt(dayMs + 2 * DAY_MS) ? early : null;
    if (steadyOffsets.size > 1000) steadyOffsets.clear();
    steadyOffsets.set(dayMs, steady);
    return steady;
  };
  const instantOf = (wall: WallTime): Date => {
    const local = wallAsUtcMs(wall);
    const steady = steadyOffsetOn(Math.floor(local / DAY_MS) * DAY_MS);
    if (steady !== null) return new Date(local - steady);
    // Offsets a day either side bracket any transition near this wall time.
    const before = offsetAt(local - DAY_MS);
    const after = offsetAt(local + DAY_MS);
    const candidates = [...new Set([before, after, offsetAt(local)])]
      .map((offset) => local - offset)
      .filter((instant) => sameWall(instant, wall))
      .sort((a, b) => a - b);
    const first = candidates[0];
    // Not on the wall clock (spring forward): read it with the offset in force before the jump.
    return new Date(first ?? local - before);
  };
  return { timeZone: zone, wallTimeOf, instantOf };
};

const dayMatches = (cron: CronExpression, year: number, month: number, day: number): boolean => {
  if (!cron.months.has(month)) return false;
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  const byMonthDay = cron.daysOfMonth.has(day);
  const byWeekDay = cron.daysOfWeek.has(weekday);
  if (cron.dayFieldsOred) return byMonthDay || byWeekDay;
  return (!cron.dayOfMonthRestricted || byMonthDay) && (!cron.dayOfWeekRestricted || byWeekDay);
};

/** A cron expression bound to its time zone: computes run times. */
interface CronSchedule {
  readonly cron: CronExpression;
  readonly timeZone: string;
  /** The first run strictly after `after`. */
  nextRun(after: Date): Date;
  /** Every run in (`from`, `to`], in order. */
  runsBetween(from: Date, to: Date): Date[];
}

/**
 * Binds a cron expression to a zone.
 *
 * @throws ConfigError for a malformed expression or an unknown zone.
 */
const createCronSchedule = (cron: string | CronExpression, timeZone: string): CronSchedule => {
  const expression = typeof cron === 'string' ? parseCron(cron) : cron;
  const zone = createZoneConverter(timeZone);
  const nextRun = (after: Date): Date => {
    const afterMs = after.getTime();
    const start = zone.wallTimeOf(after);
    // Wall times more than a DST shift before `after` cannot be after it.
    const floorMs = Date.UTC(start.year, start.month - 1, start.day, start.hour, start.minute) - DST_SLACK_MS;
    const firstDay = Date.UTC(start.year, start.month - 1, start.day) - DAY_MS;
    // Wall order is instant order except around a skipped hour (02:30 runs at 03:30 CDT, after
    // 03:00): take the earliest instant among wall times up to a few hours past the first found.
    let best: { instantMs: number; wallMs: number } | undefined;
    for (let index = 0; index < MAX_SEARCH_DAYS; index += 1) {
      const date = new Date(firstDay + index * DAY_MS);
      const year = date.getUTCFullYear();
      const month = date.getUTCMonth() + 1;
      const day = date.getUTCDate();
      if (!dayMatches(expression, year, month, day)) continue;
      for (const hour of expression.hours) {
        for (const minute of expression.minutes) {
          const wallMs = Date.UTC(year, month - 1, day, hour, minute);
          if (wallMs < floorMs) continue;
          if (best && wallMs > best.wallMs + DST_SLACK_MS) return new Date(best.instantMs);
          const instantMs = zone.instantOf({ year, month, day, hour, minute }).getTime();
          if (instantMs > afterMs && (!best || instantMs < best.instantMs)) best = { instantMs, wallMs };
        }
      }
    }
    if (best) return new Date(best.instantMs);
    throw invalid(
      expression.source,
      `no run within ${Math.floor(MAX_SEARCH_DAYS / 366)} years (e.g. 30 FEB)`,
    );
  };
  return {
    cron: expression,
    timeZone: zone.timeZone,
    nextRun,
    runsBetween(from, to) {
      const runs: Date[] = [];
      for (let next = nextRun(from); next.getTime() <= to.getTime(); next = nextRun(next)) runs.push(next);
      return runs;
    },
  };
};

/** The first run of `cron` in `timeZone` strictly after `after`. */
const nextRun = (cron: string, timeZone: string, after: Date): Date =>
  createCronSchedule(cron, timeZone).nextRun(after);

/** Formats an instant as wall time in a zone, `2026-03-09 19:00 (America/Chicago)`, for people. */
const formatInZone = (instant: Date, timeZone: string): string => {
  const zone = createZoneConverter(timeZone);
  const wall = zone.wallTimeOf(instant);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${wall.year}-${pad(wall.month)}-${pad(wall.day)} ${pad(wall.hour)}:${pad(wall.minute)} (${zone.timeZone})`;
};

export type { CronExpression, CronSchedule, WallTime, ZoneConverter };
export { createCronSchedule, createZoneConverter, formatInZone, nextRun, parseCron };
