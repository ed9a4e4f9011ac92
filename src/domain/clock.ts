/**
 * The one source of "now". The engine, the jobs, the gateways and the simulators read the time only through a Clock,
 * and every timestamp Tolem writes to its store comes from it, never from the database's own now(): a test (or a
 * sandbox run) that starts the clock at 23:59 on the last day of a month in Almaty sees the whole hub, simulators
 * included, live that minute — business days, periods, receipts, same-day rollback, charge windows.
 *
 * A clock runs at real speed from wherever it was set, so timeouts, leases and backoff still expire as they should.
 */
export interface Clock {
  now(): Date;
}

/** The machine's clock: production. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock that can be set to any instant and then runs at real speed from it (tests, sandboxes). */
export class ShiftedClock implements Clock {
  private offsetMs: number;

  constructor(start?: Date) {
    this.offsetMs = start ? start.getTime() - Date.now() : 0;
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves the clock to an instant (null: back to the machine's time); it runs on from there. */
  set(instant: Date | null): Date {
    this.offsetMs = instant ? instant.getTime() - Date.now() : 0;
    return this.now();
  }

  advance(ms: number): Date {
    this.offsetMs += ms;
    return this.now();
  }
}

/** An ISO-8601 instant with an explicit zone ("2027-01-01T00:30:00+06:00"); anything else is a configuration error. */
export function parseInstant(text: string, name: string): Date {
  const instant = /(Z|[+-]\d{2}:\d{2})$/.test(text.trim()) ? new Date(text.trim()) : new Date(Number.NaN);
  if (Number.isNaN(instant.getTime())) throw new Error(`${name} must be an ISO-8601 instant with a zone (e.g. 2027-01-01T00:30:00+06:00), got "${text}"`);
  return instant;
}
