/**
 * The console's catalog and reconciliation in Debian's chromium (playwright-core), laptop-sized, against a full Tolem
 * with its sandboxes: an admin tries a value in an input's live regexp box (the browser's answer, then the server's),
 * disables a service and the agent API refuses it, enables it again; an operator runs an Alseco reconciliation,
 * watches its progress page and reads the classes and the difference found; the Elsom PAYMENT_LIST view of an
 * agent's terminal; an admin edits an input's regexp (a ReDoS-prone one refused in the form, the new one tried live
 * and by the server) and a fee rule (with its preview), and the agent API obeys both at once; the inputs editor on a
 * phone. `UPDATE_SCREENSHOTS=1` writes the pictures into docs/screenshots/.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage, consoleLogIn, shot } from '../helpers/browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { businessDay } from '../../src/domain/time.ts';
import { configureElsomTerminal } from '../../src/engine/elsom-terminal-admin.ts';
import { createOperator } from '../../src/engine/operators.ts';
import { alsecoAdmin, alsecoBody, nextTxnId } from '../helpers/alseco.ts';
import { agentApi, clockAt, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

const PASSWORD = 'console password 1';
// A fixed day in the middle of a month, as the Alseco reconciliation tests use: the payments, Alseco's lists and the run see it.
const clock = clockAt('2026-03-16T10:00:00+05:00');
let h: Harness;
let browser: Browser;
let agent: { id: bigint; token: string };
const cspErrors: string[] = [];

beforeAll(async () => {
  h = await startTolem({ clock });
  for (const [login, role] of [['root', 'admin'], ['olga', 'operator']] as const) await createOperator(h.db, { login, password: PASSWORD, role }, clock);
  agent = await newAgent(h.db, { name: 'Catalog terminals', openingBalanceMinor: 10_000_000n });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const laptop = (): Promise<Page> => openPage(browser, cspErrors, { acceptDialogs: true });


const logIn = (page: Page, login: string) => consoleLogIn(page, h.url, login, PASSWORD);

const mobile = (id: number) =>
  `{"serviceId":"P1013","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-03-16T10:00:00","amountTo":100.00,"amountFrom":100.00}`;

describe('console catalog and reconciliation in the browser', () => {
  it('tries a value in the live regexp box, disables a service that the agent API then refuses, and enables it again', async () => {
    const api = agentApi(h.url, agent.token);
    expect(num((await api('pay', mobile(1))).body.result)).toBe('0');
    const page = await laptop();
    await logIn(page, 'root');
    await page.click('#nav-catalog');
    await page.waitForSelector('#services tr[data-service="P1013"]');
    expect(await page.locator('#services tbody tr').count()).toBeGreaterThan(5);
    await shot(page, 'console-12-catalog');
    await page.click('#services tr[data-service="P1013"] a');
    await page.waitForSelector('#regexp-test');
    await page.fill('#t-value', '77700');
    expect(await page.getAttribute('#regexp-live', 'data-matches')).toBe('false'); // the browser, as one types
    await page.fill('#t-value', '7770017711');
    expect(await page.getAttribute('#regexp-live', 'data-matches')).toBe('true');
    await page.click('#test-regexp');
    await page.waitForSelector('#regexp-result');
    expect(await page.getAttribute('#regexp-result', 'data-matches')).toBe('true'); // and the server, on submit
    await shot(page, 'console-13-service');

    await page.click('#toggle-service');
    await page.waitForSelector('#flash');
    expect(await page.textContent('#flash')).toContain('Услуга отключена');
    expect(await page.textContent('[data-field="enabled"]')).toContain('нет');
    expect(num((await api('pay', mobile(2))).body.result)).not.toBe('0'); // refused at once: the catalog's cache was dropped
    await page.click('#toggle-service');
    await page.waitForSelector('#flash');
    expect(await page.textContent('#flash')).toContain('Услуга включена');
    expect(num((await api('pay', mobile(3))).body.result)).toBe('0');
  });

  it('runs an Alseco reconciliation with progress and reads its classes and the difference found', async () => {
    const api = agentApi(h.url, agent.token);
    const refs: string[] = [];
    for (const [account, amountMinor] of [['0000100110', 10_000n], ['0000100116', 20_000n]] as const) {
      const answer = await api('pay', alsecoBody({ account, id: nextTxnId(), lines: [{ subServiceId: '45', amountMinor }] }));
      expect(num(answer.body.result)).toBe('0');
      refs.push(num(answer.body.transactionId));
    }
    await alsecoAdmin(h.url).erase(refs[1]!); // Alseco "loses" one: missing at the provider
    const page = await laptop();
    await logIn(page, 'olga');
    await page.click('#nav-reconciliation');
    await page.selectOption('#rc-provider', 'alseco');
    await page.fill('#rc-day', businessDay(clock.now(), 300));
    await page.click('#run-reconciliation');
    await page.waitForURL(/\/console\/reconciliation\/runs\/\d+/); // the progress page polled its task, then opened the run
    expect(await page.textContent('[data-field="status"]')).toContain('расхождения');
    expect(await page.textContent('#classes li[data-kind="matched"]')).toContain('1');
    expect(await page.textContent('#classes li[data-kind="missing_at_provider"]')).toContain('1');
    const lost = page.locator(`#items tr[data-reference="${refs[1]}"]`);
    expect(await lost.getAttribute('data-kind')).toBe('missing_at_provider');
    expect(await lost.textContent()).toContain('re-send it with the same reference');
    await shot(page, 'console-14-reconciliation-run');
    await page.click('#nav-reconciliation');
    expect(await page.locator('#runs tbody tr[data-status="mismatches"]').count()).toBe(1);
    await shot(page, 'console-15-reconciliation');
  });

  it('shows an agent\'s Elsom terminal and its PAYMENT_LIST of a day', async () => {
    const kg = await newAgent(h.db, { name: 'Elsom wallet', currency: 'KGS', openingBalanceMinor: 1_000_000n });
    const actor = { principal: { kind: 'operator' as const, id: 1n, login: 'root', role: 'admin' as const }, ip: '127.0.0.1' };
    await configureElsomTerminal(h.db, actor, kg.id, { terminalId: '5100', login: 'elsom', password: 'elsom pass', ipAllow: [], services: [{ elsomServiceId: '5132', serviceId: 'K1001' }] }, clock);
    const paid = await agentApi(h.url, kg.token)('pay', `{"serviceId":"K1001","account":"996555123456","agentTransactionId":7001,"agentTransactionDate":"2026-03-16T10:00:00","amountTo":150.00,"amountFrom":150.00}`);
    expect(num(paid.body.result)).toBe('0');
    const page = await laptop();
    await logIn(page, 'root');
    await page.goto(`${h.url}/console/agents/${kg.id}`);
    expect(await page.textContent('[data-field="elsom-terminal"]')).toBe('5100');
    await page.click('[data-field="elsom-services"] a');
    await page.fill('#e-day', businessDay(clock.now(), 300));
    await page.click('#show-elsom-list');
    await page.waitForSelector('#elsom-list tr[data-number="7001"]');
    expect(await page.textContent('#elsom-list tr[data-number="7001"]')).toContain('150.00');
    await shot(page, 'console-16-elsom-list');
    expect(cspErrors).toEqual([]);
  });

  it('edits an input\'s regexp and a fee rule, and the agent API obeys both at once', async () => {
    const api = agentApi(h.url, agent.token);
    const p1011 = (id: number, account: string, amountFrom = '100.00') =>
      `{"serviceId":"P1011","account":"${account}","agentTransactionId":${id},"agentTransactionDate":"2026-03-16T10:00:00","amountTo":100.00,"amountFrom":${amountFrom}}`;
    expect(num((await api('pay', p1011(9001, '7770017711'))).body.result)).toBe('0');
    const page = await laptop();
    await logIn(page, 'root');
    await page.goto(`${h.url}/console/catalog/P1011`);
    await page.click('#edit-inputs');
    await page.waitForSelector('#inputs-form');
    await page.fill('#regexp_0', '^(\\d+)+$');
    await page.click('#save-inputs');
    await page.waitForSelector('#form-error');
    expect(await page.textContent('#regexp-error-0')).toContain('катастрофический перебор');
    expect(await page.inputValue('#regexp_0')).toBe('^(\\d+)+$'); // what was typed is kept

    await page.fill('#regexp_0', '^8\\d{9}$');
    await page.fill('#sample_0', '7770017711');
    expect(await page.getAttribute('[data-live="0"]', 'data-matches')).toBe('false'); // the browser, as one types
    await page.fill('#sample_0', '8770017711');
    expect(await page.getAttribute('[data-live="0"]', 'data-matches')).toBe('true');
    await page.click('#check-inputs');
    await page.waitForSelector('#tested-0');
    expect(await page.getAttribute('#tested-0', 'data-matches')).toBe('true'); // and the server, before saving
    await shot(page, 'console-17-service-inputs');
    await page.click('#save-inputs');
    await page.waitForSelector('#flash');
    expect(await page.textContent('#flash')).toContain('Поля сохранены');
    expect(await page.textContent('#inputs tr[data-input="account"]')).toContain('^8\\d{9}$');
    expect(num((await api('pay', p1011(9002, '7770017711'))).body.result)).toBe('4'); // refused by the new regexp
    expect(num((await api('pay', p1011(9003, '8770017711'))).body.result)).toBe('0');

    await page.click('#edit-fee');
    await page.waitForSelector('#fee-form');
    await page.selectOption('#f-kind', 'percent');
    await page.fill('#f-percent', '2.5');
    await page.fill('#f-sample', '100.99');
    expect(await page.textContent('#fee-live')).toBe('0.00 … 2.52'); // exact, rounded down, as the engine computes it
    await page.fill('#f-floor', '3');
    expect(await page.textContent('#fee-live')).toBe('0.00 … 3.00');
    await page.selectOption('#f-kind', 'range');
    expect(await page.isHidden('#f-percent')).toBe(true);
    await page.fill('#f-min', '1.00');
    await page.fill('#f-max', '2.50');
    await page.fill('#f-sample', '100.00');
    expect(await page.textContent('#fee-live')).toBe('1.00 … 2.50');
    await page.click('#preview-fee');
    await page.waitForSelector('#fee-preview');
    expect(await page.getAttribute('#fee-preview', 'data-max')).toBe('2.50');
    expect(await page.textContent('#fee-preview')).toContain('102.50');
    await shot(page, 'console-18-service-fee');
    await page.click('#save-fee');
    await page.waitForSelector('#flash');
    expect(await page.textContent('#flash')).toContain('Правило комиссии сохранено');
    expect(num((await api('pay', p1011(9004, '8770017711'))).body.result)).toBe('255'); // no fee: outside the new rule
    const charged = await api('pay', p1011(9005, '8770017711', '102.00'));
    expect(num(charged.body.result)).toBe('0');
    const stored = await h.db.query<{ amount_from_minor: bigint }>('SELECT amount_from_minor FROM payments WHERE id = $1', [BigInt(num(charged.body.transactionId))]);
    expect(stored.rows[0]!.amount_from_minor).toBe(10_200n); // the new fee charged

    const phone = await openPage(browser, cspErrors, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await logIn(phone, 'root');
    await phone.goto(`${h.url}/console/catalog/P1011/inputs`);
    const width = await phone.evaluate<number>('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(390); // no sideways scrolling on a phone
    await shot(phone, 'console-19-service-inputs-phone');
    expect(cspErrors).toEqual([]);
  });
});
