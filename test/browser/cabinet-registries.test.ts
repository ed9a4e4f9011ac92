/**
 * The cabinet's registries page in Debian's chromium, phone-sized: the agent's user downloads its payments as CSV
 * (the cabinet's own export), uploads that very file as its registry of the day through the form and sees the stored
 * figures; a file with a bad line is refused on the page with the line and why, and nothing is stored; a second
 * upload of the day supersedes the first in the list. No CSP refusal on the way.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentUser } from '../../src/engine/agent-users.ts';
import { launchChromium, mobileTopUp, openPage, shot } from '../helpers/browser.ts';
import { agentApi, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';

const PASSWORD = 'registry password 1';
const dir = mkdtempSync(join(tmpdir(), 'tolem-cabinet-registry-'));
let h: Harness;
let browser: Browser;
let agentId: bigint;
const cspErrors: string[] = [];

beforeAll(async () => {
  h = await startTolem();
  const agent = await newAgent(h.db, { name: 'Registry bank', openingBalanceMinor: 5_000_000n });
  agentId = agent.id;
  await createAgentUser(h.db, agentId, { login: 'reg.cashier', password: PASSWORD }, h.tolem.ctx.clock);
  for (const id of [11, 12]) expect(num((await agentApi(h.url, agent.token)('pay', mobileTopUp(id, '300.00'))).body.result)).toBe('0');
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function signIn(): Promise<Page> {
  const page = await openPage(browser, cspErrors, { viewport: { width: 390, height: 800 }, acceptDownloads: true });
  await page.goto(`${h.url}/cabinet/login`);
  await page.fill('#login', 'reg.cashier');
  await page.fill('#password', PASSWORD);
  await page.click('#sign-in');
  await page.waitForSelector('#who');
  return page;
}

async function upload(page: Page, day: string, file: string): Promise<void> {
  await page.goto(`${h.url}/cabinet/registries`);
  await page.fill('#registry-day', day);
  await page.setInputFiles('#registry-file', file);
  await Promise.all([page.waitForNavigation(), page.click('#upload-registry')]);
}

describe('cabinet: the agent hands in its registry of a day', () => {
  it('uploads its own CSV export back and sees the figures; a bad file is refused with its line', { timeout: 120_000 }, async () => {
    const page = await signIn();
    await page.waitForLoadState('load');
    if (!(await page.locator('#nav-registries').isVisible())) await page.click('details.menu summary');
    expect(await page.textContent('#nav-registries')).toBe('Реестры');

    await page.goto(`${h.url}/cabinet/payments`);
    const download = page.waitForEvent('download');
    await page.click('#export-csv');
    const exported = (await (await download).path())!;

    await upload(page, '2026-11-22', exported);
    await page.waitForSelector('#registry-stored');
    expect(await page.textContent('#registry-stored [data-field="lineCount"]')).toBe('2');
    expect(await page.textContent('#registry-stored [data-field="total"]')).toBe('600.00');
    expect(await page.locator('#registries tr[data-current="true"]').count()).toBe(1);
    await shot(page, 'cabinet-6-registries');

    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'agentTransactionId,amount\n11,300.00\n12,"300,00"\n');
    await upload(page, '2026-11-22', bad);
    const flash = await page.textContent('#flash');
    expect(flash).toContain('Файл не принят');
    expect(flash).toContain('line 3: amount "300,00" is not an amount');
    expect(await page.locator('#registry-stored').count()).toBe(0);
    expect(await page.inputValue('#registry-day')).toBe('2026-11-22');
    expect(await h.tolem.ctx.admin.agentRegistries.list(agentId)).toHaveLength(1);

    const again = join(dir, 'again.csv');
    writeFileSync(again, 'agentTransactionId,amount\n11,300.00\n');
    await upload(page, '2026-11-22', again);
    await page.waitForSelector('#registry-stored');
    expect(await page.locator('#registries tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-current')))).toEqual(['true', 'false']);
    expect(cspErrors).toEqual([]);
  });
});
