import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { ProviderCircuits } from '../../src/engine/provider-circuits.ts';
import { outcomeOf } from '../../src/gateways/elsom-biller/mapping.ts';
import { RESULT } from '../../src/domain/result-codes.ts';

/** The breaker's rules, one by one: what is refused, what always goes out, what probes, what is counted. */
const unknown = { kind: 'unknown' as const, reason: 'HTTP 500' };
const answered = { kind: 'ok' as const };

let circuits: ProviderCircuits;
afterEach(() => circuits?.close());

function open(probeAfterMs = 60_000): Promise<void> {
  circuits = new ProviderCircuits({ windowMs: 10_000, minimumCalls: 3, failurePercent: 50, probeAfterMs });
  return Promise.all([1, 2, 3].map(() => circuits.check('p', async () => unknown))).then(() => undefined);
}

describe('provider circuits', () => {
  it('stays closed below the minimum of calls, whatever fails', async () => {
    circuits = new ProviderCircuits({ windowMs: 10_000, minimumCalls: 5, failurePercent: 50, probeAfterMs: 1_000 });
    for (let i = 0; i < 4; i++) expect(await circuits.check('p', async () => unknown)).toEqual(unknown);
    expect(circuits.admits('p', 'pay')).toBe(true);
    expect(circuits.snapshot()[0]).toMatchObject({ provider: 'p', state: 'closed', calls: 4, unknownRate: 1, successRate: 0 });
  });

  it('a refusal is a healthy answer: declines never open it', async () => {
    circuits = new ProviderCircuits({ windowMs: 10_000, minimumCalls: 2, failurePercent: 50, probeAfterMs: 1_000 });
    for (let i = 0; i < 10; i++) await circuits.check('p', async () => ({ kind: 'declined' as const }));
    expect(circuits.isClosed('p')).toBe(true);
    expect(circuits.snapshot()[0]!.successRate).toBe(1);
  });

  it('open: new checks and pays are refused, and not sent', async () => {
    await open();
    expect(circuits.isClosed('p')).toBe(false);
    let sent = 0;
    expect(await circuits.check('p', async () => (sent++, answered))).toBeUndefined();
    expect(circuits.admits('p', 'pay')).toBe(false);
    expect(circuits.admits('p', 'check')).toBe(false);
    expect(sent).toBe(0);
    expect(circuits.snapshot()[0]).toMatchObject({ state: 'open', refused: 3 });
    expect([...circuits.unavailable()]).toEqual(['p']);
  });

  it('open: a call for an accepted payment still goes out (its drive never stops)', async () => {
    await open();
    let sent = 0;
    expect(await circuits.call('p', 'status', async () => (sent++, { kind: 'not_found' as const }))).toEqual({ kind: 'not_found' });
    expect(await circuits.call('p', 'pay', async () => (sent++, { kind: 'paid' as const, providerRef: 'r' }))).toMatchObject({ kind: 'paid' });
    expect(sent).toBe(2);
    expect(circuits.snapshot()[0]!.state).toBe('open'); // uncounted while open: only the probe decides
  });

  it('half-open: one check is the probe, a pay is never one; the probe answering closes it', async () => {
    await open(50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(circuits.snapshot()[0]!.state).toBe('half_open');
    expect(circuits.admits('p', 'pay')).toBe(false);
    expect(circuits.admits('p', 'check')).toBe(true);
    expect(await circuits.check('p', async () => answered)).toEqual(answered);
    expect(circuits.isClosed('p')).toBe(true);
    expect(circuits.admits('p', 'pay')).toBe(true);
  });

  it('half-open: a probe that fails opens it again', async () => {
    await open(50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await circuits.call('p', 'status', async () => unknown)).toEqual(unknown);
    expect(circuits.snapshot()[0]!.state).toBe('open');
  });

  it('an adapter that throws counts as a failure and the error reaches the engine', async () => {
    circuits = new ProviderCircuits({ windowMs: 10_000, minimumCalls: 1, failurePercent: 50, probeAfterMs: 60_000 });
    await expect(circuits.call('p', 'pay', async () => { throw new Error('bug'); })).rejects.toThrow('bug');
    expect(circuits.isClosed('p')).toBe(false);
  });

  it('exports state, rates and calls on the registry', async () => {
    const registry = new Registry();
    circuits = new ProviderCircuits({ windowMs: 10_000, minimumCalls: 3, failurePercent: 50, probeAfterMs: 60_000 }, registry);
    for (let i = 0; i < 3; i++) await circuits.check('p', async () => unknown);
    circuits.admits('p', 'pay');
    const text = await registry.metrics();
    expect(text).toContain('tolem_provider_circuit_state{provider="p"} 2');
    expect(text).toContain('tolem_provider_unknown_ratio{provider="p"} 1');
    expect(text).toContain('tolem_provider_calls_total{provider="p",operation="check",outcome="unknown"} 3');
    expect(text).toContain('tolem_provider_calls_total{provider="p",operation="pay",outcome="refused"} 1');
  });
});

describe('the refusal in each protocol', () => {
  it('Elsom: 8 is answered 240 with status 160 — fatal, so Elsom neither repeats the PAYMENT nor counts it paid', () => {
    expect(outcomeOf({ kind: 'refused', code: RESULT.FORBIDDEN_TECHNICAL, message: 'down' })).toEqual({ resultCode: 240, statusId: 160 });
  });
});
