import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { agentApi, eventually, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import { EXCHANGE_BODY_LIMIT, ExchangeJournal, type OutboundExchange } from '../../src/engine/exchanges.ts';
import { listExchanges, paymentTimeline, type StateEntry, type TimelineEntry } from '../../src/engine/timeline.ts';
import { ShiftedClock } from '../../src/domain/clock.ts';

/**
 * The timeline's parts on a real database: the history of states written with each change (check, pay, cancel,
 * reversal, funds waiting), the ledger transfers, and the journal's own rules — masked before cut, a failed write
 * logged and never thrown, exchanges of a call made before its payment existed attached to it afterwards.
 */
let h: Harness;
let api: ReturnType<typeof agentApi>;
let agentId: bigint;
let nextId = 620_000_000_000_000_000n;
const txn = () => (nextId += 1n).toString();

beforeAll(async () => {
  h = await startTolem({ jobs: false });
  const agent = await newAgent(h.db, { openingBalanceMinor: 100_000n });
  agentId = agent.id;
  api = agentApi(h.url, agent.token);
});
afterAll(async () => h?.close());

const body = (id: string, amount = '100.00') =>
  `{"serviceId":"P1011","account":"7770017711","agentTransactionId":${id},"agentTransactionDate":"2026-11-22T10:00:00","amountTo":${amount},"amountFrom":${amount}}`;
const checkBody = (id: string) => body(id);

async function timelineOf(transactionId: string): Promise<TimelineEntry[]> {
  await h.tolem.ctx.engine.exchanges.idle();
  return paymentTimeline(h.db, BigInt(transactionId));
}
const states = (entries: TimelineEntry[]) =>
  entries.filter((entry): entry is StateEntry => entry.kind === 'state').map((entry) => `${entry.fromState ?? '-'}→${entry.toState} ${entry.resultCode}`);

/** The operations of the calls we made (the agent's own requests are recorded too, as inbound). */
const outboundCalls = (entries: TimelineEntry[]) => entries.flatMap((entry) => (entry.kind === 'exchange' && entry.exchange.direction === 'outbound' ? [entry.exchange.operation] : []));

/** A sink for the journal's log, to read what it said. */
function capturedLog() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
  return { log: pino({ level: 'error' }, stream), lines };
}

describe('the history of states', () => {
  it('check, pay, success: each change once, in order, with its code', async () => {
    const id = txn();
    const checked = await api('check', checkBody(id));
    expect(num(checked.body.result)).toBe('0');
    const paid = await api('pay', body(id));
    expect(num(paid.body.result)).toBe('0');
    const entries = await timelineOf(num(paid.body.transactionId));
    expect(states(entries)).toEqual(['-→checked 0', 'checked→accepted 1', 'accepted→succeeded 0']);
    expect(entries.filter((entry) => entry.kind === 'transfer').map((entry) => entry.kind === 'transfer' && entry.transferKind)).toEqual(['pending', 'post']);
    // The check's own exchange was made before its payment existed, and is attached to it.
    const calls = outboundCalls(entries);
    expect(calls).toEqual(['check', 'pay']);
  });

  it('a cancelled check and a reversed payment', async () => {
    const id = txn();
    const checked = await api('check', checkBody(id));
    await h.tolem.ctx.engine.cancel(agentId, BigInt(id), 'changed mind');
    const cancelled = await timelineOf(num(checked.body.transactionId));
    expect(states(cancelled)).toEqual(['-→checked 0', 'checked→failed 300']);
    expect(cancelled.find((entry) => entry.kind === 'state' && entry.toState === 'failed')).toMatchObject({ note: 'cancelled: changed mind' });

    const payId = txn();
    const paid = await api('pay', body(payId));
    const answer = await h.tolem.ctx.engine.cancel(agentId, BigInt(payId), 'agent asked');
    expect(answer.kind).toBe('cancelled');
    const reversed = await timelineOf(num(paid.body.transactionId));
    expect(states(reversed)).toEqual(['-→accepted 1', 'accepted→succeeded 0', 'succeeded→cancelled 0']);
    const transfers = reversed.filter((entry) => entry.kind === 'transfer');
    expect(transfers.map((entry) => entry.kind === 'transfer' && entry.transferKind)).toEqual(['pending', 'post', 'single']);
    expect(transfers[2]).toMatchObject({ debitAccount: 'provider:sandbox-mobile:KZT', creditAccount: `agent:${agentId}`, amountMinor: '10000', currency: 'KZT' });
    expect(outboundCalls(reversed)).toEqual(['pay', 'cancel']);
  });

  it('a pay beyond the balance waits (220) after its acceptance', async () => {
    const paid = await api('pay', body(txn(), '5000.00'));
    expect(num(paid.body.result)).toBe('220');
    expect(states(await timelineOf(num(paid.body.transactionId)))).toEqual(['-→accepted 1', 'accepted→waiting 220']);
  });

  it('an unknown payment has an empty timeline; a queue schema that does not exist adds nothing', async () => {
    expect(await paymentTimeline(h.db, 999_999_999_999_999_999n)).toEqual([]);
    const paid = await api('pay', body(txn()));
    const id = BigInt(num(paid.body.transactionId));
    // The agent's own request is journalled after its answer has left: wait for it, so both reads below see one history.
    await eventually(async () => ((await paymentTimeline(h.db, id)).some((e) => e.kind === 'exchange' && e.exchange.direction === 'inbound') ? true : undefined));
    await h.tolem.ctx.engine.exchanges.idle();
    const entries = await paymentTimeline(h.db, id, { queueSchema: 'no_such_schema' });
    expect(entries.some((entry) => entry.kind === 'job' && entry.source === 'queue')).toBe(false);
    expect(await paymentTimeline(h.db, id, { queueSchema: 'bad; DROP TABLE payments' })).toEqual(entries);
  });
});

function exchange(requestBody: string, responseBody = '{"status":"paid"}'): OutboundExchange {
  return {
    method: 'POST', url: 'http://127.0.0.1:1/partner/pay?token=abc', requestHeaders: { authorization: 'Basic dXNlcjpwYXNz', 'content-type': 'application/json' },
    requestBody, outcome: 'response', responseStatus: 200, responseHeaders: { 'content-type': 'application/json; charset=utf-8' },
    responseBody: Buffer.from(responseBody), responseTruncated: false, error: undefined, durationMs: 12,
  };
}

describe('the journal', () => {
  it('masks a body whole before cutting it at 64 KiB, and flags the cut', async () => {
    const paid = await api('pay', body(txn()));
    const paymentId = BigInt(num(paid.body.transactionId));
    const { log } = capturedLog();
    const journal = new ExchangeJournal(h.db, new ShiftedClock(new Date('2027-01-01T00:00:00+06:00')), log);
    // The password starts before the cut and ends after it: a cut first would leave its start unmasked.
    const huge = `{"filler":"${'x'.repeat(EXCHANGE_BODY_LIMIT - 20)}","password":"hunter2-hunter2-hunter2"}`;
    journal.write({ paymentId, partner: 'test-partner', operation: 'pay' }, [exchange(huge)]);
    await journal.idle();
    const stored = (await listExchanges(h.db, { paymentId })).find((row) => row.partner === 'test-partner')!;
    expect(stored.requestTruncated).toBe(true);
    expect(stored.requestBody).toHaveLength(EXCHANGE_BODY_LIMIT);
    expect(stored.requestBody).not.toContain('hunt');
    expect(stored.requestHeaders).toEqual({ authorization: '***', 'content-type': 'application/json' });
    expect(stored.url).toBe('http://127.0.0.1:1/partner/pay?token=***');
    expect(stored.responseTruncated).toBe(false);
    // Dated by the journal's clock: when the call began, 12 ms before it was written.
    expect(Math.abs(stored.startedAt.getTime() - Date.parse('2027-01-01T00:00:00+06:00'))).toBeLessThan(60_000);
  });

  it('a write that fails is logged and never thrown; the other writes go on', async () => {
    const { log, lines } = capturedLog();
    const journal = new ExchangeJournal(h.db, h.tolem.ctx.clock, log);
    journal.write({ paymentId: 999_999_999_999_999_998n, partner: 'test-partner', operation: 'pay' }, [exchange('{}')]);
    journal.write({ paymentId: null, partner: 'test-orphan', operation: 'check' }, [exchange('{"a":1}')]);
    await journal.idle();
    expect(lines.join('')).toContain('partner exchange not recorded');
    const orphans = await h.db.query<{ n: bigint }>(`SELECT count(*) AS n FROM partner_exchanges WHERE partner = 'test-orphan' AND payment_id IS NULL`);
    expect(orphans.rows[0]!.n).toBe(1n);
  });

  it('decodes an answer in the charset it names', async () => {
    const paid = await api('pay', body(txn()));
    const paymentId = BigInt(num(paid.body.transactionId));
    const journal = new ExchangeJournal(h.db, h.tolem.ctx.clock, capturedLog().log);
    const text = '<?xml version="1.0" encoding="windows-1251"?><response><extra name="disp1">Иванов</extra></response>';
    const answer = { ...exchange('<request/>'), responseHeaders: { 'content-type': 'text/xml' }, responseBody: new Uint8Array(new TextEncoderLike('windows-1251').encode(text)) };
    journal.write({ paymentId, partner: 'test-1251', operation: 'pay' }, [answer]);
    await journal.idle();
    const stored = (await listExchanges(h.db, { paymentId })).find((row) => row.partner === 'test-1251')!;
    expect(stored.responseBody).toBe(text);
  });
});

/** windows-1251 bytes of Cyrillic text (TextEncoder writes only UTF-8). */
class TextEncoderLike {
  constructor(private readonly charset: 'windows-1251') {}
  encode(text: string): number[] {
    const decoder = new TextDecoder(this.charset);
    const table = new Map<string, number>();
    for (let byte = 0; byte < 256; byte += 1) table.set(decoder.decode(new Uint8Array([byte])), byte);
    return [...text].map((char) => table.get(char) ?? 0x3f);
  }
}
