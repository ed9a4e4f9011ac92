/**
 * Partner time zones are configuration (Kazakhstan UTC+5, Kyrgyzstan UTC+6). These helpers render an instant as the
 * wall-clock text a partner expects, in a fixed UTC offset, with no dependence on the machine's own zone.
 */
import { toLocalDateTime } from './local-date-time.ts';

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** 2020-10-19T20:19:23.737 */
export function isoLocal(instant: Date, offsetMinutes: number): string {
  const t = toLocalDateTime(instant, offsetMinutes);
  return `${t.year}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}.${pad(t.millisecond, 3)}`;
}

/** 20200215000000 */
export function compactLocal(instant: Date, offsetMinutes: number): string {
  const t = toLocalDateTime(instant, offsetMinutes);
  return `${t.year}${pad(t.month)}${pad(t.day)}${pad(t.hour)}${pad(t.minute)}${pad(t.second)}`;
}

/** The business day (YYYY-MM-DD) of an instant in a zone. */
export function businessDay(instant: Date, offsetMinutes: number): string {
  return isoLocal(instant, offsetMinutes).slice(0, 10);
}

/** 300 → "+05:00"; -210 → "-03:30". */
export function formatOffset(offsetMinutes: number): string {
  const abs = Math.abs(offsetMinutes);
  return `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** "+05:00" → 300; "-03:30" → -210. */
export function parseOffset(text: string): number {
  const match = /^([+-])(\d{2}):?(\d{2})$/.exec(text.trim());
  if (!match) throw new Error(`invalid UTC offset "${text}", expected e.g. +05:00`);
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}
