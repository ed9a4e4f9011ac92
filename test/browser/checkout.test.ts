/**
 * The checkout page in Debian's chromium (playwright-core), phone-sized, against a full Tolem with its sandboxes:
 * a card payment, an Elsom payment, a provider refusal and a cancelled payment. Screenshots go to test-results/
 * (ignored by git); `UPDATE_SCREENSHOTS=1 npx vitest run test/browser` refreshes the README's in docs/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerBalanced, startTolem, type Harness } from '../helpers/harness.ts';

const SHOTS = new URL(process.env.UPDATE_SCREENSHOTS ? '../../docs/screenshots/' : '../../test-results/screenshots/', import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });
let h: Harness;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  h = await startTolem();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function phone(lang = 'ru'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 390, height: 780 }, deviceScaleFactor: 1, locale: lang });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false });

async function pickService(page: Page, lang: string, search: string, serviceId: string): Promise<void> {
  await page.goto(`${h.url}/pay?lang=${lang}`);
  await page.fill('#service-search', search);
  await page.click(`a[data-service="${serviceId}"]`);
}

async function waitOutcome(page: Page, outcome: string): Promise<void> {
  await page.waitForSelector(`#status[data-outcome="${outcome}"]`, { timeout: 25_000 });
}

describe('checkout in the browser', () => {
  it('pays a mobile top-up by card (with 3-D Secure) and shows a printable receipt', async () => {
    const page = await phone();
    await page.goto(`${h.url}/pay?lang=ru`);
    await shot(page, 'checkout-1-catalog');
    await page.fill('#service-search', 'Билайн');
    expect(await page.isVisible('a[data-service="P1013"]')).toBe(false); // the search filters the list
    await page.click('a[data-service="P1011"]');
    // The service's regexp is checked in the browser before anything is sent.
    await page.fill('#in-account', '70112');
    await page.click('#check');
    expect(await page.$eval('#in-account', (el) => (el as unknown as { validity: { valid: boolean } }).validity.valid)).toBe(false);
    expect(page.url()).toContain('/pay/s/P1011');
    await page.fill('#in-account', '7011234567');
    await page.click('#check');
    await page.waitForURL(/\/pay\/o\//);
    await page.fill('#amount', '1000.00');
    await page.check('#method-card');
    await shot(page, 'checkout-2-amount-and-method');
    await page.click('#pay');
    await page.waitForSelector('#card'); // the Assist sandbox page
    await page.fill('#card', '4000000000003220');
    await page.fill('#exp', '12/39');
    await page.fill('#cvv', '123');
    await shot(page, 'checkout-3-assist-card-form');
    await page.click('#assist-pay');
    await page.fill('#code', '1234');
    await page.click('#assist-3ds');
    await page.waitForURL(/\/pay\/r\//);
    await waitOutcome(page, 'paid');
    const transaction = await page.textContent('[data-field="transaction"]');
    expect(transaction).toMatch(/^\d{18}$/);
    expect(await page.textContent('[data-field="provider_ref"]')).toBeTruthy();
    expect(await page.isVisible('#print')).toBe(true);
    await shot(page, 'checkout-4-receipt');
    await page.context().close();
  }, 60_000);

  it('pays a utility invoice with the Elsom wallet, in Kyrgyz', async () => {
    const page = await phone('ky');
    await pickService(page, 'ky', 'Коммунальные', 'P0007');
    await page.fill('#in-account', '1234567890');
    await page.click('#check');
    await page.waitForURL(/\/pay\/o\//);
    expect(await page.getAttribute('html', 'lang')).toBe('ky');
    expect(await page.textContent('#invoice')).toContain('Учурдагы көрсөткүч');
    const meter = await page.$('input[name$=".lastCount"]');
    if (meter) {
      const prev = await page.$eval('.line input[disabled]', (el) => (el as unknown as { value: string }).value);
      await meter.fill(String(Math.ceil(Number(prev || '0')) + 3));
    }
    await page.check('#method-elsom');
    await shot(page, 'checkout-5-invoice-elsom');
    await page.click('#pay');
    await page.waitForSelector('#wallet'); // the Elsom OTP page
    await page.fill('#wallet', '0555123456');
    await page.fill('#otp', '1234');
    await shot(page, 'checkout-6-elsom-otp');
    await page.click('#elsom-pay');
    await page.waitForURL(/\/pay\/r\//);
    await waitOutcome(page, 'paid');
    expect(await page.textContent('#status')).toContain('Төлөндү');
    await page.context().close();
  }, 60_000);

  it('a provider refusal releases the card hold and says so', async () => {
    const page = await phone('en');
    await pickService(page, 'en', 'Билайн', 'P1011');
    await page.fill('#in-account', '7011230009'); // the sandbox provider refuses this account's pay
    await page.click('#check');
    await page.waitForURL(/\/pay\/o\//);
    await page.fill('#amount', '300.00');
    await page.click('#pay');
    await page.fill('#card', '4111 1111 1111 1111');
    await page.fill('#exp', '12/39');
    await page.fill('#cvv', '123');
    await page.click('#assist-pay');
    await page.waitForURL(/\/pay\/r\//);
    await waitOutcome(page, 'refused_released');
    expect(await page.textContent('#status')).toContain('hold on your card was released');
    await shot(page, 'checkout-7-provider-refused');
    await page.context().close();
  }, 60_000);

  it('a payment cancelled on the Elsom page pays nobody; the back button does not pay again', async () => {
    const page = await phone('kk');
    await pickService(page, 'kk', 'XXX', 'P0006');
    await page.fill('#in-account', '123456789012');
    await page.click('#check');
    await page.waitForURL(/\/pay\/o\//);
    await page.fill('#amount', '2500.00');
    await page.check('#method-elsom');
    await page.click('#pay');
    await page.waitForSelector('#elsom-cancel');
    await page.click('#elsom-cancel');
    await page.waitForURL(/\/pay\/r\//);
    await waitOutcome(page, 'cancelled');
    expect(await page.textContent('#status')).toContain('Төлем тоқтатылды');
    await shot(page, 'checkout-8-cancelled');
    await page.goBack();
    await page.goBack();
    await page.waitForLoadState();
    // The order page of a finished order only leads to its result.
    await page.goto(page.url().replace(/\/pay\/r\//, '/pay/o/'));
    expect(page.url()).toMatch(/\/pay\/r\//);
    const cancelled = await h.db.query(`SELECT 1 FROM checkout_orders WHERE state = 'cancelled' AND hold_transfer_id IS NULL`);
    expect(cancelled.rowCount).toBeGreaterThan(0);
    await expectLedgerBalanced(h.db);
    await page.context().close();
  }, 60_000);
});
