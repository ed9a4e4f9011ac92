import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentApi, eventually, expectLedgerBalanced, newAgent, num, type Harness, startTolem } from '../helpers/harness.ts';
import { LOCAL_ACTOR } from '../../src/engine/sessions.ts';
import { createAgentUser } from '../../src/engine/agent-users.ts';
import { PanelClient } from '../helpers/panel.ts';

/**
 * Provider health (issue 13, item 4): a provider taken down and brought back under load. While it is down its
 * breaker opens: new checks and pays are answered 8 before any money moves, the services answer names its services
 * unavailable, /metrics and the admin API show it open — and no payment accepted while it is down becomes an unknown
 * outcome. Payments accepted before it opened keep being driven (status first) and end final; once the provider
 * answers again a probe closes the breaker and payments flow. Each pay reaches the provider at most once. The breaker
 * probes 8 s after opening: long enough for the open phase's assertions on a loaded machine.
 */
let h: Harness;
let pay: ReturnType<typeof agentApi>;
let nextId = 880_000_000_000_000_000n;

const PROVIDER = 'sandbox-mobile';

beforeAll(async () => {
  h = await startTolem({
    config: { providerCircuits: { windowMs: 20_000, minimumCalls: 4, failurePercent: 50, probeAfterMs: 8_000 } },
    engine: { providerDeadlineMs: 5_000, providerTimeoutMs: 5_000, retryBaseMs: 200, retryMaxMs: 1_000 },
  });
  const agent = await newAgent(h.db, { openingBalanceMinor: 100_000_000n });
  pay = agentApi(h.url, agent.token);
  await createAgentUser(h.db, agent.id, { login: 'cashier', password: 'cabinet password 1' }, h.tolem.ctx.clock);
});

/** What the agent's cabinet home page says of the services' availability. */
async function cabinetHealth(): Promise<string> {
  const cabinet = new PanelClient(h.url, '/cabinet');
  expect((await cabinet.login('cashier', 'cabinet password 1')).status).toBe(303);
  const home = await cabinet.get('/');
  return /<section class="card" id="provider-health"[\s\S]*?<\/section>/.exec(home.text)?.[0] ?? '';
}
afterAll(async () => {
  await faults({ http500Rate: 0, hangAfterCommitRate: 0 });
  await h?.close();
});

async function faults(body: Record<string, number>): Promise<void> {
  const response = await fetch(`${h.url}/sandbox/mobile/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
}

function body(id: bigint): string {
  return `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":100.00,"amountFrom":100.00}`;
}

/** Check then pay, as an agent does; the codes it was answered. */
async function checkAndPay(): Promise<{ id: bigint; check: string; pay?: string }> {
  const id = (nextId += 1n);
  const check = num((await pay('check', body(id))).body.result);
  if (check !== '0') return { id, check };
  return { id, check, pay: num((await pay('pay', body(id))).body.result) };
}

/** A viewer's console session (the health route only reads). */
async function operatorSession(): Promise<string> {
  await h.tolem.ctx.admin.operators.create(LOCAL_ACTOR, { login: 'health-viewer', password: 'health viewer password', role: 'viewer' });
  const response = await fetch(`${h.url}/api/admin/v1/session`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'health-viewer', password: 'health viewer password' }),
  });
  expect(response.status).toBe(200);
  return response.headers.get('set-cookie')!.split(';')[0]!;
}

async function circuitState(): Promise<string | undefined> {
  const metrics = await (await fetch(`${h.url}/metrics`)).text();
  const value = new RegExp(`^tolem_provider_circuit_state\\{provider="${PROVIDER}"\\} (\\d)`, 'm').exec(metrics)?.[1];
  return value === undefined ? undefined : ['closed', 'half_open', 'open'][Number(value)];
}

async function unknownOutcomes(): Promise<number> {
  const rows = await h.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM payments WHERE provider = $1 AND pay_hash IS NOT NULL AND provider_outcome = 'unknown'`, [PROVIDER]);
  return Number(rows.rows[0]!.n);
}

describe('a provider taken down and brought back mid-load', () => {
  it('is paid while up, refused with 8 while down (nothing accepted, nothing unknown), and paid again once back', async () => {
    // The operator's session first: its password hashing must not eat into the open breaker's 8 s.
    const cookie = await operatorSession();
    // Up: a few payments go through, and the breaker has calls to judge by.
    for (let i = 0; i < 3; i++) expect(await checkAndPay()).toMatchObject({ check: '0', pay: '0' });
    expect(await circuitState()).toBe('closed');

    // Down: every call fails (HTTP 500 before the provider does anything). Agents keep sending, four at a time.
    await faults({ http500Rate: 1 });
    const before: { id: bigint; check: string; pay?: string }[] = [];
    await eventually(async () => {
      before.push(...(await Promise.all([checkAndPay(), checkAndPay(), checkAndPay(), checkAndPay()])));
      return (await circuitState()) === 'open' ? true : undefined;
    }, 15_000, 50);

    // Open: new work is refused with 8 before the provider is called; nothing is stored for it.
    const unknownAtOpening = await unknownOutcomes();
    const paymentsAtOpening = Number((await h.db.query<{ n: string }>('SELECT count(*)::text AS n FROM payments')).rows[0]!.n);
    const whileDown = await Promise.all(Array.from({ length: 8 }, () => checkAndPay()));
    for (const answer of whileDown) expect(answer.check).toBe('8');
    const refusedPay = await pay('pay', body((nextId += 1n)));
    expect(num(refusedPay.body.result)).toBe('8');
    expect(String(refusedPay.body.resultMessage)).toMatch(/temporarily unavailable/);
    expect(Number((await h.db.query<{ n: string }>('SELECT count(*)::text AS n FROM payments')).rows[0]!.n)).toBe(paymentsAtOpening);
    expect(await unknownOutcomes()).toBeLessThanOrEqual(unknownAtOpening);

    // The checkout tells the person before any money is held.
    const page = await fetch(`${h.url}/pay/s/P1011`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'account=7770017711' });
    expect(await page.text()).toContain('Поставщик услуги сейчас недоступен');

    // The agent is told which services not to take cash for; the operator sees the circuit.
    const services = await pay('services');
    expect(services.body.unavailableServices).toContain('P1011');
    // The agent's staff see it on the cabinet's home page before they take cash.
    expect(await cabinetHealth()).toContain('data-service="P1011"');
    const health = await fetch(`${h.url}/api/admin/v1/providers/health`, { headers: { cookie } });
    expect(health.status).toBe(200);
    const circuits = (await health.json()) as { providers: { provider: string; state: string; refused: number; unknownRate: number }[] };
    expect(circuits.providers.find((p) => p.provider === PROVIDER)).toMatchObject({ state: 'open' });
    expect(circuits.providers.find((p) => p.provider === PROVIDER)!.refused).toBeGreaterThanOrEqual(9);

    // Back: a probe (a job's status query, or an agent's check) finds it answering and closes the breaker.
    await faults({ http500Rate: 0 });
    await eventually(async () => ((await checkAndPay()).pay === '0' ? true : undefined), 30_000, 200);
    expect(await circuitState()).toBe('closed');
    expect((await pay('services')).body.unavailableServices).toBeUndefined();
    expect(await cabinetHealth()).toContain('id="all-services-available"');

    // Every payment accepted before the breaker opened ends final; none was paid twice; the ledger balances.
    await eventually(async () => {
      const open = await h.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM payments WHERE state IN ('accepted', 'waiting')`);
      return open.rows[0]!.n === '0' ? true : undefined;
    }, 20_000, 200);
    const provider = (await (await fetch(`${h.url}/sandbox/mobile/payments`)).json()) as { reference: string }[];
    const seen = new Map<string, number>();
    for (const record of provider) seen.set(record.reference, (seen.get(record.reference) ?? 0) + 1);
    expect(seen.size).toBeGreaterThanOrEqual(4);
    expect([...seen.entries()].filter(([, n]) => n > 1)).toEqual([]);
    await expectLedgerBalanced(h.db);
  });
});
