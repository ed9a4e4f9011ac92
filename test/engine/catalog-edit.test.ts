/**
 * Editing a service's inputs, fee rule and route through the engine, on the real store: a regexp is refused before it
 * is stored when it does not compile, is too long, is not anchored, nests quantifiers or backtracks on a long
 * near-miss; fee rules are parsed from exact decimal texts (no floats) and their preview agrees with what check and pay
 * allow; a route names only adapters of the registry; a second edit from a stale version is a conflict; each change
 * has one audit entry with before and after, and the agent API obeys it at once.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feeAllowed, type FeeRule } from '../../src/domain/catalog.ts';
import { serviceForEdit, setServiceFeeRule, setServiceInputs, setServiceLimits, setServiceRoute, testRegexp, validateInputs } from '../../src/engine/catalog-admin.ts';
import { feeBounds, feePreview, feeRuleInput, parseFeeRule } from '../../src/engine/fee-rules.ts';
import { checkInputRegexp } from '../../src/engine/regexp-check.ts';
import { listAudit, verifyAuditChain } from '../../src/engine/audit.ts';
import type { Actor } from '../../src/engine/sessions.ts';
import { agentApi, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

let h: Harness;
const actor: Actor = { principal: { kind: 'operator', id: 1n, login: 'cat', role: 'admin' }, ip: '192.0.2.9' };
const PROVIDERS = ['sandbox-mobile', 'sandbox-mobile-kcell', 'alseco'];

beforeAll(async () => {
  h = await startTolem({ jobs: false });
}, 60_000);
afterAll(async () => h?.close());

const pay = (service: string, account: string, id: number, amountTo: string, amountFrom = amountTo) =>
  `{"serviceId":"${service}","account":"${account}","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amountTo},"amountFrom":${amountFrom}}`;

describe('input regexps', () => {
  it('accepts anchored, safe regexps', () => {
    for (const source of ['^\\d{10}$', '^(?:7|8)\\d{9}$', '^996\\d{9}$', '^[A-Z]{2}\\d{6,10}$', '^\\p{L}{1,50}$', '^\\d{10}$|^\\d{12}$']) {
      expect(checkInputRegexp(source), source).toEqual({ ok: true });
    }
  });

  it('refuses what does not compile, is too long or is not anchored', () => {
    expect(checkInputRegexp('')).toEqual({ ok: false, reason: 'regexp_empty' });
    expect(checkInputRegexp('^([0-9]$')).toEqual({ ok: false, reason: 'regexp_invalid' });
    expect(checkInputRegexp('^\\d{3}\\q$')).toEqual({ ok: false, reason: 'regexp_invalid' }); // an identity escape is an error under flag u
    expect(checkInputRegexp(`^${'a'.repeat(300)}$`)).toEqual({ ok: false, reason: 'regexp_too_long' });
    for (const source of ['\\d{10}', '^\\d{10}', '\\d{10}$', '^\\d{10}\\$', '^\\d{10}$|7', '^a|b$']) {
      expect(checkInputRegexp(source), source).toEqual({ ok: false, reason: 'regexp_not_anchored' });
    }
    expect(checkInputRegexp('^(a|b)$')).toEqual({ ok: true }); // an alternation inside a group is anchored by the group's ends
  });

  it('refuses catastrophic backtracking: nested quantifiers, and what the probe finds too slow', () => {
    for (const source of ['^(a+)+$', '^(\\d*)*x$', '^([a-z]+\\d?)+$']) expect(checkInputRegexp(source), source).toEqual({ ok: false, reason: 'regexp_unsafe' });
    const started = process.hrtime.bigint();
    for (const source of ['^(a|a)*$', '^(\\d|\\d)*$', '^(\\w|\\d)*$']) expect(checkInputRegexp(source), source).toEqual({ ok: false, reason: 'regexp_slow' });
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(3_000); // each probe is cut at its budget
  });

  it('tries an edited regexp on a value before it is saved', () => {
    expect(testRegexp('^8\\d{9}$', '8770017711')).toEqual({ ok: true, matches: true });
    expect(testRegexp('^8\\d{9}$', '7770017711')).toEqual({ ok: true, matches: false });
    expect(testRegexp('^(a+)+$', 'aaa')).toEqual({ ok: false, reason: 'regexp_unsafe' });
  });

  it('checks names and titles and orders the inputs', () => {
    const base = { title: 'Phone', regexp: '^\\d{10}$', required: true };
    expect(validateInputs([{ ...base, name: 'b', order: 2 }, { ...base, name: 'a', order: 1 }]).map((i) => i.name)).toEqual(['a', 'b']);
    expect(() => validateInputs([{ ...base, name: '1x' }])).toThrow(expect.objectContaining({ code: 'input_bad_name', field: 'inputs.0.name' }));
    expect(() => validateInputs([{ ...base, name: 'a' }, { ...base, name: 'a' }])).toThrow(expect.objectContaining({ code: 'input_duplicate_name', field: 'inputs.1.name' }));
    expect(() => validateInputs([{ ...base, name: 'a', title: ' ' }])).toThrow(expect.objectContaining({ code: 'input_bad_title' }));
    expect(() => validateInputs([{ ...base, name: 'a', regexp: '^(a|a)*$' }])).toThrow(expect.objectContaining({ code: 'regexp_slow', field: 'inputs.0.regexp' }));
    expect(() => validateInputs(Array.from({ length: 11 }, (_, i) => ({ ...base, name: `f${i}` })))).toThrow(expect.objectContaining({ code: 'too_many_inputs' }));
  });
});

describe('fee rules', () => {
  it('parses exact decimal texts and refuses the rest', () => {
    expect(parseFeeRule({ kind: 'range', min: '0', max: '300.00' })).toEqual({ kind: 'range', minMinor: '0', maxMinor: '30000' });
    expect(parseFeeRule({ kind: 'range', min: ' 1.5 ', max: '1.50' })).toEqual({ kind: 'range', minMinor: '150', maxMinor: '150' });
    expect(parseFeeRule({ kind: 'percent', percent: '2.5' })).toEqual({ kind: 'percent', maxBasisPoints: 250 });
    expect(parseFeeRule({ kind: 'percent', percent: '100', min: '10.00' })).toEqual({ kind: 'percent', maxBasisPoints: 10_000, minMinor: '1000' });
    expect(parseFeeRule({ kind: 'percent', percent: '0.01', min: '' })).toEqual({ kind: 'percent', maxBasisPoints: 1 });
    expect(parseFeeRule({ kind: 'none', min: 'ignored' })).toEqual({ kind: 'none' });
    for (const [input, code] of [
      [{ kind: 'range', min: '1e3', max: '5' }, 'fee_bad_amount'],
      [{ kind: 'range', min: '0.001', max: '5' }, 'fee_bad_amount'],
      [{ kind: 'range', min: '-1', max: '5' }, 'fee_bad_amount'],
      [{ kind: 'range', min: '0.1.2', max: '5' }, 'fee_bad_amount'],
      [{ kind: 'range', min: '1', max: '' }, 'fee_bad_amount'],
      [{ kind: 'range', min: '0', max: '10000000000000' }, 'fee_bad_amount'],
      [{ kind: 'range', min: '5.01', max: '5' }, 'fee_min_above_max'],
      [{ kind: 'percent', percent: '100.01' }, 'fee_bad_percent'],
      [{ kind: 'percent', percent: '2.555' }, 'fee_bad_percent'],
      [{ kind: 'percent', percent: '5', min: 'x' }, 'fee_bad_amount'],
      [{ kind: 'fixed' }, 'fee_bad_kind'],
    ] as const) {
      expect(() => parseFeeRule(input), JSON.stringify(input)).toThrow(expect.objectContaining({ code }));
    }
  });

  it('previews the fee of a sample amount exactly, rounding a percent down', () => {
    expect(feePreview({ kind: 'percent', maxBasisPoints: 250 }, '100.99')).toEqual({ amountToMinor: 10_099n, minMinor: 0n, maxMinor: 252n, maxAmountFromMinor: 10_351n });
    expect(feePreview({ kind: 'percent', maxBasisPoints: 250, minMinor: '500' }, '1.00')).toMatchObject({ maxMinor: 500n });
    expect(feePreview({ kind: 'range', minMinor: '100', maxMinor: '200' }, '9999999999999.99')).toMatchObject({ minMinor: 100n, maxMinor: 200n, maxAmountFromMinor: 999_999_999_999_999n + 200n });
    expect(feePreview({ kind: 'any' }, '5')).toMatchObject({ maxMinor: null, maxAmountFromMinor: null });
    expect(feePreview({ kind: 'none' }, '5')).toMatchObject({ minMinor: 0n, maxMinor: 0n });
    for (const sample of ['0', '-1', '1e2', '1.001', '']) expect(() => feePreview({ kind: 'none' }, sample), sample).toThrow(expect.objectContaining({ code: 'fee_bad_sample' }));
    expect(feeRuleInput({ kind: 'percent', maxBasisPoints: 250, minMinor: '1000' })).toEqual({ kind: 'percent', percent: '2.50', min: '10.00', max: '' });
  });

  it('the preview\'s bounds are exactly the fees check and pay allow', () => {
    const rule = fc.oneof(
      fc.constant<FeeRule>({ kind: 'none' }), fc.constant<FeeRule>({ kind: 'any' }),
      fc.tuple(fc.bigInt({ min: 0n, max: 100_000n }), fc.bigInt({ min: 0n, max: 100_000n })).map(([a, b]): FeeRule => ({ kind: 'range', minMinor: String(a < b ? a : b), maxMinor: String(a < b ? b : a) })),
      fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.option(fc.bigInt({ min: 0n, max: 100_000n }), { nil: undefined }))
        .map(([bp, min]): FeeRule => ({ kind: 'percent', maxBasisPoints: bp, ...(min !== undefined ? { minMinor: String(min) } : {}) })),
    );
    fc.assert(fc.property(rule, fc.bigInt({ min: 1n, max: 10n ** 15n }), fc.bigInt({ min: 0n, max: 200_000n }), (r, amount, fee) => {
      const bounds = feeBounds(r, amount);
      const inBounds = fee >= bounds.minMinor && (bounds.maxMinor === null || fee <= bounds.maxMinor);
      expect(inBounds).toBe(feeAllowed(r, amount, fee));
      if (bounds.maxMinor !== null) expect(feeAllowed(r, amount, bounds.maxMinor)).toBe(true);
    }), { numRuns: 500 });
  });
});

describe('editing a service', () => {
  it('a new regexp applies to the agent API at once; a stale version is a conflict; one audit entry with before and after', async () => {
    const { catalog, clock } = h.tolem.ctx;
    const agent = await newAgent(h.db);
    const api = agentApi(h.url, agent.token);
    expect(num((await api('pay', pay('P1011', '7770017711', 1, '100.00'))).body.result)).toBe('0');
    await catalog.all(); // warm: the change must drop the cache
    const before = (await serviceForEdit(h.db, 'P1011'))!;
    const inputs = before.service.inputs.map((input) => ({ ...input, regexp: '^8\\d{9}$' }));
    const after = await setServiceInputs(h.db, catalog, actor, 'P1011', inputs, before.version, clock);
    expect(after.version).not.toBe(before.version);
    expect(after.service.inputs[0]!.regexp).toBe('^8\\d{9}$');
    expect(num((await api('pay', pay('P1011', '7770017711', 2, '100.00'))).body.result)).toBe('4');
    expect(num((await api('pay', pay('P1011', '8770017711', 3, '100.00'))).body.result)).toBe('0');

    // A second operator saving from the page they opened before the first saved: refused, nothing overwritten.
    await expect(setServiceInputs(h.db, catalog, actor, 'P1011', before.service.inputs, before.version, clock)).rejects.toMatchObject({ kind: 'conflict', code: 'version_conflict' });
    await expect(setServiceLimits(h.db, catalog, actor, 'P1011', { minMinor: 1n, maxMinor: 9n }, clock, before.version)).rejects.toMatchObject({ code: 'version_conflict' });
    expect((await serviceForEdit(h.db, 'P1011'))!.service.inputs[0]!.regexp).toBe('^8\\d{9}$');
    // A bad regexp is never stored.
    await expect(setServiceInputs(h.db, catalog, actor, 'P1011', [{ ...inputs[0]!, regexp: '^(a+)+$' }], after.version, clock)).rejects.toMatchObject({ code: 'regexp_unsafe' });
    await expect(setServiceInputs(h.db, catalog, actor, 'NOPE', inputs, after.version, clock)).rejects.toMatchObject({ code: 'service_not_found' });

    const audit = await listAudit(h.db, { targetKind: 'service', targetId: 'P1011' });
    const entries = audit.entries.filter((entry) => entry.action === 'catalog.inputs');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      before: { inputs: [{ name: 'account', regexp: '^\\d{10}$' }], version: before.version },
      after: { inputs: [{ name: 'account', regexp: '^8\\d{9}$' }], version: after.version },
    });
    await setServiceInputs(h.db, catalog, actor, 'P1011', before.service.inputs, after.version, clock); // as it was, for the other tests
    expect((await verifyAuditChain(h.db)).ok).toBe(true);
  });

  it('a new fee rule applies at once: a fee outside it is 255, inside it pays', async () => {
    const { catalog, clock } = h.tolem.ctx;
    const agent = await newAgent(h.db);
    const api = agentApi(h.url, agent.token);
    const start = (await serviceForEdit(h.db, 'P1013'))!;
    expect(start.service.feeRule).toEqual({ kind: 'percent', maxBasisPoints: 500 });
    expect(num((await api('pay', pay('P1013', '7770017711', 11, '100.00', '100.00'))).body.result)).toBe('0');
    const changed = await setServiceFeeRule(h.db, catalog, actor, 'P1013', { kind: 'range', min: '1.00', max: '2.50' }, start.version, clock);
    expect(changed.service.feeRule).toEqual({ kind: 'range', minMinor: '100', maxMinor: '250' });
    expect(num((await api('pay', pay('P1013', '7770017711', 12, '100.00', '100.00'))).body.result)).toBe('255');
    expect(num((await api('pay', pay('P1013', '7770017711', 13, '100.00', '102.51'))).body.result)).toBe('255');
    expect(num((await api('pay', pay('P1013', '7770017711', 14, '100.00', '102.50'))).body.result)).toBe('0');
    await expect(setServiceFeeRule(h.db, catalog, actor, 'P1013', { kind: 'range', min: '3', max: '2' }, changed.version, clock)).rejects.toMatchObject({ code: 'fee_min_above_max' });
    const [entry] = (await listAudit(h.db, { targetKind: 'service', targetId: 'P1013', action: 'catalog.fee_rule' })).entries;
    expect(entry).toMatchObject({ before: { feeRule: { kind: 'percent', maxBasisPoints: 500 } }, after: { feeRule: { kind: 'range', minMinor: '100', maxMinor: '250' } } });
    await setServiceFeeRule(h.db, catalog, actor, 'P1013', feeRuleInput(start.service.feeRule), changed.version, clock);
  });

  it('a route names only an adapter of the registry; the configuration is kept unless given, and never audited', async () => {
    const { catalog, clock } = h.tolem.ctx;
    const start = (await serviceForEdit(h.db, 'P1013'))!;
    await expect(setServiceRoute(h.db, catalog, actor, 'P1013', { provider: 'sandbox-nowhere' }, PROVIDERS, start.version, clock)).rejects.toMatchObject({ code: 'unknown_provider', field: 'provider' });
    await expect(setServiceRoute(h.db, catalog, actor, 'P1013', { provider: 'sandbox-mobile', providerConfig: [] as unknown as Record<string, unknown> }, PROVIDERS, start.version, clock))
      .rejects.toMatchObject({ code: 'bad_provider_config' });
    const moved = await setServiceRoute(h.db, catalog, actor, 'P1013', { provider: 'sandbox-mobile', providerConfig: { code: 'K-7', password: 'route secret' } }, PROVIDERS, start.version, clock);
    expect(moved.service).toMatchObject({ provider: 'sandbox-mobile', providerConfig: { code: 'K-7', password: 'route secret' } });
    expect((await catalog.get('P1013'))?.provider).toBe('sandbox-mobile');
    const back = await setServiceRoute(h.db, catalog, actor, 'P1013', { provider: 'sandbox-mobile-kcell' }, PROVIDERS, moved.version, clock);
    expect(back.service).toMatchObject({ provider: 'sandbox-mobile-kcell', providerConfig: { code: 'K-7' } });
    await setServiceRoute(h.db, catalog, actor, 'P1013', { provider: 'sandbox-mobile-kcell', providerConfig: start.service.providerConfig }, PROVIDERS, back.version, clock);
    const entries = (await listAudit(h.db, { targetKind: 'service', targetId: 'P1013', action: 'catalog.route' })).entries;
    expect(entries.map((entry) => entry.after)).toContainEqual(expect.objectContaining({ provider: 'sandbox-mobile', providerConfigChanged: true }));
    expect(JSON.stringify(entries, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('route secret');
  });
});
