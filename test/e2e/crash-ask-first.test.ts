/**
 * Ask before you pay, across a crash. The partner simulators here do NOT deduplicate: a repeated pay or charge moves
 * the money again, as a real partner that promises nothing would. In each scenario a Tolem child process makes a
 * money call, the partner commits it and hangs, and the child is killed with SIGKILL mid-call. A new instance on the
 * same store must take the payment up within seconds, ask the partner for the status before anything else, find the
 * money moved, settle — and never send the call again.
 */
import { describe, expect, it } from 'vitest';
import { agentApi, eventually, expectLedgerBalanced, type Harness } from '../helpers/harness.ts';
import { childStore, crashScene, killHard, startChild, type ChildStore, type ChildTolem } from '../helpers/child.ts';
import { newElsomAgent, postElsom, transferXml, txn as elsomTxn } from '../helpers/elsom.ts';
import { alsecoAdmin, alsecoBody, nextTxnId } from '../helpers/alseco.ts';
import { CARDS, chooseCard, followReturn, http, payOnAssist, startOrder } from '../helpers/checkout.ts';
import { migrate } from '../../src/store/migrate.ts';
import { readCatalogSeed, seedCatalog } from '../../src/engine/catalog.ts';
import { ASSIST_SANDBOX_ACCOUNT, assistSandboxKeys } from '../../src/sandbox/assist/keys.ts';
import type { Db } from '../../src/store/db.ts';

/**
 * From the restarted instance being up to the payment being final. The dead holder's lease lapses within LEASE_MS
 * (3 s) and the restarted hub takes the payment up at once: about 4 s on a quiet machine. The bound leaves room for a
 * CI machine running two test files at once (the checkout's charge once took 10 s there); the old code needed the
 * minute sweep.
 */
const RECOVERY_MS = 20_000;

// The partners live in their own server, so that they outlive the Tolem being killed.
const scene = crashScene();

function childEnv(store: ChildStore, extra: Record<string, string> = {}): Record<string, string> {
  // Long deadlines: the child must still be inside its call when it is killed.
  return {
    ...store.env, PORT: '0', LOG_LEVEL: 'warn', DEMO: 'true', SANDBOX_URL: `${scene.partners.url}/sandbox`, QUEUE_POLL_SECONDS: '0.5',
    PROVIDER_DEADLINE_MS: '20000', PROVIDER_TIMEOUT_MS: '20000', CHECKOUT_ACQUIRER_TIMEOUT_MS: '20000', ...extra,
  };
}

interface Crash<T> {
  /** Starts the money call on the child; resolves once it has been sent (its answer never comes). */
  send(child: ChildTolem): Promise<void>;
  /** What the partner committed, once it has. */
  committed(): Promise<T | undefined>;
  /** The partner stops hanging (it keeps not deduplicating). */
  afterKill(): Promise<void> | void;
  env?: Record<string, string>;
}

/** Runs the call on a child, kills it mid-call once the partner committed, and starts a new instance on its store. */
async function crashMidCall<T>(store: ChildStore, crash: Crash<T>): Promise<{ db: Db; restarted: Harness; committed: T }> {
  const first = await startChild(childEnv(store, crash.env));
  scene.children.push(first.child);
  await crash.send(first);
  const committed = await eventually(crash.committed, 30_000, 50);
  await killHard(first.child);
  await crash.afterKill();
  const { db, restarted } = await scene.restartOn(store);
  return { db, restarted, committed };
}

async function finalWithinSeconds(db: Db, paymentId: bigint): Promise<string> {
  return eventually(async () => {
    const state = (await db.query<{ state: string }>('SELECT state FROM payments WHERE id = $1', [paymentId])).rows[0]?.state;
    return state === 'succeeded' || state === 'failed' ? state : undefined;
  }, RECOVERY_MS, 100);
}

/** The one call the child made was recorded before it left, and never answered: the child died waiting. */
async function expectOneUnansweredAttempt(db: Db, paymentId: bigint, kind: 'pay' | 'charge'): Promise<void> {
  const rows = (await db.query<{ answered_at: Date | null }>('SELECT answered_at FROM outbound_attempts WHERE payment_id = $1 AND kind = $2', [paymentId, kind])).rows;
  expect(rows).toHaveLength(1);
  expect(rows[0]!.answered_at).toBeNull();
}

/** The calls that followed the first money call (which must be there). */
function callsAfter(ops: string[], first: string): string[] {
  const index = ops.indexOf(first);
  expect(index, ops.join(',')).toBeGreaterThanOrEqual(0);
  return ops.slice(index + 1);
}

const swallow = (work: Promise<unknown>) => void work.catch(() => undefined);

describe('a hub killed mid-call asks before it pays again, and recovers within seconds', () => {
  it('agent API pay to a sandbox provider', { timeout: 120_000 }, async () => {
    const mobile = scene.partners.tolem.ctx.sandbox!.simulators.get('mobile')!;
    mobile.setFaults({ dedupe: false, hangAfterCommitRate: 1, hangMs: 60_000 });
    const account = '7770054321';
    const body = `{"serviceId":"P1011","account":"${account}","agentTransactionId":710000000000000001,"agentTransactionDate":"2026-11-22T10:00:00","amountTo":150.00,"amountFrom":150.00}`;
    const { db, committed: reference } = await crashMidCall(childStore(), {
      send: async (child) => swallow(agentApi(child.url, child.token)('pay', body)),
      committed: async () => mobile.committed().find((p) => p.account === account)?.reference,
      afterKill: () => void mobile.setFaults({ hangAfterCommitRate: 0 }),
    });
    expect(await finalWithinSeconds(db, BigInt(reference))).toBe('succeeded');
    expect(mobile.committed().filter((p) => p.reference === reference)).toHaveLength(1);
    const ops = mobile.calls().filter((c) => c.reference === reference).map((c) => c.op);
    expect(callsAfter(ops, 'pay')).toEqual(['status']);
    await expectOneUnansweredAttempt(db, BigInt(reference), 'pay');
    await expectLedgerBalanced(db);
  });

  it('Elsom biller PAYMENT', { timeout: 120_000 }, async () => {
    const mobileKg = scene.partners.tolem.ctx.sandbox!.simulators.get('mobile-kg')!;
    mobileKg.setFaults({ dedupe: false, hangAfterCommitRate: 1, hangMs: 60_000 });
    const store = childStore();
    const setup = await store.open();
    await migrate(setup);
    await setup.tx((q) => seedCatalog(q, readCatalogSeed(new URL('../../config/catalog.json', import.meta.url).pathname)));
    await newElsomAgent(setup);
    await setup.close();
    const account = '996705551234';
    const number = elsomTxn();
    const { db, committed: reference } = await crashMidCall(store, {
      send: async (child) => {
        const authorized = await postElsom(`${child.url}/elsom`, transferXml({ transactionNumber: number, account }));
        expect(authorized.response.resultCode).toBe(0);
        swallow(postElsom(`${child.url}/elsom`, transferXml({ type: 2, transactionNumber: number, account })));
      },
      committed: async () => mobileKg.committed().find((p) => p.account === account)?.reference,
      afterKill: () => void mobileKg.setFaults({ hangAfterCommitRate: 0 }),
    });
    expect(await finalWithinSeconds(db, BigInt(reference))).toBe('succeeded');
    expect(mobileKg.committed().filter((p) => p.reference === reference)).toHaveLength(1);
    const ops = mobileKg.calls().filter((c) => c.reference === reference).map((c) => c.op);
    expect(callsAfter(ops, 'pay')).toEqual(['status']);
    await expectOneUnansweredAttempt(db, BigInt(reference), 'pay');
    await expectLedgerBalanced(db);
  });

  it('Alseco Pay, asked after by SysRef through its payment information (getPaysInfo)', { timeout: 120_000 }, async () => {
    const admin = alsecoAdmin(scene.partners.url);
    await admin.faults({ dedupe: false, hangAfterCommitRate: 1, hangMs: 60_000, methods: ['Pay'] });
    const known = new Set((await admin.payments()).payments.map((p) => p.sysRef));
    const body = alsecoBody({ account: '0000100117', id: nextTxnId(), lines: [{ subServiceId: '45', amountMinor: 64_000n }] });
    const { db, committed: sysRef } = await crashMidCall(childStore(), {
      send: async (child) => swallow(agentApi(child.url, child.token)('pay', body)),
      committed: async () => (await admin.payments()).payments.find((p) => !known.has(p.sysRef))?.sysRef,
      afterKill: async () => void (await admin.faults({ hangAfterCommitRate: 0 })),
    });
    expect(await finalWithinSeconds(db, BigInt(sysRef))).toBe('succeeded');
    expect((await admin.payments()).payments.filter((p) => p.sysRef === sysRef && !p.rolledBack)).toHaveLength(1);
    const journal = (await (await fetch(`${scene.partners.url}/sandbox/alseco/calls`)).json()) as { method: string; sysRefs?: string[] }[];
    const mine = journal.filter((call) => call.method === 'getPaysInfo' || call.sysRefs?.includes(sysRef)).map((call) => call.method);
    const after = callsAfter(mine, 'Pay');
    expect(after).not.toContain('Pay');
    expect(after[0]).toBe('getPaysInfo');
    await expectOneUnansweredAttempt(db, BigInt(sysRef), 'pay');
    await expectLedgerBalanced(db);
    await admin.clearFaults();
  });

  it("the checkout's charge of a card hold (Assist)", { timeout: 120_000 }, async () => {
    scene.partners.tolem.ctx.sandbox!.simulators.get('mobile')!.setFaults({ dedupe: false, hangAfterCommitRate: 0 });
    const assistFaults = (faults: Record<string, unknown>) =>
      http(`${scene.partners.url}/sandbox/assist/faults`, { body: JSON.stringify(faults), headers: { 'content-type': 'application/json' } });
    await assistFaults({ dedupe: false, hangAfterCommitRate: 1, hangMs: 60_000 });
    // Both instances use the scene.partners' Assist (as a real one: its URL, credentials and public key).
    const assistEnv: Record<string, string> = {
      ASSIST_URL: `${scene.partners.url}/sandbox/assist`, ASSIST_MERCHANT_ID: ASSIST_SANDBOX_ACCOUNT.merchantId, ASSIST_LOGIN: ASSIST_SANDBOX_ACCOUNT.login,
      ASSIST_PASSWORD: ASSIST_SANDBOX_ACCOUNT.password, ASSIST_PUBLIC_KEY: assistSandboxKeys().publicKeyPem,
    };
    const saved = Object.fromEntries(Object.keys(assistEnv).map((key) => [key, process.env[key]]));
    Object.assign(process.env, assistEnv);
    scene.cleanups.push(async () => {
      for (const [key, value] of Object.entries(saved)) if (value === undefined) delete process.env[key]; else process.env[key] = value;
    });
    type SimOrder = { orderNumber: string; state: string; chargedMinor: string; captures: number; calls: string[] };
    const simOrder = async (orderNumber: string) => (JSON.parse((await http(`${scene.partners.url}/sandbox/assist/orders`)).text) as SimOrder[]).find((o) => o.orderNumber === orderNumber);
    let orderNumber = '';
    const { db } = await crashMidCall(childStore(), {
      env: assistEnv,
      send: async (child) => {
        const site = { url: child.url } as Harness;
        const token = await startOrder(site, 'P1011', { account: '7011239876' });
        const form = await chooseCard(site, token, { amount: '500.00' });
        orderNumber = Object.fromEntries(form.fields)['OrderNumber']!;
        // The return kicks the order (hold → provider → charge): the charge hangs, so the return is not awaited.
        swallow(payOnAssist(form, CARDS.approve).then((answer) => followReturn(site, answer)));
      },
      committed: async () => ((await simOrder(orderNumber))?.captures ?? 0) >= 1 ? true : undefined,
      afterKill: async () => void (await assistFaults({ hangAfterCommitRate: 0 })),
    });
    const paymentId = BigInt(orderNumber);
    const order = await eventually(async () => {
      const row = (await db.query<{ state: string }>('SELECT state FROM checkout_orders WHERE payment_id = $1', [paymentId])).rows[0];
      return row?.state === 'succeeded' ? row : undefined;
    }, RECOVERY_MS, 100);
    expect(order.state).toBe('succeeded');
    const sim = (await simOrder(orderNumber))!;
    expect(sim).toMatchObject({ state: 'Approved', captures: 1, chargedMinor: '50000' });
    const after = callsAfter(sim.calls, 'charge');
    expect(after).not.toContain('charge');
    expect(after[0]).toBe('orderstate');
    await expectOneUnansweredAttempt(db, paymentId, 'charge');
    await expectLedgerBalanced(db);
  });
});
