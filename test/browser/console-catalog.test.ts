/**
 * The console's catalog and reconciliation in Debian's chromium (playwright-core), laptop-sized, against a full Tolem
 * with its sandboxes: an admin tries a value in an input's live regexp box (the browser's answer, then the server's),
 * disables a service and the agent API refuses it, enables it again; an operator runs an Alseco reconciliation,
 * watches its progress page and reads the classes and the difference found; the Elsom PAYMENT_LIST view of an
 * agent's terminal. `UPDATE_SCREENSHOTS=1` writes the pictures into docs/screenshots/.
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
});
