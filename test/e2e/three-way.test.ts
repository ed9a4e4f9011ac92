/**
 * Three-way reconciliation (issue 13, items 2 and 5) on a real store, over real HTTP: an agent's payments to the sandbox
 * mobile operator on a fixed day, with a planted mismatch of every class across the three books — the agent's
 * registry, the hub's payments, the provider's registry. Each is found with its proposed action; each action is
 * carried out (the money ones proposed by one operator and approved by another; the others by the party who keeps the
 * wrong book: the agent uploads a corrected registry, sends a pay again, the provider corrects its list), and the day
 * reconciled again is clean. The ledger balances throughout.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAmount } from '../../src/domain/money.ts';
import { LOCAL_ACTOR, type Actor } from '../../src/engine/sessions.ts';
import { listAudit } from '../../src/engine/audit.ts';
import { storeAgentRegistry } from '../../src/engine/agent-registries.ts';
import type { ThreeWayItem } from '../../src/engine/three-way-services.ts';
import type { RegistryRow } from '../../src/sandbox/providers/simulator.ts';
import { agentApi, clockAt, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

const DAY = '2026-11-20';
let h: Harness;
let agent: { id: bigint; token: string };
let api: ReturnType<typeof agentApi>;
let maker: Actor;
let checker: Actor;

const simulator = () => h.tolem.ctx.sandbox!.simulators.get('mobile')!;
const admin = () => h.tolem.ctx.admin;

const payBody = (txn: number, amount = '200.00', account = '7770017711') =>
  `{"serviceId":"P1011","account":"${account}","agentTransactionId":${txn},"agentTransactionDate":"${DAY}T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;

async function pay(txn: number, amount?: string): Promise<bigint> {
  const answer = await api('pay', payBody(txn, amount));
  return BigInt(num(answer.body.transactionId));
}

async function operatorActor(login: string): Promise<Actor> {
  const created = await admin().operators.create(LOCAL_ACTOR, { login, password: `${login} password`, role: 'operator' });
  return { principal: { kind: 'operator', id: created.id, login: created.login, role: created.role }, ip: '10.0.0.9' };
}

interface AgentLine { txn: number; amount: string; state?: string }

/** The agent hands in its registry of the day (CSV, as its own books list the payments) and answers its id. */
async function agentRegistry(lines: AgentLine[]): Promise<bigint> {
  const csv = ['agentTransactionId,serviceId,amount,currency,state', ...lines.map((line) => `${line.txn},P1011,${line.amount},KZT,${line.state ?? 'succeeded'}`)].join('\r\n');
  const stored = await storeAgentRegistry(h.db, { agentId: agent.id, day: DAY, source: 'admin_api', uploadedBy: 'test', body: Readable.from([csv]) }, h.tolem.ctx.clock);
  expect(stored.lineCount).toBe(lines.length);
  return stored.id;
}

const run = () => admin().threeWay.run(maker, { day: DAY, provider: 'sandbox-mobile', agentId: agent.id });

/** The provider's own registry of the day (what it holds as paid), edited. */
function providerRegistry(edit: (rows: RegistryRow[]) => RegistryRow[]): void {
  simulator().generateRegistry(DAY, undefined);
  const held = [...(simulator().registry(DAY) as Iterable<RegistryRow>)];
  simulator().generateRegistry(DAY, () => edit(held.map((row) => ({ ...row }))));
}

const byPayment = (items: ThreeWayItem[], paymentId: bigint) => items.find((item) => item.paymentId === paymentId);

const STORIES = ['matched', 'missingAtAgent', 'missingAtProvider', 'refundInstead', 'providerAmount', 'agentAmount', 'duplicateAtProvider',
  'duplicateAtAgent', 'agentSaysFailed', 'providerHasIt'] as const;
type Story = (typeof STORIES)[number];
/** The payments of the day by their part in the story. */
const p = {} as Record<Story, bigint>;

beforeAll(async () => {
  h = await startTolem({ jobs: false, clock: clockAt(`${DAY}T10:00:00+05:00`) });
  agent = await newAgent(h.db, { openingBalanceMinor: 1_000_000n });
  api = agentApi(h.url, agent.token);
  maker = await operatorActor('anna');
  checker = await operatorActor('boris');
  p.matched = await pay(1);
  p.missingAtAgent = await pay(2);
  p.missingAtProvider = await pay(3);
  p.refundInstead = await pay(4);
  p.providerAmount = await pay(5);
  p.agentAmount = await pay(6);
  p.duplicateAtProvider = await pay(7);
  p.duplicateAtAgent = await pay(8);
  p.agentSaysFailed = await pay(9);
  // The provider commits this one, then answers HTTP 500: the hub does not know the outcome (accepted, no jobs here).
  simulator().setFaults({ http500AfterCommitRate: 1 });
  p.providerHasIt = await pay(10);
  simulator().setFaults({ http500AfterCommitRate: 0 });
  simulator().forget(p.missingAtProvider.toString());
  simulator().forget(p.refundInstead.toString());
});
afterAll(async () => h?.close());

describe('a day with a planted mismatch of every class', () => {
  let first: Awaited<ReturnType<typeof run>>;
  const agentBook: AgentLine[] = [
    { txn: 1, amount: '200.00' }, { txn: 3, amount: '200.00' }, { txn: 4, amount: '200.00' }, { txn: 5, amount: '200.00' },
    { txn: 6, amount: '210.00' }, { txn: 7, amount: '200.00' }, { txn: 8, amount: '200.00' }, { txn: 8, amount: '200.00' },
    { txn: 9, amount: '200.00', state: 'failed' }, { txn: 10, amount: '200.00' }, { txn: 9001, amount: '300.00' },
  ];

  it('finds each, with its proposed action and money effect', async () => {
    expect((await h.tolem.ctx.engine.get(p.providerHasIt))!.state).toBe('accepted');
    await agentRegistry(agentBook);
    providerRegistry((rows) => [
      ...rows.map((row) => (row.reference === p.providerAmount.toString() ? { ...row, amount: '200.01' } : row)),
      rows.find((row) => row.reference === p.duplicateAtProvider.toString())!,
      { reference: '999999999', providerRef: 'X-1', amount: '50.00', account: '7770017711', paidAt: `${DAY}T06:00:00.000Z` },
    ]);
    first = await run();
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('mismatches');
    expect(first.counts).toEqual({
      matched: 1, missing_at_agent: 1, missing_at_hub: 1, missing_at_provider: 2, amount_mismatch: 2, status_mismatch: 2,
      duplicate_at_provider: 1, duplicate_at_agent: 1,
    });
    const expected: [Story, string, string][] = [
      ['missingAtAgent', 'missing_at_agent', 'none'], ['missingAtProvider', 'missing_at_provider', 'pay_provider'],
      ['providerAmount', 'amount_mismatch', 'reverse_at_provider'], ['agentAmount', 'amount_mismatch', 'none'],
      ['duplicateAtProvider', 'duplicate_at_provider', 'none'], ['duplicateAtAgent', 'duplicate_at_agent', 'none'],
      ['agentSaysFailed', 'status_mismatch', 'none'], ['providerHasIt', 'status_mismatch', 'mark_paid'],
    ];
    for (const [story, cls, action] of expected) expect(byPayment(first.items, p[story]), story).toMatchObject({ class: cls, action });
    expect(byPayment(first.items, p.missingAtProvider)!.alternatives).toContain('refund_agent');
    expect(byPayment(first.items, p.providerHasIt)!.moneyEffect).toBe('ledger: agent −200.00 KZT, provider account +200.00 KZT');
    expect(byPayment(first.items, p.providerAmount)!.moneyEffect).toBe('ledger: agent +200.00 KZT, provider account −200.00 KZT');
    expect(first.agentCount).toBe(agentBook.length);
    expect(first.hubCount).toBe(9);
  });

  it('counts the lines naming no payment of the hub in the run without an agent', async () => {
    const everyone = await admin().threeWay.run(maker, { day: DAY, provider: 'sandbox-mobile' });
    const unknown = everyone.items.find((item) => item.reference === '999999999')!;
    expect(unknown).toMatchObject({ class: 'missing_at_hub', action: 'none', paymentId: null, providerListings: 1 });
    expect(unknown.explanation).toContain('no payment of the hub');
    // An agent line the hub never saw is the agent-scoped run's (the provider cannot know whose it is).
    const agentRun = await run();
    expect(agentRun.counts.missing_at_hub).toBe(1);
    expect(agentRun.items.find((item) => item.class === 'missing_at_hub')).toMatchObject({ agentTxnId: 9001n, paymentId: null });
  });

  it('carries every action out, maker-checker where money moves, and the day reconciles clean', async () => {
    const last = await run();
    const item = (id: bigint) => byPayment(last.items, id)!;
    const approve = async (paymentId: bigint, action: 'pay_provider' | 'reverse_at_provider' | 'refund_agent' | 'mark_paid') => {
      const proposal = await admin().threeWay.propose(maker, item(paymentId).id, { action, note: `three-way: ${action}` });
      await expect(admin().proposals.approve(maker, proposal.id)).rejects.toMatchObject({ code: 'same_operator' });
      await admin().proposals.approve(checker, proposal.id);
    };
    await approve(p.missingAtProvider, 'pay_provider');
    await approve(p.refundInstead, 'refund_agent');
    await approve(p.providerAmount, 'reverse_at_provider');
    await approve(p.providerHasIt, 'mark_paid');
    expect((await h.tolem.ctx.engine.get(p.providerHasIt))!.state).toBe('succeeded');
    expect((await h.tolem.ctx.engine.get(p.refundInstead))!.state).toBe('cancelled');
    expect((await h.tolem.ctx.engine.get(p.providerAmount))!.state).toBe('cancelled');
    for (const story of ['missingAtAgent', 'agentAmount', 'duplicateAtProvider', 'duplicateAtAgent', 'agentSaysFailed'] as const) {
      await admin().threeWay.acknowledge(maker, item(p[story]).id, `told the party that keeps the book: ${story}`);
    }
    await expect(admin().threeWay.acknowledge(maker, item(p.missingAtAgent).id, 'again')).rejects.toMatchObject({ code: 'already_resolved' });
    // The parties correct their books: the provider its list, the agent its registry (and it sends its lost pay again).
    simulator().generateRegistry(DAY, undefined);
    expect(num((await api('pay', payBody(9001, '300.00'))).body.result)).toBe('0');
    await agentRegistry([
      { txn: 1, amount: '200.00' }, { txn: 2, amount: '200.00' }, { txn: 3, amount: '200.00' }, { txn: 6, amount: '200.00' },
      { txn: 7, amount: '200.00' }, { txn: 8, amount: '200.00' }, { txn: 9, amount: '200.00' }, { txn: 10, amount: '200.00' }, { txn: 9001, amount: '300.00' },
    ]);
    const again = await run();
    expect(again.counts).toMatchObject({ matched: 9 });
    expect(again.status).toBe('clean');
    await expectLedgerBalanced(h.db);
  });

  it('refuses a scope it cannot run: a bad day, an unknown provider or agent, another day\'s registry', async () => {
    const threeWay = admin().threeWay;
    await expect(threeWay.run(maker, { day: '2026-02-30' })).rejects.toMatchObject({ code: 'bad_day' });
    await expect(threeWay.run(maker, { day: DAY, provider: 'no-such-provider' })).rejects.toMatchObject({ code: 'no_reconciliation' });
    await expect(threeWay.run(maker, { day: DAY, agentId: 987_654_321n })).rejects.toMatchObject({ code: 'agent_not_found' });
    const registry = (await admin().agentRegistries.latest(agent.id, DAY))!;
    await expect(threeWay.run(maker, { day: '2026-11-21', agentRegistryId: registry.id })).rejects.toMatchObject({ code: 'registry_mismatch' });
    await expect(threeWay.run(maker, { day: DAY, agentRegistryId: 987_654_321n })).rejects.toMatchObject({ code: 'registry_not_found' });
    // Named alone, the registry says whose it is.
    expect((await threeWay.run(maker, { day: DAY, provider: 'sandbox-mobile', agentRegistryId: registry.id })).agentId).toBe(agent.id);
  });

  it('records every proposal, approval and acknowledgement in the audit log', async () => {
    const actions = (await listAudit(h.db, {}, { limit: 200 })).entries.map((entry) => entry.action);
    expect(actions.filter((action) => action === 'proposals.propose').length).toBeGreaterThanOrEqual(4);
    expect(actions.filter((action) => action === 'proposals.approve').length).toBeGreaterThanOrEqual(4);
    expect(actions.filter((action) => action === 'reconciliation.acknowledge')).toHaveLength(5);
    expect(actions).toContain('reconciliation.run');
    expect(formatAmount(200_00n)).toBe('200.00');
  });
});
