/**
 * A partner's wall-clock date and time: what its messages write, without an offset ("2015-08-04T00:00:47",
 * "20150804000113", "04.08.2015 00:03:59"). It only becomes an instant with the partner's fixed UTC offset
 * (configuration: Alseco UTC+5, Elsom UTC+6), never with the machine's zone. Pure.
 */
export interface LocalDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 0 where the format carries none. */
  readonly millisecond: number;
}

/** Proleptic Gregorian: 1..31 by month, February 29 in leap years. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Whether the fields name a date and time that exists (`2023-02-29T…` and `…T24:00:00` do not). */
export function isRealLocalDateTime(local: LocalDateTime): boolean {
  const { year, month, day, hour, minute, second, millisecond } = local;
  if (![year, month, day, hour, minute, second, millisecond].every(Number.isInteger)) return false;
  if (year < 0 || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59 && millisecond >= 0 && millisecond <= 999;
}

/** The fields as a LocalDateTime when they exist, else undefined. */
export function localDateTime(
  year: number, month: number, day: number, hour = 0, minute = 0, second = 0, millisecond = 0,
): LocalDateTime | undefined {
  const local = { year, month, day, hour, minute, second, millisecond };
  return isRealLocalDateTime(local) ? local : undefined;
}

/** An instant → the wall clock at a fixed UTC offset (minutes east of UTC). */
export function toLocalDateTime(instant: Date, offsetMinutes: number): LocalDateTime {
  const t = new Date(instant.getTime() + offsetMinutes * 60_000);
  return {
    year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate(),
    hour: t.getUTCHours(), minute: t.getUTCMinutes(), second: t.getUTCSeconds(), millisecond: t.getUTCMilliseconds(),
  };
}

/** The wall clock at a fixed UTC offset → the instant (years below 100 are not taken for 19xx). */
export function fromLocalDateTime(local: LocalDateTime, offsetMinutes: number): Date {
  const utc = new Date(0);
  utc.setUTCFullYear(local.year, local.month - 1, local.day);
  utc.setUTCHours(local.hour, local.minute, local.second, local.millisecond);
  return new Date(utc.getTime() - offsetMinutes * 60_000);
}
