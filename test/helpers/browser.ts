/**
 * The browser tests' common parts: Debian's chromium through playwright-core, a laptop-sized page that collects the
 * CSP errors the pages themselves would cause, the console login, and where screenshots go
 * (`UPDATE_SCREENSHOTS=1` writes them into docs/screenshots/, otherwise into the ignored test-results/).
 */
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

export const SHOTS = new URL(process.env.UPDATE_SCREENSHOTS ? '../../docs/screenshots/' : '../../test-results/screenshots/', import.meta.url).pathname;

/** Debian's chromium, headless, with nothing that would reach outside the machine. */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A page of a fresh context (Russian, 1280×860 unless told otherwise). A strict CSP that a page broke (an inline
 * style or script refused) lands in `cspErrors`; confirm() dialogs are accepted when `acceptDialogs` is set.
 */
export async function openPage(browser: Browser, cspErrors: string[], options: BrowserContextOptions & { acceptDialogs?: boolean } = {}): Promise<Page> {
  const { acceptDialogs, ...context } = options;
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1, locale: 'ru', ...context })).newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
  });
  if (acceptDialogs) page.on('dialog', (dialog) => void dialog.accept());
  return page;
}

export const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false });

/** Signs in to the operator console at `base` and waits for the signed-in header. */
export async function consoleLogIn(page: Page, base: string, login: string, password: string): Promise<void> {
  await page.goto(`${base}/console/login`);
  await page.fill('#login', login);
  await page.fill('#password', password);
  await page.click('#sign-in');
  await page.waitForSelector('#who');
}

/** An agent-API body for a mobile top-up of the sandbox operator P1011. */
export const mobileTopUp = (id: number, amount: string) =>
  `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;
