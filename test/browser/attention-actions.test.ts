/**
 * The attention list's money actions in Debian's chromium (playwright-core), laptop-sized: an operator proposes
 * "mark paid" with the provider's reference for a payment whose outcome is unknown, cannot approve it herself, a
 * second operator approves it on the approvals page; the payment is succeeded with the reference on its timeline, the
 * item is resolved, and the ledger balances.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage, consoleLogIn, mobileTopUp, SHOTS } from '../helpers/browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftedClock } from '../../src/domain/clock.ts';
import { agentFunds, findAgent } from '../../src/engine/agents.ts';
import { createOperator } from '../../src/engine/operators.ts';
import { agentApi, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

const PASSWORD = 'console password 1';
let h: Harness;
let browser: Browser;
let agent: { id: bigint; token: string };
const cspErrors: string[] = [];

beforeAll(async () => {
  const clock = new ShiftedClock();
  // No job queue: the payment whose outcome is unknown stays with the provider until an operator acts.
  h = await startTolem({ clock, jobs: false });
  for (const login of ['olga', 'ivan']) await createOperator(h.db, { login, password: PASSWORD, role: 'operator' }, clock);
  agent = await newAgent(h.db, { name: 'Kaspi terminals', openingBalanceMinor: 1_000_000n });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const laptop = (): Promise<Page> => openPage(browser, cspErrors);

const logIn = (page: Page, login: string) => consoleLogIn(page, h.url, login, PASSWORD);

const body = mobileTopUp;

describe('attention actions in the browser', () => {
  it('mark paid: proposed by one operator, approved by another; the payment succeeds with the reference', async () => {
    const simulator = h.tolem.ctx.sandbox!.simulators.get('mobile')!;
    simulator.setFaults({ http500Rate: 1 });
    const paid = await agentApi(h.url, agent.token)('pay', body(1, '300.00'));
    simulator.setFaults({ http500Rate: 0 });
    expect(num(paid.body.result)).toBe('1');
    const paymentId = num(paid.body.transactionId);
    await h.db.tx((q) => h.tolem.ctx.engine.raiseAttention(q, BigInt(paymentId), 'unresolved', 'Unresolved after 1 attempts: HTTP 500', { outcome: 'unknown' }));
    const reserved = (await agentFunds(h.db, (await findAgent(h.db, agent.id))!)).availableMinor;

    const olga = await laptop();
    await logIn(olga, 'olga');
    await olga.click('#nav-attention');
    const item = olga.locator('section[data-item]').filter({ hasText: paymentId });
    const itemId = (await item.getAttribute('data-item'))!;
    expect(await item.locator('[data-actions]').getAttribute('data-actions')).toBe('retry mark_paid refund close');
    expect(await olga.locator(`#reverse-${itemId}`).count()).toBe(0); // not succeeded: nothing to reverse
    await olga.fill(`#ref-${itemId}`, 'MOB-2026-4711');
    await olga.fill(`#mp-note-${itemId}`, 'the provider confirmed it by phone');
    await olga.screenshot({ path: `${SHOTS}console-12-attention-actions.png` });
    await olga.click(`#mark-paid-${itemId} button`);
    await olga.waitForSelector('#flash');
    expect(await olga.textContent('#flash')).toContain('другой оператор');

    await olga.goto(`${h.url}/console/approvals`);
    const row = olga.locator('#open-proposals tr[data-proposal]').filter({ hasText: 'MOB-2026-4711' });
    const proposalId = (await row.getAttribute('data-proposal'))!;
    expect(await row.textContent()).toContain(paymentId);
    await olga.click(`#approve-${proposalId}`);
    await olga.waitForSelector('#flash');
    expect(await olga.textContent('#flash')).toContain('Нельзя утвердить собственное');
    expect((await h.tolem.ctx.engine.get(BigInt(paymentId)))!.state).toBe('accepted');

    const ivan = await laptop();
    await logIn(ivan, 'ivan');
    await ivan.goto(`${h.url}/console/approvals`);
    await ivan.click(`#approve-${proposalId}`);
    await ivan.waitForSelector('#flash');
    expect(await ivan.textContent('#flash')).toContain('Утверждено');
    expect(await ivan.getAttribute(`#decided-proposals tr[data-proposal="${proposalId}"]`, 'data-state')).toBe('approved');

    await ivan.goto(`${h.url}/console/payments/${paymentId}`);
    await ivan.waitForSelector('#timeline');
    expect(await ivan.textContent('[data-field="state"]')).toBe('succeeded');
    expect(await ivan.textContent('#timeline')).toContain('MOB-2026-4711');
    await ivan.goto(`${h.url}/console/attention?resolved=1`);
    expect(await ivan.textContent(`section[data-item="${itemId}"]`)).toContain('approved by ivan');

    // The reservation was posted, not taken twice; the provider's clearing account holds it; everything balances.
    expect((await agentFunds(h.db, (await findAgent(h.db, agent.id))!)).availableMinor).toBe(reserved);
    await expectLedgerBalanced(h.db);
    expect(cspErrors).toEqual([]);
  }, 90_000);
});
