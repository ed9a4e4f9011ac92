/** The payments search form's days: a day that does not exist is a refused field, never a date past the database's range. */
import { describe, expect, it } from 'vitest';
import { dayStart, parseFilters } from '../../../src/engine/payment-filters.ts';

describe('payment search days', () => {
  it('reads a real day in the hub zone, `to` inclusive', () => {
    expect(dayStart('2026-11-21', 300, false)?.toISOString()).toBe('2026-11-20T19:00:00.000Z');
    expect(dayStart('2026-02-28', 300, true)?.toISOString()).toBe('2026-02-28T19:00:00.000Z');
  });

  // Found by the console's fuzz set: Date.UTC rolled 9999-99-99 over into the year 10007, and the search failed (HTTP 500).
  it.each(['9999-99-99', '2026-13-01', '2026-02-30', '2026-00-10', '2026-04-31'])('refuses %s as the field it is in', (day) => {
    expect(dayStart(day, 300, false)).toBeUndefined();
    expect(parseFilters({ from: day }, 300)).toEqual({ ok: false, field: 'from' });
    expect(parseFilters({ to: day }, 300)).toEqual({ ok: false, field: 'to' });
  });
});
