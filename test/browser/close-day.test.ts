/**
 * Issue 13's "done when", in Debian's chromium against a full Tolem: an operator closes a business day from the console.
 * The three-way reconciliation runs from the reconciliation page (a tracked task, then its result); every difference
 * shows its proposed action, money effect and explanation; one operator proposes the money actions and another approves
 * them on the approvals page; an item that moves no money is acknowledged; the agent's corrected registry and a second
 * run make the day clean; once the day is over, one operator makes the money proof and another signs it.
 */
import { Readable } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAgentRegistry } from '../../src/engine/agent-registries.ts';
import { createOperator } from '../../src/engine/operators.ts';
import { consoleLogIn, launchChromium, openPage, shot } from '../helpers/browser.ts';
import { agentApi, clockAt, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

const DAY = '2026-11-25';
const PASSWORD = 'console password 1';
let h: Harness;
let browser: Browser;
let agent: { id: bigint; token: string };
const clock = clockAt(`${DAY}T10:00:00+05:00`);
const cspErrors: string[] = [];
const paid: Record<'matched' | 'lost' | 'unlisted' | 'unknown', bigint> = { matched: 0n, lost: 0n, unlisted: 0n, unknown: 0n };

const simulator = () => h.tolem.ctx.sandbox!.simulators.get('mobile')!;
const body = (txn: number) =>
  `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${txn},"agentTransactionDate":"${DAY}T10:00:00","amountTo":120.00,"amountFrom":120.00}`;
const pay = async (txn: number) => BigInt(num((await agentApi(h.url, agent.token)('pay', body(txn))).body.transactionId));

async function agentHandsIn(txns: number[]): Promise<void> {
  const csv = ['agentTransactionId,amount', ...txns.map((txn) => `${txn},120.00`)].join('\n');
  await storeAgentRegistry(h.db, { agentId: agent.id, day: DAY, source: 'admin_api', uploadedBy: 'test', body: Readable.from([csv]) }, clock);
}

beforeAll(async () => {
  h = await startTolem({ clock, jobs: false });
  for (const login of ['olga', 'ivan']) await createOperator(h.db, { login, password: PASSWORD, role: 'operator' }, clock);
  agent = await newAgent(h.db, { name: 'Halyk terminals', openingBalanceMinor: 1_000_000n });
  paid.matched = await pay(1);
  paid.lost = await pay(2);
  paid.unlisted = await pay(3);
  simulator().setFaults({ http500AfterCommitRate: 1 });
  paid.unknown = await pay(4);
  simulator().setFaults({ http500AfterCommitRate: 0 });
  simulator().forget(paid.lost.toString());
  await agentHandsIn([1, 2, 4]);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const laptop = (): Promise<Page> => openPage(browser, cspErrors);
const row = (page: Page, paymentId: bigint) => page.locator(`#items tr[data-payment="${paymentId}"]`);

async function runThreeWay(page: Page): Promise<void> {
  await page.goto(`${h.url}/console/reconciliation`);
  await page.selectOption('#tw-provider', 'sandbox-mobile');
  await page.fill('#tw-day', DAY);
  await page.fill('#tw-agent', agent.id.toString());
  await page.click('#run-three-way');
  await page.waitForURL(/\/console\/reconciliation\/runs\/\d+$/);
}

const count = (page: Page, cls: string) => page.textContent(`#classes li[data-class="${cls}"] strong`);

describe('closing a business day in the console', () => {
  it('runs the three-way reconciliation, carries the actions out with maker-checker, and signs the money proof', { timeout: 120_000 }, async () => {
    const olga = await laptop();
    await consoleLogIn(olga, h.url, 'olga', PASSWORD);
    await runThreeWay(olga);
    expect(await count(olga, 'missing_at_provider')).toBe('1');
    expect(await count(olga, 'missing_at_agent')).toBe('1');
    expect(await count(olga, 'status_mismatch')).toBe('1');
    expect(await row(olga, paid.lost).getAttribute('data-action')).toBe('pay_provider');
    expect(await row(olga, paid.unknown).getAttribute('data-action')).toBe('mark_paid');
    expect(await row(olga, paid.unlisted).getAttribute('data-action')).toBe('none');
    expect(await row(olga, paid.unknown).locator('[data-field="money-effect"]').textContent()).toContain('агент −120.00 KZT');
    expect(await row(olga, paid.unlisted).locator('[data-field="explanation"]').textContent()).toContain('в реестре агента его нет');
    await shot(olga, 'console-15-three-way');

    for (const id of [paid.lost, paid.unknown]) {
      await row(olga, id).locator('.propose-form input[name="note"]').fill('three-way close of the day');
      await row(olga, id).locator('.propose-form button').click();
      await olga.waitForSelector('#flash');
      expect(await olga.textContent('#flash')).toContain('другой оператор');
    }
    await row(olga, paid.unlisted).locator('.acknowledge-form input[name="note"]').fill('receipt sent to the bank; it adds the payment');
    await row(olga, paid.unlisted).locator('.acknowledge-form button').click();
    await olga.waitForSelector('#flash');
    expect(await row(olga, paid.unlisted).locator('[data-field="acknowledged"]').textContent()).toContain('olga');

    const ivan = await laptop();
    await consoleLogIn(ivan, h.url, 'ivan', PASSWORD);
    await ivan.goto(`${h.url}/console/approvals`);
    const open = await ivan.locator('#open-proposals tr[data-proposal]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-proposal')));
    expect(open).toHaveLength(2);
    for (const id of open) {
      await ivan.click(`#approve-${id}`);
      await ivan.waitForSelector('#flash');
      expect(await ivan.textContent('#flash')).toContain('Утверждено');
    }
    expect((await h.tolem.ctx.engine.get(paid.unknown))!.state).toBe('succeeded');

    // The bank corrects its registry; the day reconciled again is clean.
    await agentHandsIn([1, 2, 3, 4]);
    await runThreeWay(olga);
    expect(await olga.getAttribute('#run-facts [data-field="status"] .badge', 'class')).toContain('good');
    expect(await count(olga, 'matched')).toBe('4');

    // After the day (over in Almaty and Bishkek alike): the proof, made by one operator and signed by another.
    clock.set(new Date(`2026-11-26T02:00:00+05:00`));
    await consoleLogIn(olga, h.url, 'olga', PASSWORD);
    await olga.goto(`${h.url}/console/money-proofs`);
    await olga.fill('#mp-day', DAY);
    await olga.click('#make-proof');
    await olga.waitForSelector('#flash');
    expect(await olga.getAttribute(`#proofs tr[data-day="${DAY}"]`, 'data-ok')).toBe('true');
    await consoleLogIn(ivan, h.url, 'ivan', PASSWORD);
    await ivan.goto(`${h.url}/console/money-proofs`);
    await ivan.click(`#proofs tr[data-day="${DAY}"] .sign-proof`);
    await ivan.waitForSelector('#flash');
    expect(await ivan.textContent(`#proofs tr[data-day="${DAY}"]`)).toContain('operator:ivan');
    expect(cspErrors).toEqual([]);
  });
});
