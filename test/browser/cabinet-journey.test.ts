/**
 * The agent cabinet in Debian's chromium, phone-sized, with the console beside it: an admin creates a cabinet login
 * for an agent in the console; the agent's user creates a token in the cabinet (shown once, "Ожидайте подтверждения",
 * refused by the agent API until confirmed); an operator confirms it in the console; the token then pays through
 * POST /api/v20/pay; the user sees its payment, exports its payments as CSV, manages its IP addresses, and revokes the
 * token ("Токен отозван"), after which the API refuses it. Screenshots as in the console's journeys.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, shot } from '../helpers/browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator } from '../../src/engine/operators.ts';
import { agentApi, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

const PASSWORD = 'journey password 1';
let h: Harness;
let browser: Browser;
let agentId: bigint;
let token = '';

beforeAll(async () => {
  h = await startTolem();
  for (const [login, role] of [['root', 'admin'], ['olga', 'operator']] as const) await createOperator(h.db, { login, password: PASSWORD, role }, h.tolem.ctx.clock);
  agentId = (await newAgent(h.db, { name: 'Halyk partner', openingBalanceMinor: 5_000_000n, issueToken: false })).id;
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function open(viewport: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'ru', acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return page;
}
const phone = () => open({ width: 390, height: 800 });
const laptop = () => open({ width: 1280, height: 860 });

async function consoleAs(login: string): Promise<Page> {
  const page = await laptop();
  await page.goto(`${h.url}/console/login`);
  await page.fill('#login', login);
  await page.fill('#password', PASSWORD);
  await page.click('#sign-in');
  await page.waitForSelector('#who');
  return page;
}

async function cabinet(): Promise<Page> {
  const page = await phone();
  await page.goto(`${h.url}/cabinet/`);
  await page.waitForURL(/\/cabinet\/login/);
  await page.fill('#login', 'halyk.cashier');
  await page.fill('#password', PASSWORD);
  await page.click('#sign-in');
  await page.waitForSelector('#who');
  return page;
}

/**
 * Follows a language link and waits for the page in that language: the next step must not look at the page being
 * left (the phone menu's fold was once opened on it, and the new page came folded).
 */
async function switchLanguage(page: Page, lang: string): Promise<void> {
  await page.click(`a[lang="${lang}"]`);
  await page.waitForFunction(`document.documentElement.lang === ${JSON.stringify(lang)}`);
}

/** On a phone the menu starts folded: open it, then follow the entry (as a person does). */
async function nav(page: Page, key: string): Promise<void> {
  // The page's own script folds the menu on a phone once it has loaded: look at the menu only after that.
  await page.waitForLoadState('load');
  const entry = page.locator(`#nav-${key}`);
  if (!(await entry.isVisible())) await page.click('details.menu summary');
  const href = await entry.getAttribute('href');
  await entry.click();
  // The next step must look at the page followed to, not at the one being left (whose menu may be unfolded, whose
  // elements may share ids with the next page's): wait until it has loaded.
  await page.waitForURL((url) => url.pathname === href);
}

const pay = (id: number) => `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":300.00,"amountFrom":300.00}`;

describe('agent cabinet and console: a token from request to payment', () => {
  it('an admin creates the agent\'s cabinet login in the console', async () => {
    const root = await consoleAs('root');
    await root.goto(`${h.url}/console/agents/${agentId}`);
    await root.fill('#u-login', 'halyk.cashier');
    await root.fill('#u-password', PASSWORD);
    await root.click('#create-user');
    await root.waitForSelector('#flash');
    expect(await root.textContent('#users')).toContain('halyk.cashier');
  });

  it('the agent user creates a token: shown once, pending, refused by the API until confirmed', async () => {
    const page = await cabinet();
    await shot(page, 'cabinet-1-balance');
    expect(await page.textContent('#available')).toBe('50000.00');
    await nav(page, 'tokens');
    await page.click('#create-token');
    await page.waitForSelector('#new-token');
    token = (await page.textContent('#new-token'))!.trim();
    expect(token).toMatch(/^tlm_/);
    expect(await page.textContent('#new-token-status')).toBe('Ожидайте подтверждения');
    expect(await page.textContent('#tokens')).toContain('Ожидайте подтверждения');
    await shot(page, 'cabinet-2-new-token');
    await page.goto(`${h.url}/cabinet/tokens`);
    expect(await page.textContent('body')).not.toContain(token); // shown once only
    expect(num((await agentApi(h.url, token)('pay', pay(1))).body.result)).not.toBe('0');
  });

  it('an operator confirms it in the console, and the token pays through the agent API', async () => {
    const olga = await consoleAs('olga');
    await olga.goto(`${h.url}/console/agents/${agentId}`);
    const pending = olga.locator('#tokens tr[data-status="pending"]');
    const tokenId = await pending.getAttribute('data-token');
    await olga.click(`#confirm-token-${tokenId}`);
    await olga.waitForSelector('#flash');
    expect(await olga.getAttribute(`#tokens tr[data-token="${tokenId}"]`, 'data-status')).toBe('confirmed');
    const paid = await agentApi(h.url, token)('pay', pay(2));
    expect(num(paid.body.result)).toBe('0');

    const page = await cabinet();
    await nav(page, 'tokens');
    expect(await page.textContent('#tokens')).toContain('Подтверждён');
    await nav(page, 'payments');
    await page.fill('#f-agentTxn', '2');
    await page.click('#search');
    await page.waitForSelector(`tr[data-payment="${num(paid.body.transactionId)}"]`);
    await shot(page, 'cabinet-3-payments');
    const download = page.waitForEvent('download');
    await page.click('#export-csv');
    const csv = readFileSync((await (await download).path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toContain('transactionId');
    expect(csv).toContain(num(paid.body.transactionId));
  });

  it('manages its IP addresses, speaks Kazakh, and revokes the token: "Токен отозван", then refused', async () => {
    const page = await cabinet();
    await nav(page, 'ip');
    await page.fill('#ip-allow', '127.0.0.1\n::1');
    await page.click('#save-ip');
    await page.waitForSelector('#flash');
    await shot(page, 'cabinet-4-ip');
    await switchLanguage(page, 'kk');
    expect(await page.textContent('h1')).toContain('IP-мекенжайлар');
    await switchLanguage(page, 'ru');
    await nav(page, 'tokens');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#tokens tr[data-status="confirmed"] button');
    await page.waitForSelector('#flash');
    expect(await page.textContent('#flash')).toBe('Токен отозван');
    expect(await page.textContent('#tokens')).toContain('Токен отозван');
    await shot(page, 'cabinet-5-tokens');
    expect(num((await agentApi(h.url, token)('pay', pay(3))).body.result)).not.toBe('0');
  });
});
