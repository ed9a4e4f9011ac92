/**
 * `tolem agent-registry upload` against a running hub (its admin socket): the file streamed, the stored figures
 * printed (--json and human), a bad file's line and reason on stderr with exit code 1; and `uploadAgentRegistry`, the
 * function the reconcile command calls, answering the same.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAgent, startTolem, testSchema, type Harness } from '../helpers/harness.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tolem-cli-registry-'));
const socket = join(dir, 'tolem.sock');
const cwd = new URL('../..', import.meta.url).pathname;
let h: Harness;
let agentId: bigint;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  h = await startTolem({ jobs: false });
  await h.tolem.listenAdminSocket(socket);
  agentId = (await newAgent(h.db, { name: 'Bank CLI' })).id;
  // TOLEM_DATA points at an empty folder: were the socket not reached, the CLI would open a store of its own there.
  env = { ...process.env, TOLEM_DATA: join(dir, 'data'), DB_SCHEMA: testSchema(), ADMIN_SOCKET: socket, LOG_LEVEL: 'silent' };
}, 60_000);
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('tolem agent-registry upload', () => {
  it('uploads a day\'s CSV through the running hub and prints what was stored', { timeout: 120_000 }, async () => {
    const file = join(dir, 'day.csv');
    writeFileSync(file, `agentTransactionId,amount,state\n${Array.from({ length: 20_000 }, (_, i) => `${i + 1},2.50,succeeded`).join('\n')}\n`);
    const { stdout } = await run(process.execPath, ['bin/tolem.js', 'agent-registry', 'upload', '--agent', agentId.toString(), '--date', '2026-11-21', file, '--json'], { cwd, env });
    const stored = JSON.parse(stdout);
    expect(stored).toMatchObject({ agentId: agentId.toString(), day: '2026-11-21', source: 'admin_api', uploadedBy: 'local', lineCount: 20_000, totalMinor: '5000000' });
    const human = await run(process.execPath, ['bin/tolem.js', 'agent-registry', 'upload', '--agent', agentId.toString(), '--date', '2026-11-21', file], { cwd, env });
    expect(human.stdout).toMatch(new RegExp(`^registry \\d+ of agent ${agentId} for 2026-11-21: 20000 lines, 50000.00 in total, sha256 ${stored.sha256}\\n$`));
    const listed = await h.tolem.ctx.admin.agentRegistries.list(agentId);
    expect(listed).toHaveLength(2);
    expect(await h.tolem.ctx.admin.agentRegistries.latest(agentId, '2026-11-21')).toEqual(listed[0]);
  });

  it('prints the refusal\'s line and exits 1', { timeout: 60_000 }, async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'agentTransactionId,amount,currency\n1,1.00,KZT\n2,1.00,USD\n');
    await expect(run(process.execPath, ['bin/tolem.js', 'agent-registry', 'upload', '--agent', agentId.toString(), '--date', '2026-11-22', file], { cwd, env }))
      .rejects.toMatchObject({ code: 1, stderr: 'tolem: line 3: currency "USD" is not the agent\'s KZT\n' });
    await expect(run(process.execPath, ['bin/tolem.js', 'agent-registry', 'upload', '--agent', agentId.toString(), '--date', '2026-11-22', join(dir, 'none.csv')], { cwd, env }))
      .rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no such file') });
  });

  it('works with no hub running, over the store the CLI opens itself', { timeout: 120_000 }, async () => {
    // A store of its own: a PGlite folder, or a schema of its own on PostgreSQL (DATABASE_URL), as test/e2e/cli.test.ts.
    const own = { ...process.env, TOLEM_DATA: join(dir, 'own-store'), DB_SCHEMA: testSchema(), ADMIN_SOCKET: 'off', LOG_LEVEL: 'silent', DEMO: 'false' };
    const created = JSON.parse((await run(process.execPath, ['bin/tolem.js', 'agent', 'create', '--name', 'Offline bank', '--json'], { cwd, env: own })).stdout) as { agentId: string };
    const file = join(dir, 'offline.csv');
    writeFileSync(file, 'agentTransactionId,amount\n1,1.00\n2,2.00\n');
    const { stdout } = await run(process.execPath, ['bin/tolem.js', 'agent-registry', 'upload', '--agent', created.agentId, '--date', '2026-11-21', file, '--json'], { cwd, env: own });
    expect(JSON.parse(stdout)).toMatchObject({ agentId: created.agentId, lineCount: 2, totalMinor: '300', uploadedBy: 'local' });
  });

  it('is a function the reconcile command can call', { timeout: 60_000 }, async () => {
    const file = join(dir, 'small.csv');
    writeFileSync(file, 'agentTransactionId,amount\n77,10.00\n');
    const previous = process.env.ADMIN_SOCKET;
    process.env.ADMIN_SOCKET = socket;
    try {
      const { uploadAgentRegistry } = await import('../../src/cli/agent-registry.ts');
      expect(await uploadAgentRegistry(agentId.toString(), '2026-11-23', file)).toMatchObject({ registry: { lineCount: 1, totalMinor: '1000', day: '2026-11-23' } });
      await expect(uploadAgentRegistry(agentId.toString(), '2026-11-23', join(dir, 'bad.csv'))).rejects.toMatchObject({ status: 400, code: 'bad_registry' });
    } finally {
      if (previous === undefined) delete process.env.ADMIN_SOCKET;
      else process.env.ADMIN_SOCKET = previous;
    }
  });
});
