/**
 * `tolem service …` over the store (no hub running, so the CLI mounts the admin routes itself and acts as the local
 * socket does, as admin): show a service with its version, replace its inputs, fee rule and route; a refused regexp,
 * an unknown provider and a stale `--expect` version exit 1 with the API's reason.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { testSchema } from '../helpers/harness.ts';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'tolem-cli-catalog-'));
const env = { ...process.env, TOLEM_DATA: dataDir, DB_SCHEMA: testSchema(), LOG_LEVEL: 'silent' };
const cwd = new URL('../..', import.meta.url).pathname;
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const tolem = async (...args: string[]): Promise<any> => JSON.parse((await run(process.execPath, ['bin/tolem.js', ...args, '--json'], { cwd, env })).stdout);
const refused = (...args: string[]) => run(process.execPath, ['bin/tolem.js', ...args], { cwd, env });

describe('tolem service', () => {
  it('shows and edits a service\'s inputs, fee rule and route', { timeout: 300_000 }, async () => {
    const shown = await tolem('service', 'show', 'P0006');
    expect(shown).toMatchObject({ service: { serviceId: 'P0006', inputs: [{ name: 'account' }] }, version: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const file = join(dataDir, 'inputs.json');
    writeFileSync(file, JSON.stringify([{ name: 'account', title: 'ИИН', regexp: '^\\d{12}$', required: true }, { name: 'contract', title: 'Договор', regexp: '^[A-Z]{2}\\d{4,8}$', required: false }]));
    const edited = await tolem('service', 'inputs', 'P0006', '--file', file, '--expect', shown.version);
    expect(edited.service.inputs.map((input: any) => input.name)).toEqual(['account', 'contract']);
    await expect(refused('service', 'fee', 'P0006', '--kind', 'any', '--expect', shown.version)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('changed by someone else') });
    const fee = await tolem('service', 'fee', 'P0006', '--kind', 'percent', '--percent', '1.25', '--min', '50');
    expect(fee.service.feeRule).toEqual({ kind: 'percent', maxBasisPoints: 125, minMinor: '5000' });
    expect(await tolem('service', 'fee-preview', 'P0006', '10000.00', '--kind', 'percent', '--percent', '1.25')).toMatchObject({ maxMinor: '12500', maxAmountFromMinor: '1012500' });
    writeFileSync(file, JSON.stringify([{ name: 'account', title: 'ИИН', regexp: '^(\\d+)+$', required: true }]));
    await expect(refused('service', 'inputs', 'P0006', '--file', file)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('catastrophic backtracking') });
    expect(await tolem('providers')).toContain('sandbox-bank');
    await expect(refused('service', 'route', 'P0006', '--provider', 'nowhere')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no provider adapter nowhere') });
    expect((await tolem('service', 'route', 'P0006', '--provider', 'sandbox-utility')).service.provider).toBe('sandbox-utility');
  });
});
