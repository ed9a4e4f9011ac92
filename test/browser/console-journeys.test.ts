/**
 * The operator console in Debian's chromium (playwright-core), laptop-sized, against a full Tolem with its sandboxes:
 * log in and out; find a payment and read its timeline with the partner exchanges; top up an agent with maker-checker
 * (the operator who proposed cannot approve, another one does); approve a 153 hold; resolve an attention item; the
 * session ends after the idle timeout. Screenshots go to test-results/ (ignored by git); `UPDATE_SCREENSHOTS=1 npx
 * vitest run test/browser` refreshes the README's in docs/screenshots/.
 */
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage, consoleLogIn, mobileTopUp, shot } from '../helpers/browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftedClock } from '../../src/domain/clock.ts';
import { agentFunds, findAgent } from '../../src/engine/agents.ts';
import { createOperator } from '../../src/engine/operators.ts';
import { agentApi, eventually, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

const PASSWORD = 'console password 1';
let h: Harness;
let browser: Browser;
let clock: ShiftedClock;
let agent: { id: bigint; token: string };
const cspErrors: string[] = [];

beforeAll(async () => {
  clock = new ShiftedClock();
  h = await startTolem({ clock });
  for (const [login, role] of [['root', 'admin'], ['olga', 'operator'], ['ivan', 'operator'], ['vera', 'viewer']] as const) {
    await createOperator(h.db, { login, password: PASSWORD, role }, clock);
  }
  agent = await newAgent(h.db, { name: 'Kaspi terminals', openingBalanceMinor: 1_000_000n, reviewAboveMinor: 100_000n, notificationMinor: 2_000_000n });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const laptop = (): Promise<Page> => openPage(browser, cspErrors, { acceptDownloads: true });


const logIn = (page: Page, login: string) => consoleLogIn(page, h.url, login, PASSWORD);

const body = mobileTopUp;

describe('operator console in the browser', () => {
  it('logs in, shows the dashboard with its charts, and logs out', async () => {
    const page = await laptop();
    await page.goto(`${h.url}/console`);
    await page.waitForURL(/\/console\/login/);
    await shot(page, 'console-1-login');
    await page.fill('#login', 'olga');
    await page.fill('#password', 'not the password');
    await page.click('#sign-in');
    expect(await page.textContent('#flash')).toContain('Неверный');
    await logIn(page, 'olga');
    expect(await page.textContent('#who')).toContain('olga');
    for (let i = 1; i <= 3; i++) expect(num((await agentApi(h.url, agent.token)('pay', body(i, '100.00'))).body.result)).toBe('0');
    await page.goto(`${h.url}/console/`);
    await page.waitForSelector('#chart-service canvas'); // uPlot drew from node_modules, under the strict CSP
    expect(await page.textContent('#rates-service')).toContain('P1011');
    expect(await page.textContent('#low-agents')).toContain('Kaspi terminals');
    expect(await page.locator('#provider-health tr[data-partner="sandbox-mobile"]').count()).toBe(1); // every call journaled
    await shot(page, 'console-2-dashboard');
    await page.click('#logout');
    await page.waitForURL(/\/console\/login/);
    await page.goto(`${h.url}/console/payments`);
    await page.waitForURL(/\/console\/login/);
  });

  it('finds a payment by combined filters and reads its timeline with the partner exchanges', async () => {
    const paid = await agentApi(h.url, agent.token)('pay', body(10, '250.00'));
    const transactionId = num(paid.body.transactionId);
    const page = await laptop();
    await logIn(page, 'vera');
    await page.click('#nav-payments');
    await page.fill('#f-agent', agent.id.toString());
    await page.fill('#f-min', '200');
    await page.fill('#f-max', '300');
    await page.selectOption('#f-state', 'succeeded');
    await page.click('#search');
    await page.waitForSelector(`tr[data-payment="${transactionId}"]`);
    expect(await page.locator('#payments tbody tr').count()).toBe(1); // the 100.00 payments are filtered out
    await shot(page, 'console-3-payments');
    await page.click(`tr[data-payment="${transactionId}"] a`);
    await page.waitForSelector('#timeline');
    expect(await page.textContent('[data-field="state"]')).toBe('succeeded');
    expect(await page.textContent('[data-field="amount_to"]')).toBe('250.00'); // major units, never the raw minor count
    expect(await page.locator('#timeline li[data-kind="state"]').count()).toBeGreaterThan(0);
    expect(await page.locator('#timeline li[data-kind="transfer"]').count()).toBeGreaterThan(0);
    const exchanges = page.locator('#timeline li[data-kind="exchange"]');
    expect(await exchanges.count()).toBeGreaterThan(0);
    await exchanges.first().locator('summary').click();
    expect(await exchanges.first().locator('pre.exchange-request').textContent()).toBeTruthy();
    expect(await page.textContent('#timeline')).not.toContain(agent.token); // the bearer token is masked
    await shot(page, 'console-4-payment-timeline');
  });

  it('exports a provider\'s registry of a period as XLSX that reads back with every payment', async () => {
    const paid = await agentApi(h.url, agent.token)('pay', body(11, '333.33'));
    const transactionId = num(paid.body.transactionId);
    const page = await laptop();
    await logIn(page, 'vera');
    await page.goto(`${h.url}/console/registry`);
    // The hub's day, by its clock and in its zone (TOLEM_CLOCK and TZ put the machine's day elsewhere): the payment's.
    const { clock, config } = h.tolem.ctx;
    const today = new Date(clock.now().getTime() + config.hubOffsetMinutes * 60_000).toISOString().slice(0, 10);
    await page.selectOption('#r-provider', 'sandbox-mobile');
    await page.fill('#r-from', today);
    await page.fill('#r-to', today);
    await page.click('#show-registry');
    await page.waitForSelector('#registry');
    await shot(page, 'console-11-registry');
    const download = page.waitForEvent('download');
    await page.click('#export-xlsx');
    const file = await (await download).path();
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(file!);
    const sheet = book.worksheets[0]!;
    expect(sheet.getRow(1).values).toContain('transactionId');
    const rows = sheet.getSheetValues().filter(Boolean) as unknown[][];
    const line = rows.find((row) => row[1] === transactionId);
    expect(line).toBeDefined(); // 18 digits, exact: a text cell
    expect(line![6]).toBe(333.33);
    expect(line![4]).toBe('P1011');
  });

  it('tops up an agent with maker-checker: the proposer cannot approve, a second operator does', async () => {
    const before = await agentFunds(h.db, (await findAgent(h.db, agent.id))!);
    const olga = await laptop();
    await logIn(olga, 'olga');
    await olga.goto(`${h.url}/console/agents/${agent.id}`);
    await olga.selectOption('#p-kind', 'topup');
    await olga.fill('#p-amount', '5000.00');
    await olga.fill('#p-reason', 'bank transfer 4711');
    await olga.click('#propose');
    await olga.waitForSelector('#flash');
    expect(await olga.textContent('#flash')).toContain('другой оператор');
    await shot(olga, 'console-5-agent');
    await olga.goto(`${h.url}/console/approvals`);
    const row = olga.locator('#open-proposals tr[data-proposal]').first();
    const proposalId = await row.getAttribute('data-proposal');
    await olga.click(`#approve-${proposalId}`);
    await olga.waitForSelector('#flash');
    expect(await olga.textContent('#flash')).toContain('Нельзя утвердить собственное');
    expect((await agentFunds(h.db, (await findAgent(h.db, agent.id))!)).postedMinor).toBe(before.postedMinor);
    await shot(olga, 'console-6-approvals');

    const ivan = await laptop();
    await logIn(ivan, 'ivan');
    await ivan.goto(`${h.url}/console/approvals`);
    await ivan.click(`#approve-${proposalId}`);
    await ivan.waitForSelector('#flash');
    expect(await ivan.textContent('#flash')).toContain('Утверждено');
    expect(await ivan.getAttribute(`#decided-proposals tr[data-proposal="${proposalId}"]`, 'data-state')).toBe('approved');
    expect((await agentFunds(h.db, (await findAgent(h.db, agent.id))!)).postedMinor).toBe(before.postedMinor + 500_000n);
  });

  it('approves a payment held by the security review (153), which then pays', async () => {
    const held = await agentApi(h.url, agent.token)('pay', body(20, '1500.00'));
    expect(num(held.body.result)).toBe('153');
    const transactionId = num(held.body.transactionId);
    const page = await laptop();
    await logIn(page, 'olga');
    await page.click('#nav-review');
    await page.waitForSelector(`section[data-payment="${transactionId}"]`);
    await shot(page, 'console-7-review');
    await page.fill(`#rn-${transactionId}`, 'documents checked');
    await page.click(`#review-approve-${transactionId} button`);
    await page.waitForSelector('#flash');
    expect(await page.textContent('#flash')).toContain('пропущен');
    await eventually(async () => (num((await agentApi(h.url, agent.token)('pay', body(20, '1500.00'))).body.result) === '0' ? true : undefined));
  });

  it('resolves an attention item with a note', async () => {
    const paid = await agentApi(h.url, agent.token)('pay', body(30, '120.00'));
    const paymentId = BigInt(num(paid.body.transactionId));
    await h.db.tx((q) => h.tolem.ctx.engine.raiseAttention(q, paymentId, 'provider_refund', 'the provider asks to confirm a refund', { ticket: 'R-17' }));
    const page = await laptop();
    await logIn(page, 'olga');
    await page.click('#nav-attention');
    const item = page.locator('section[data-item]').filter({ hasText: 'provider_refund' });
    const itemId = await item.getAttribute('data-item');
    await shot(page, 'console-8-attention');
    await page.fill(`#note-${itemId}`, 'refund confirmed by phone');
    await page.click(`#resolve-${itemId} button`);
    await page.waitForSelector('#flash');
    await page.goto(`${h.url}/console/attention?resolved=1`);
    expect(await page.textContent(`section[data-item="${itemId}"]`)).toContain('refund confirmed by phone');
  });

  it('closes a business day: one operator makes the money proof, another signs it', async () => {
    // Yesterday in Almaty's zone (the later of the two): over in KZT and KGS alike.
    const day = new Date(clock.now().getTime() + 5 * 3_600_000 - 86_400_000).toISOString().slice(0, 10);
    const olga = await laptop();
    await logIn(olga, 'olga');
    await olga.click('#nav-proofs');
    await olga.fill('#mp-day', day);
    await olga.click('#make-proof');
    await olga.waitForSelector('#flash');
    expect(await olga.textContent('#flash')).toContain('сохранено');
    expect(await olga.getAttribute(`#proofs tr[data-day="${day}"]`, 'data-ok')).toBe('true');
    expect(await olga.textContent('#proof-chain')).toContain('цела');
    await olga.click(`#proofs tr[data-day="${day}"] .sign-proof`);
    await olga.waitForSelector('#flash');
    expect(await olga.textContent('#flash')).toContain('Нельзя');
    await shot(olga, 'console-10-money-proof');

    const ivan = await laptop();
    await logIn(ivan, 'ivan');
    await ivan.goto(`${h.url}/console/money-proofs`);
    await ivan.click(`#proofs tr[data-day="${day}"] .sign-proof`);
    await ivan.waitForSelector('#flash');
    expect(await ivan.textContent(`#proofs tr[data-day="${day}"]`)).toContain('operator:ivan');
    const html = await (await ivan.context().request.get(`${h.url}/console/money-proofs/${day}.html`)).text();
    expect(html).toContain(`Money proof of ${day}: consistent`);
    expect(html).toContain('signed');
  });

  it('shows operators to an admin and the audit log with its chain verified', async () => {
    const page = await laptop();
    await logIn(page, 'root');
    await page.click('#nav-operators');
    await page.waitForSelector('tr[data-operator="ivan"]');
    await shot(page, 'console-9-operators');
    await page.click('#nav-audit');
    await page.click('#verify-chain');
    await page.waitForSelector('#chain');
    expect(await page.textContent('#chain')).toContain('цела');
    expect(await page.locator('#audit tr[data-action="proposals.approve"]').count()).toBeGreaterThan(0);
    await shot(page, 'console-10-audit');
    expect(cspErrors).toEqual([]);
  });

  it('ends an idle session: the next click goes to the login', async () => {
    const page = await laptop();
    await logIn(page, 'olga');
    clock.advance(h.tolem.ctx.config.sessions.idleMs + 60_000);
    await page.click('#nav-payments');
    await page.waitForURL(/\/console\/login/);
    expect(await page.textContent('#flash')).toContain('Сессия истекла');
  });
});
