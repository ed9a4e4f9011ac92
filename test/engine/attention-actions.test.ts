import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentFunds, findAgent } from '../../src/engine/agents.ts';
import { LOCAL_ACTOR, type Actor } from '../../src/engine/sessions.ts';
import { actionRefusal } from '../../src/engine/attention-actions.ts';
import { listAudit } from '../../src/engine/audit.ts';
import { agentApi, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

/**
 * The attention list's actions on a real store: retry drives again; mark_paid, reverse and refund are proposals one
 * operator makes and another approves, executed once; an action that does not fit the payment is refused with why.
 */
let h: Harness;
let agent: { id: bigint; token: string };
let api: ReturnType<typeof agentApi>;
let maker: Actor;
let checker: Actor;
let nextTxn = 1;

const body = (id: number, account = '7770017711', amount = '200.00') =>
  `{"serviceId":"P1011","account":"${account}","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;

const simulator = () => h.tolem.ctx.sandbox!.simulators.get('mobile')!;
const admin = () => h.tolem.ctx.admin;

async function available(agentId = agent.id): Promise<bigint> {
  return (await agentFunds(h.db, (await findAgent(h.db, agentId))!)).availableMinor;
}

async function operatorActor(login: string): Promise<Actor> {
  const created = await admin().operators.create(LOCAL_ACTOR, { login, password: `${login} password`, role: 'operator' });
  return { principal: { kind: 'operator', id: created.id, login: created.login, role: created.role }, ip: '10.0.0.9' };
}

/** A payment in the given situation with an attention item about it; returns both ids. */
async function itemFor(kind: 'accepted' | 'succeeded' | 'failed' | 'waiting'): Promise<{ paymentId: bigint; itemId: bigint }> {
  const id = nextTxn++;
  let answer;
  if (kind === 'accepted') {
    simulator().setFaults({ http500Rate: 1 });
    answer = await api('pay', body(id));
    simulator().setFaults({ http500Rate: 0 });
    expect(num(answer.body.result)).toBe('1');
  } else if (kind === 'waiting') {
    const poor = await newAgent(h.db, { openingBalanceMinor: 100_00n });
    answer = await agentApi(h.url, poor.token)('pay', body(id, '7770017711', '150.00'));
    expect(num(answer.body.result)).toBe('220');
  } else {
    answer = await api('pay', body(id, kind === 'failed' ? '7770000009' : '7770017711'));
    if (kind === 'succeeded') expect(num(answer.body.result)).toBe('0');
    else expect((await h.tolem.ctx.engine.get(BigInt(num(answer.body.transactionId))))!.paidAt).not.toBeNull();
  }
  const paymentId = BigInt(num(answer.body.transactionId));
  await h.db.tx((q) => h.tolem.ctx.engine.raiseAttention(q, paymentId, `test_${kind}`, `a ${kind} payment for an operator`, {}));
  const item = (await admin().attention.list()).find((candidate) => candidate.paymentId === paymentId)!;
  return { paymentId, itemId: item.id };
}

async function paymentState(paymentId: bigint) {
  return (await h.tolem.ctx.engine.get(paymentId))!;
}

beforeAll(async () => {
  h = await startTolem({ jobs: false });
  agent = await newAgent(h.db, { openingBalanceMinor: 1_000_000n });
  api = agentApi(h.url, agent.token);
  maker = await operatorActor('anna');
  checker = await operatorActor('boris');
});
afterEach(async () => expectLedgerBalanced(h.db));
afterAll(async () => h?.close());

describe('the actions that fit', () => {
  it('each item lists the actions of its payment\'s state', async () => {
    const accepted = await itemFor('accepted');
    const succeeded = await itemFor('succeeded');
    const items = await admin().attention.list();
    expect(items.find((i) => i.id === accepted.itemId)!.actions).toEqual(['retry', 'mark_paid', 'refund', 'close']);
    expect(items.find((i) => i.id === succeeded.itemId)!.actions).toEqual(['reverse', 'refund', 'close']);
  });

  it('a wallet refund of the checkout is closed with the wallet\'s reference: its protocol has no refund call', () => {
    const item = {
      id: 1n, paymentId: 7n, kind: 'refund', reason: 'refund 100.00 KGS to the payer\'s wallet', details: {}, createdAt: new Date(0),
      resolvedAt: null, resolution: null,
      payment: { state: 'failed', code: 5, serviceId: 'K1001', account: '1', amountMinor: 10_000n, agentId: 2n, agentTxnId: 7n, paidAt: new Date(0), providerRef: null },
    };
    expect(actionRefusal(item, 'refund', false)).toMatch(/merchant cabinet.*close this item/);
    expect(actionRefusal(item, 'close', false)).toBeNull();
  });
});

describe('retry', () => {
  it('drives an unresolved payment again now, audited; refused for a payment that is final', async () => {
    const { paymentId, itemId } = await itemFor('accepted');
    const before = await available();
    await admin().attention.retry(maker, itemId);
    // Without the job queue the drive is only made due; the sweep finds it at once.
    const due = await h.db.query<{ due: boolean }>('SELECT next_attempt_at <= now() AS due FROM payments WHERE id = $1', [paymentId]);
    expect(due.rows[0]!.due).toBe(true);
    await h.tolem.ctx.engine.drive(paymentId);
    expect((await paymentState(paymentId)).state).toBe('succeeded');
    expect(await available()).toBe(before);
    const audit = await listAudit(h.db, { action: 'attention.retry' });
    expect(audit.entries.filter((entry) => entry.targetId === itemId.toString())).toHaveLength(1);

    const done = await itemFor('succeeded');
    await expect(admin().attention.retry(maker, done.itemId)).rejects.toMatchObject({ kind: 'conflict', code: 'action_not_fitting', message: expect.stringContaining('succeeded') });
  });
});

describe('mark_paid', () => {
  it('an accepted payment: the reservation is posted with the provider\'s reference, once, by a second operator', async () => {
    const { paymentId, itemId } = await itemFor('accepted');
    const reserved = await available();
    const proposal = await admin().attention.propose(maker, itemId, { action: 'mark_paid', providerRef: 'MOB-77-1', note: 'the provider confirmed by phone' });
    expect(proposal).toMatchObject({ kind: 'mark_paid', state: 'proposed', paymentId, attentionId: itemId, providerRef: 'MOB-77-1', amountMinor: 20_000n });
    expect((await paymentState(paymentId)).state).toBe('accepted');
    await expect(admin().proposals.approve(maker, proposal.id)).rejects.toMatchObject({ kind: 'forbidden', code: 'same_operator' });

    const results = await Promise.allSettled([admin().proposals.approve(checker, proposal.id), admin().proposals.approve(checker, proposal.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { kind: 'conflict' } });
    const payment = await paymentState(paymentId);
    expect(payment).toMatchObject({ state: 'succeeded', code: 0, providerRef: 'MOB-77-1' });
    expect(await available()).toBe(reserved);
    const approvals = (await listAudit(h.db, { action: 'proposals.approve' })).entries.filter((entry) => entry.targetId === proposal.id.toString());
    expect(approvals).toHaveLength(1);
    const item = (await admin().attention.list(true)).find((i) => i.id === itemId)!;
    expect(item.resolution).toContain('mark_paid (MOB-77-1) proposed by anna, approved by boris');
  });

  it('a payment refused after it was accepted: a new transfer agent → provider', async () => {
    const { paymentId, itemId } = await itemFor('failed');
    expect((await paymentState(paymentId)).state).toBe('failed');
    const before = await available();
    const proposal = await admin().attention.propose(maker, itemId, { action: 'mark_paid', providerRef: 'MANUAL-5', note: 'paid at the provider\'s desk' });
    const { proposal: approved } = await admin().proposals.approve(checker, proposal.id);
    expect(approved.transferId).not.toBeNull();
    expect(await paymentState(paymentId)).toMatchObject({ state: 'succeeded', providerRef: 'MANUAL-5' });
    expect(await available()).toBe(before - 20_000n);
  });

  it('needs the provider\'s reference; one open proposal a payment; a reject leaves the payment as it was', async () => {
    const { paymentId, itemId } = await itemFor('accepted');
    await expect(admin().attention.propose(maker, itemId, { action: 'mark_paid', note: 'x' })).rejects.toMatchObject({ kind: 'invalid', code: 'no_provider_ref' });
    const first = await admin().attention.propose(maker, itemId, { action: 'refund', note: 'the customer gave up' });
    await expect(admin().attention.propose(checker, itemId, { action: 'mark_paid', providerRef: 'R', note: 'y' })).rejects.toMatchObject({ kind: 'conflict', code: 'open_proposal' });
    await admin().proposals.reject(checker, first.id, 'not yet');
    expect((await paymentState(paymentId)).state).toBe('accepted');
    await h.tolem.ctx.engine.drive(paymentId);
  });
});

describe('refund', () => {
  it('an accepted payment: its reservation is voided and it fails; a failed one is refused (the agent has its money)', async () => {
    const { paymentId, itemId } = await itemFor('accepted');
    const reserved = await available();
    const proposal = await admin().attention.propose(maker, itemId, { action: 'refund', note: 'the provider never received it' });
    await admin().proposals.approve(checker, proposal.id);
    expect(await paymentState(paymentId)).toMatchObject({ state: 'failed', code: 300 });
    expect(await available()).toBe(reserved + 20_000n);
    const item = (await admin().attention.list(true)).find((i) => i.id === itemId)!;
    expect(item.resolution).toContain('refund proposed by anna');

    const failed = await itemFor('failed');
    await expect(admin().attention.propose(maker, failed.itemId, { action: 'refund', note: 'x' }))
      .rejects.toMatchObject({ kind: 'conflict', code: 'action_not_fitting', message: expect.stringContaining('already has the money') });
  });

  it('a succeeded payment the provider does not have: provider → agent, cancelled', async () => {
    const { paymentId, itemId } = await itemFor('succeeded');
    const before = await available();
    const proposal = await admin().attention.propose(maker, itemId, { action: 'refund', note: 'reconciliation: missing at the provider' });
    const { proposal: approved } = await admin().proposals.approve(checker, proposal.id);
    expect(approved.transferId).not.toBeNull();
    expect((await paymentState(paymentId)).state).toBe('cancelled');
    expect(await available()).toBe(before + 20_000n);
  });

  it('a payment waiting for funds is closed, nothing moves', async () => {
    const { paymentId, itemId } = await itemFor('waiting');
    const payment = await paymentState(paymentId);
    const before = await available(payment.agentId);
    const proposal = await admin().attention.propose(maker, itemId, { action: 'refund', note: 'the agent withdrew it' });
    await admin().proposals.approve(checker, proposal.id);
    expect((await paymentState(paymentId)).state).toBe('failed');
    expect(await available(payment.agentId)).toBe(before);
  });
});

describe('reverse', () => {
  it('a succeeded payment is cancelled at the provider and the money goes back once', async () => {
    const { paymentId, itemId } = await itemFor('succeeded');
    const before = await available();
    const proposal = await admin().attention.propose(maker, itemId, { action: 'reverse', note: 'paid to the wrong account' });
    const results = await Promise.allSettled([admin().proposals.approve(checker, proposal.id), admin().proposals.approve(checker, proposal.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await paymentState(paymentId)).state).toBe('cancelled');
    expect(await available()).toBe(before + 20_000n);
    expect(simulator().committed().filter((p) => p.reference === paymentId.toString() && p.status === 'cancelled')).toHaveLength(1);
    expect((await listAudit(h.db, { action: 'proposals.approve' })).entries.filter((e) => e.targetId === proposal.id.toString())).toHaveLength(1);
  });

  it('the provider refuses: the proposal fails with its reason, the payment and the money stay', async () => {
    // Marked paid by hand: the provider itself never had it, so it cannot cancel it.
    const { paymentId, itemId } = await itemFor('failed');
    const marked = await admin().attention.propose(maker, itemId, { action: 'mark_paid', providerRef: 'DESK-1', note: 'desk' });
    await admin().proposals.approve(checker, marked.id);
    await h.db.tx((q) => h.tolem.ctx.engine.raiseAttention(q, paymentId, 'test_reverse', 'reverse it', {}));
    const again = (await admin().attention.list()).find((i) => i.paymentId === paymentId)!;
    expect(again.actions).toContain('reverse');
    const before = await available();
    const proposal = await admin().attention.propose(maker, again.id, { action: 'reverse', note: 'wrong account' });
    await expect(admin().proposals.approve(checker, proposal.id)).rejects.toMatchObject({ kind: 'conflict', code: 'provider_refused' });
    expect((await admin().proposals.find(proposal.id))!.state).toBe('failed');
    expect((await paymentState(paymentId)).state).toBe('succeeded');
    expect(await available()).toBe(before);
  });

  it('refused for a payment that is not succeeded', async () => {
    const { itemId } = await itemFor('accepted');
    await expect(admin().attention.propose(maker, itemId, { action: 'reverse', note: 'x' }))
      .rejects.toMatchObject({ kind: 'conflict', code: 'action_not_fitting', message: expect.stringContaining('only a succeeded payment') });
  });
});

describe('refusals', () => {
  it('a resolved item takes no action; an unknown item is not found', async () => {
    const { itemId } = await itemFor('succeeded');
    await admin().attention.resolve(maker, itemId, 'nothing to do');
    await expect(admin().attention.propose(maker, itemId, { action: 'refund', note: 'x' })).rejects.toMatchObject({ kind: 'conflict', code: 'already_resolved' });
    await expect(admin().attention.retry(maker, itemId)).rejects.toMatchObject({ kind: 'conflict' });
    await expect(admin().attention.propose(maker, 999_999n, { action: 'refund', note: 'x' })).rejects.toMatchObject({ kind: 'not_found' });
  });
});
