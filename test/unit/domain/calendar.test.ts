/**
 * Calendar edges at fixed instants, never today's date: the 1st and 2nd of a month (Alseco's period has not switched
 * yet), the last day of a month and of a year, and the minutes around midnight in Almaty (UTC+5) and Bishkek (UTC+6)
 * while it is still the previous day in UTC. Whatever zone the machine is in (CI runs the suite with TZ far from UTC).
 */
import { describe, expect, it } from 'vitest';
import { ShiftedClock, parseInstant } from '../../../src/domain/clock.ts';
import { businessDay, compactLocal, isoLocal } from '../../../src/domain/time.ts';
import { dayBounds, previousBusinessDay } from '../../../src/engine/reconcile.ts';
import { AlsecoSimulator } from '../../../src/sandbox/alseco/simulator.ts';
import { alsecoDateTime } from '../../../src/providers/alseco/mapping.ts';
import { formatElsomDateTime, fromElsomLocal, toElsomLocal } from '../../../src/gateways/elsom-biller/codec/index.ts';

const ALMATY = 300;
const BISHKEK = 360;

function alsecoAt(iso: string): { sim: AlsecoSimulator; clock: ShiftedClock } {
  const clock = new ShiftedClock(new Date(iso));
  return { sim: new AlsecoSimulator({ bankCode: 'TOLM', offsetMinutes: ALMATY, clock }), clock };
}

const currentPeriod = (sim: AlsecoSimulator) => sim.handle({ method: 'GetCurrentPeriod', params: { bankCode: 'TOLM' } }).result;

describe('the clock', () => {
  it('starts where it is set and runs on at real speed; advance and set move it', () => {
    const clock = new ShiftedClock(new Date('2027-01-01T00:00:00+06:00'));
    const first = clock.now().getTime();
    expect(first - Date.parse('2026-12-31T18:00:00Z')).toBeGreaterThanOrEqual(0);
    expect(first - Date.parse('2026-12-31T18:00:00Z')).toBeLessThan(5_000);
    expect(clock.advance(86_400_000).getTime() - first).toBeGreaterThanOrEqual(86_400_000);
    expect(clock.set(new Date('2026-02-28T23:59:59Z')).toISOString().slice(0, 16)).toBe('2026-02-28T23:59');
  });

  it('TOLEM_CLOCK takes only an instant with its zone', () => {
    expect(parseInstant('2027-01-01T00:30:00+06:00', 'TOLEM_CLOCK').toISOString()).toBe('2026-12-31T18:30:00.000Z');
    expect(parseInstant('2027-01-01T00:30:00Z', 'TOLEM_CLOCK').toISOString()).toBe('2027-01-01T00:30:00.000Z');
    // Without a zone the machine's would decide: refused.
    expect(() => parseInstant('2027-01-01T00:30:00', 'TOLEM_CLOCK')).toThrow(/with a zone/);
    expect(() => parseInstant('tomorrow', 'TOLEM_CLOCK')).toThrow(/TOLEM_CLOCK/);
  });
});

describe('business days in the partner zone', () => {
  it('midnight in Almaty and Bishkek while UTC is still on the previous day', () => {
    const almatyNewYear = new Date('2026-12-31T19:00:30Z'); // 00:00:30 on 1 January in Almaty
    expect(businessDay(almatyNewYear, ALMATY)).toBe('2027-01-01');
    expect(businessDay(new Date('2026-12-31T18:59:59Z'), ALMATY)).toBe('2026-12-31');
    expect(businessDay(new Date('2026-12-31T18:00:00Z'), BISHKEK)).toBe('2027-01-01');
    expect(businessDay(new Date('2026-12-31T17:59:59.999Z'), BISHKEK)).toBe('2026-12-31');
    expect(isoLocal(almatyNewYear, ALMATY)).toBe('2027-01-01T00:00:30.000');
    expect(compactLocal(new Date('2026-02-28T19:00:00Z'), ALMATY)).toBe('20260301000000');
  });

  it('a day’s bounds are the partner’s midnights, in UTC the evening before', () => {
    expect(dayBounds('2027-01-01', ALMATY)).toEqual({ from: new Date('2026-12-31T19:00:00Z'), to: new Date('2027-01-01T19:00:00Z') });
    expect(dayBounds('2026-03-01', BISHKEK)).toEqual({ from: new Date('2026-02-28T18:00:00Z'), to: new Date('2026-03-01T18:00:00Z') });
    expect(() => dayBounds('2026-02-30', ALMATY)).toThrow(/not a date/);
  });

  it('the daily reconciliation takes the previous business day of the provider, at any hour of the night', () => {
    // 00:30 on 1 January in Almaty (19:30 UTC on 31 December): yesterday is 31 December.
    expect(previousBusinessDay(ALMATY, new Date('2026-12-31T19:30:00Z'))).toBe('2026-12-31');
    // 23:30 on 31 December in Almaty: yesterday is the 30th, though UTC shows the same date.
    expect(previousBusinessDay(ALMATY, new Date('2026-12-31T18:30:00Z'))).toBe('2026-12-30');
    expect(previousBusinessDay(BISHKEK, new Date('2026-02-28T18:10:00Z'))).toBe('2026-02-28'); // 00:10 on 1 March
    expect(previousBusinessDay(ALMATY, new Date('2028-02-29T20:00:00Z'))).toBe('2028-02-29'); // leap day, 01:00 on 1 March
  });
});

describe('Alseco period and same-day rollback', () => {
  it.each([
    ['2027-01-01T00:30:00+05:00', '2026-12'], // the 1st: still December (UTC: 31 December)
    ['2027-01-02T23:59:00+05:00', '2026-12'], // the 2nd, last minute
    ['2027-01-03T00:00:00+05:00', '2027-01'], // the 3rd in Almaty while UTC is still on the 2nd
    ['2026-12-31T23:59:59+05:00', '2026-12'], // last day of the year
    ['2026-03-31T12:00:00+05:00', '2026-03'], // last day of a month
    ['2026-04-01T00:00:00+05:00', '2026-03'],
    ['2026-04-03T05:00:00+05:00', '2026-04'],
  ])('at %s the current period is %s', (instant, period) => {
    expect(currentPeriod(alsecoAt(instant).sim)).toBe(period);
  });

  it('a payment may be rolled back until midnight in Almaty, and not a minute after', () => {
    const { sim, clock } = alsecoAt('2026-12-31T23:58:00+05:00');
    sim.plant({ sysRef: 'late', accountId: 100110, paySumMinor: 1_000n });
    sim.plant({ sysRef: 'later', accountId: 100110, paySumMinor: 1_000n });
    const rollback = (ref: string) => {
      const answer = sim.handle({ method: 'RollbackPaymentsBySysRef', params: { sysRefs: [ref], bankCode: 'TOLM' } });
      return answer.method === 'RollbackPaymentsBySysRef' ? answer.result[0]!.Result : undefined;
    };
    expect(rollback('late')).toBe('Success');
    clock.set(new Date('2027-01-01T00:01:00+05:00')); // 19:01 UTC on 31 December: the same UTC day, another Almaty day
    expect(rollback('later')).toBe('PaymentProcessed');
  });

  it('a payment accepted at 00:30 on 1 January in Almaty is dated 1 January for Alseco', () => {
    expect(alsecoDateTime(new Date('2026-12-31T19:30:00Z'), ALMATY)).toBe('2027-01-01T00:30:00.000+05:00');
  });
});

describe('Elsom wall clock (Bishkek)', () => {
  it('renders and reads back the first second of a year that UTC has not reached', () => {
    const instant = new Date('2026-12-31T18:00:01Z');
    expect(formatElsomDateTime(instant, BISHKEK)).toBe('20270101000001');
    expect(fromElsomLocal(toElsomLocal(instant, BISHKEK), BISHKEK).toISOString()).toBe(instant.toISOString());
  });
});
