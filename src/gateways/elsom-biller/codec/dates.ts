/** Elsom biller codec — The protocol's three date formats (compact, registry, server time) in Elsom's wall clock. */
import {
  fromLocalDateTime, localDateTime as realLocalDateTime, toLocalDateTime,
} from '../../../domain/local-date-time.ts';
import { type ElsomLocalDateTime } from './messages.ts';

const COMPACT_DATE_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const REGISTRY_DATE_TIME = /^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})$/;
const SERVER_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;

function localDateTime(parts: readonly number[]): ElsomLocalDateTime | undefined {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millisecond = 0] = parts;
  return year >= 1000 ? realLocalDateTime(year, month, day, hour, minute, second, millisecond) : undefined;
}

const pad = (value: number, width = 2) => value.toString().padStart(width, '0');

/** `20150804000113` (ГГГГММДДччммсс) → wall-clock fields; undefined if not a real date and time. */
export function parseElsomCompactDateTime(text: string): ElsomLocalDateTime | undefined {
  const match = COMPACT_DATE_TIME.exec(text);
  return match === null ? undefined : localDateTime(match.slice(1).map(Number));
}

/** `04.08.2015 00:03:59` (ДД.ММ.ГГГГ чч:мм:сс, the PAYMENT_LIST registry) → wall-clock fields. */
export function parseElsomRegistryDateTime(text: string): ElsomLocalDateTime | undefined {
  const match = REGISTRY_DATE_TIME.exec(text);
  if (match === null) return undefined;
  const [, day, month, year, hour, minute, second] = match.map(Number);
  return localDateTime([year ?? 0, month ?? 0, day ?? 0, hour ?? 0, minute ?? 0, second ?? 0]);
}

/** `2015-08-04T00:00:47.467` (extra ServerTime) → wall-clock fields with milliseconds. */
export function parseElsomServerTime(text: string): ElsomLocalDateTime | undefined {
  const match = SERVER_TIME.exec(text);
  if (match === null) return undefined;
  const millisecond = Number((match[7] ?? '').padEnd(3, '0'));
  return localDateTime([...match.slice(1, 7).map(Number), millisecond]);
}

export function formatElsomCompactDateTime(local: ElsomLocalDateTime): string {
  return `${pad(local.year, 4)}${pad(local.month)}${pad(local.day)}${pad(local.hour)}${pad(local.minute)}${pad(local.second)}`;
}

export function formatElsomRegistryDateTime(local: ElsomLocalDateTime): string {
  return `${pad(local.day)}.${pad(local.month)}.${pad(local.year, 4)} ${pad(local.hour)}:${pad(local.minute)}:${pad(local.second)}`;
}

export function formatElsomServerTime(local: ElsomLocalDateTime): string {
  const date = `${pad(local.year, 4)}-${pad(local.month)}-${pad(local.day)}`;
  return `${date}T${pad(local.hour)}:${pad(local.minute)}:${pad(local.second)}.${pad(local.millisecond, 3)}`;
}

/** An instant → Elsom's wall clock at a fixed UTC offset (Kyrgyzstan: +360 minutes, no DST). */
export function toElsomLocal(instant: Date, utcOffsetMinutes: number): ElsomLocalDateTime {
  return toLocalDateTime(instant, utcOffsetMinutes);
}

/** Elsom's wall clock at a fixed UTC offset → the instant. */
export function fromElsomLocal(local: ElsomLocalDateTime, utcOffsetMinutes: number): Date {
  return fromLocalDateTime(local, utcOffsetMinutes);
}

/** An instant as `YYYYMMDDhhmmss` in the given UTC offset. */
export function formatElsomDateTime(instant: Date, utcOffsetMinutes: number): string {
  return formatElsomCompactDateTime(toElsomLocal(instant, utcOffsetMinutes));
}
