/**
 * `npx tsx chaos/follow-failover.ts`: does one Tolem instance follow a database failover by itself? The campaign
 * (chaos/run.ts) kills its instances every few seconds, so an instance there rarely lives through a failover; here one
 * instance is never restarted. Three agents' loops pay through it, on the HA database of chaos/failover.ts, while its
 * primary server is lost; then the payments are driven to a final state. It passes (exit code 0) when the instance
 * never exited, pays were answered 0 again after the failover, every payment is final and every pay answered 0 is a
 * succeeded payment at the hub. Prints its figures as JSON. About two minutes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createAgent } from '../src/engine/agents.ts';
import { openDb } from '../src/store/db.ts';
import { startHaDatabase, type HaDatabase } from './failover.ts';
import { freePort } from './net.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));


/** A child process that prints `pattern` once it is up (within 120 s). */
function startChild(args: string[], env: NodeJS.ProcessEnv, pattern: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not come up`)), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-20_000);
      const match = pattern.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    });
    child.once('exit', () => reject(new Error(`${args.join(' ')} exited before it was up`)));
  });
}

interface Answer {
  sentAt: number;
  at: number;
  status: number | 'no answer';
  result?: string;
  transactionId?: string;
}

async function pay(url: string, token: string, txn: string): Promise<Answer> {
  const sentAt = Date.now();
  const body = `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${txn},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":100.00,"amountFrom":100.00}`;
  try {
    const response = await fetch(`${url}/api/v20/pay`, {
      method: 'POST', body, signal: AbortSignal.timeout(5_000), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    const text = await response.text();
    const result = /"result"\s*:\s*"?(\d+)/.exec(text)?.[1];
    const transactionId = /"transactionId"\s*:\s*"?(\d+)/.exec(text)?.[1];
    return { sentAt, at: Date.now(), status: response.status, ...(result ? { result } : {}), ...(transactionId ? { transactionId } : {}) };
  } catch {
    return { sentAt, at: Date.now(), status: 'no answer' };
  }
}

async function main(db: HaDatabase, children: ChildProcess[], dirs: string[]): Promise<boolean> {
  const partners = await startChild(['--import', 'tsx', 'chaos/partners.ts'], {}, /\{"url":"(http:\/\/[^"]+)"\}/);
  children.push(partners.child);
  const schema = `follow_${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'tolem-follow-'));
  dirs.push(dataDir);
  const tolem = await startChild(['bin/tolem.js', 'start'], {
    DATABASE_URL: db.url, DB_SCHEMA: schema, QUEUE_SCHEMA: `${schema}_boss`, TOLEM_DATA: dataDir, PORT: String(port), HOST: '127.0.0.1',
    DEMO: 'false', SANDBOX_URL: `${partners.match[1]}/sandbox`, TOLEM_SECRETS_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'warn',
    RETRY_BASE_MS: '300', RETRY_MAX_MS: '3000', LEASE_MS: '1000', QUEUE_POLL_SECONDS: '0.5',
  }, /Tolem is up at http:\/\/\S+/);
  children.push(tolem.child);
  let exited: string | undefined;
  tolem.child.once('exit', (code, signal) => (exited = String(code ?? signal)));
  const store = await openDb({ databaseUrl: db.url, schema, dataDir: '' });
  const agent = await createAgent(store, { name: 'Follower', currency: 'KZT', openingBalanceMinor: 1_000_000_000n, confirmToken: true });
  await store.close();

  const answers: Answer[] = [];
  let txn = 900_000_000_000_000_000n;
  let loading = true;
  const loop = async () => {
    while (loading) {
      answers.push(await pay(`http://127.0.0.1:${port}`, agent.token!, (txn += 1n).toString()));
      await sleep(50);
    }
  };
  const loops = [loop(), loop(), loop()];
  await sleep(20_000);
  const killedAt = Date.now();
  const failover = await db.failover();
  await sleep(30_000);
  loading = false;
  await Promise.all(loops);

  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(`SET search_path TO ${schema}`);
    let unfinished = -1;
    for (let i = 0; i < 60 && unfinished !== 0; i++) {
      if (i > 0) await sleep(1_000);
      unfinished = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM payments WHERE state IN ('accepted', 'waiting')`)).rows[0]!.n;
    }
    const acked = answers.filter((answer) => answer.status === 200 && answer.result === '0');
    const succeeded = new Set((await client.query<{ id: string }>(`SELECT id::text AS id FROM payments WHERE state = 'succeeded'`)).rows.map((row) => row.id));
    const lost = acked.filter((answer) => !answer.transactionId || !succeeded.has(answer.transactionId)).length;
    // The first pay sent after the kill that was answered 0: when agents saw the hub paying again.
    const firstAfter = acked.find((answer) => answer.sentAt > killedAt);
    const outage = answers.filter((answer) => answer.at > killedAt && answer.sentAt < (firstAfter?.sentAt ?? Infinity) && !(answer.status === 200 && answer.result === '0'));
    const kind = (answer: Answer) => `HTTP ${answer.status}, result ${answer.result ?? '-'}`;
    const report = {
      failover, instanceExited: exited ?? false, pays: answers.length, acknowledged: acked.length, lost, unfinished,
      answersDuringFailover: Object.fromEntries([...new Set(outage.map(kind))].map((k) => [k, outage.filter((answer) => kind(answer) === k).length])),
      secondsFromKillToFirstAcknowledgedPay: firstAfter ? (firstAfter.at - killedAt) / 1000 : null,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS ${schema}_boss CASCADE`);
    return exited === undefined && firstAfter !== undefined && unfinished === 0 && lost === 0;
  } finally {
    await client.end();
  }
}

const db = await startHaDatabase();
const children: ChildProcess[] = [];
const dirs: string[] = [];
let passed = false;
try {
  passed = await main(db, children, dirs);
} finally {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await db.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
process.exit(passed ? 0 : 1);
