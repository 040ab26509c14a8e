import { valueError } from './stdlib-function';

/** Names meaning UTC, rendered with `Z`. */
const UTC_NAMES = new Set(['', 'utc', 'gmt', 'z', 'etc/utc', 'etc/gmt', 'etc/zulu', 'zulu', 'universal']);

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** Epoch milliseconds of a UTC wall-clock time (Date.UTC would read years 0..99 as 1900..1999). */
const utcMilliseconds = (
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number => {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
};

/** The wall-clock fields of `epochMs` in `timeZone`, via Intl (throws a ValueError on an unknown zone). */
const wallClock = (epochMs: number, timeZone: string): Record<string, number> => {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      era: 'short',
    });
  } catch {
    throw valueError('time.format', `unknown time zone ${JSON.stringify(timeZone)}`);
  }
  const fields: Record<string, number> = {};
  let era = 'AD';
  for (const part of format.formatToParts(new Date(epochMs))) {
    if (part.type === 'era') era = part.value;
    else if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  if (era === 'BC' && fields.year !== undefined) fields.year = 1 - fields.year;
  return fields;
};

/**
 * `time.format(seconds, timezone)`: RFC 3339 with microseconds; `Z` when the offset is zero (UTC,
 * GMT, or an IANA zone currently at +00:00), else `±HH:MM` (`"Europe/Paris"` in July → `+02:00`).
 */
const formatTimestamp = (seconds: number, timeZone: string | undefined): string => {
  if (!Number.isFinite(seconds)) throw valueError('time.format', 'seconds must be finite');
  const totalMicros = Math.round(seconds * 1e6);
  const micros = ((totalMicros % 1e6) + 1e6) % 1e6;
  const epochMs = (totalMicros - micros) / 1000;
  if (Math.abs(epochMs) > 8.64e15)
    throw valueError('time.format', `${seconds} is out of the supported time range`);
  const zone = timeZone === undefined || UTC_NAMES.has(timeZone.toLowerCase()) ? 'UTC' : timeZone;
  const fields = wallClock(epochMs, zone);
  const year = fields.year ?? 0;
  const wallMs = utcMilliseconds(
    year,
    fields.month ?? 1,
    fields.day ?? 1,
    fields.hour ?? 0,
    fields.minute ?? 0,
    fields.second ?? 0,
  );
  const offsetMinutes = Math.round((wallMs - epochMs) / 60000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const offset =
    offsetMinutes === 0
      ? 'Z'
      : `${sign}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
  const yearText = year < 0 ? `-${pad(-year, 4)}` : pad(year, 4);
  return `${yearText}-${pad(fields.month ?? 1)}-${pad(fields.day ?? 1)}T${pad(fields.hour ?? 0)}:${pad(fields.minute ?? 0)}:${pad(fields.second ?? 0)}.${pad(micros, 6)}${offset}`;
};

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const daysInMonth = (year: number, month: number): number =>
  new Date(utcMilliseconds(year, month + 1, 0, 0, 0, 0)).getUTCDate();

/**
 * `time.parse(value)`: an RFC 3339 §5.6 timestamp (fraction to microseconds; finer digits are
 * truncated) as seconds since the epoch, a double.
 */
const parseTimestamp = (value: string): number => {
  const match = RFC3339.exec(value);
  if (!match) throw valueError('time.parse', `${JSON.stringify(value)} is not an RFC 3339 timestamp`);
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 60 ||
    Number(match[10] ?? 0) > 23 ||
    Number(match[11] ?? 0) > 59
  ) {
    throw valueError('time.parse', `${JSON.stringify(value)} is not a valid date and time`);
  }
  const micros = Number((match[7] ?? '').slice(0, 6).padEnd(6, '0'));
  const offsetMinutes = match[9]
    ? (match[9] === '-' ? -1 : 1) * (Number(match[10]) * 60 + Number(match[11]))
    : 0;
  const wallMs = utcMilliseconds(year, month, day, hour, minute, Math.min(second, 59));
  const wholeSeconds = wallMs / 1000 - offsetMinutes * 60 + (second === 60 ? 1 : 0);
  return wholeSeconds + micros / 1e6;
};

export { formatTimestamp, parseTimestamp };
