import { describe, expect, it } from 'vitest';
import { daysInMonth, fromLocalDateTime, localDateTime, toLocalDateTime } from '../../../src/domain/local-date-time.ts';

describe('LocalDateTime', () => {
  it('knows the calendar: leap years by the Gregorian rule', () => {
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2023, 2)).toBe(28);
    expect(daysInMonth(1900, 2)).toBe(28);
    expect(daysInMonth(2000, 2)).toBe(29);
    expect(daysInMonth(2024, 4)).toBe(30);
    expect(daysInMonth(2024, 12)).toBe(31);
  });

  it.each([
    [2023, 2, 29, 0, 0, 0],
    [2024, 13, 1, 0, 0, 0],
    [2024, 0, 1, 0, 0, 0],
    [2024, 4, 31, 0, 0, 0],
    [2024, 1, 1, 24, 0, 0],
    [2024, 1, 1, 23, 60, 0],
    [2024, 1, 1, 23, 59, 60],
  ])('refuses %i-%i-%i %i:%i:%i', (...fields) => {
    expect(localDateTime(...fields)).toBeUndefined();
  });

  it('accepts the edges that exist', () => {
    expect(localDateTime(2024, 2, 29, 23, 59, 59, 999)).toEqual({ year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59, millisecond: 999 });
  });

  it('an instant at a fixed offset, whatever the machine zone: Elsom UTC+6 at New Year', () => {
    const instant = new Date('2024-12-31T18:30:00.250Z');
    expect(toLocalDateTime(instant, 360)).toEqual({ year: 2025, month: 1, day: 1, hour: 0, minute: 30, second: 0, millisecond: 250 });
    expect(toLocalDateTime(instant, -210)).toMatchObject({ year: 2024, month: 12, day: 31, hour: 15, minute: 0 });
  });

  it('round-trips through the offset, years below 100 included', () => {
    const local = { year: 2025, month: 1, day: 1, hour: 0, minute: 30, second: 0, millisecond: 250 };
    expect(fromLocalDateTime(local, 360).toISOString()).toBe('2024-12-31T18:30:00.250Z');
    const early = { year: 99, month: 3, day: 1, hour: 12, minute: 0, second: 0, millisecond: 0 };
    expect(toLocalDateTime(fromLocalDateTime(early, 300), 300)).toEqual(early);
  });
});
