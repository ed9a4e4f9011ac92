import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { testSchema } from '../helpers/harness.ts';

/** The `tolem` command as an operator's script uses it: --json output, exit codes, one store. */
const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'tolem-cli-'));
const schema = testSchema();
const env = { ...process.env, TOLEM_DATA: dataDir, DB_SCHEMA: schema, LOG_LEVEL: 'silent' };
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function tolem(...args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, ['bin/tolem.js', ...args, '--json'], { cwd: new URL('../..', import.meta.url).pathname, env });
  return JSON.parse(stdout);
}

describe('tolem CLI', () => {
  it('creates an agent, tops it up, manages its tokens, and keeps the ledger balanced', { timeout: 300_000 }, async () => {
    const created = (await tolem('agent', 'create', '--name', 'Bank A', '--balance', '1000.50', '--overdraft', '-100', '--notification', '50', '--ip', '10.0.0.0/24', '--services', 'P1011,P1013')) as { agentId: string; token: string; tokenStatus: string };
    expect(created.agentId).toMatch(/^\d+$/);
    expect(created.token).toMatch(/^tlm_/);
    expect(created.tokenStatus).toBe('pending');

    const topped = (await tolem('agent', 'topup', created.agentId, '99.50', '--reason', 'payment order 118')) as { available: string };
    expect(topped.available).toBe('1100.00');
    const corrected = (await tolem('agent', 'topup', created.agentId, '-100', '--reason', 'correction')) as { available: string };
    expect(corrected.available).toBe('1000.00');

    const shown = (await tolem('agent', 'show', created.agentId)) as Record<string, unknown>;
    expect(shown).toMatchObject({ name: 'Bank A', currency: 'KZT', balance: '1000.00', reserved: '0.00', available: '1000.00', overdraft: '-100.00', notification: '50.00', ipAllow: ['10.0.0.0/24'], services: ['P1011', 'P1013'] });
    const tokens = shown.tokens as { id: string; status: string }[];
    expect(tokens).toHaveLength(1);
    expect(JSON.stringify(shown)).not.toContain(created.token);

    expect(await tolem('token', 'confirm', tokens[0]!.id)).toEqual({ tokenId: tokens[0]!.id, changed: true });
    const issued = (await tolem('token', 'issue', created.agentId, '--confirm')) as { token: string; status: string };
    expect(issued.status).toBe('confirmed');
    expect(await tolem('token', 'revoke', tokens[0]!.id)).toEqual({ tokenId: tokens[0]!.id, changed: true });
    expect(((await tolem('token', 'list', created.agentId)) as { status: string }[]).map((t) => t.status)).toEqual(['revoked', 'confirmed']);

    const services = (await tolem('services')) as { serviceId: string }[];
    expect(services.map((s) => s.serviceId)).toContain('P1011');
    expect(await tolem('attention')).toEqual([]);
    await expect(run(process.execPath, ['bin/tolem.js', 'attention', 'propose', '999', 'refund', '--note', 'x'], { cwd: new URL('../..', import.meta.url).pathname, env }))
      .rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('attention item 999 not found') });
    expect(await tolem('ledger-check')).toEqual({ ok: true, problems: [] });
    await expect(run(process.execPath, ['bin/tolem.js', 'payment', '100000000000000001'], { cwd: new URL('../..', import.meta.url).pathname, env }))
      .rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('not found') });
  });

  it('refuses bad input with a message and a non-zero exit', { timeout: 120_000 }, async () => {
    await expect(run(process.execPath, ['bin/tolem.js', 'agent', 'topup', '1', '1e3', '--reason', 'x'], { cwd: new URL('../..', import.meta.url).pathname, env }))
      .rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('invalid amount') });
    await expect(run(process.execPath, ['bin/tolem.js', 'agent', 'create', '--name', 'X', '--ip', 'nope'], { cwd: new URL('../..', import.meta.url).pathname, env }))
      .rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('invalid IP') });
  });

  it('start refuses a bad configuration value, naming the variable, before it opens anything', { timeout: 60_000 }, async () => {
    await expect(run(process.execPath, ['bin/tolem.js', 'start'], { cwd: new URL('../..', import.meta.url).pathname, env: { ...env, PORT: 'abc' } }))
      .rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('PORT must be an integer') });
  });
});
