/**
 * The daily money proof (src/engine/money-proof.ts, docs/money-proof.md) over every business day the campaign's traffic
 * touched, made once the auditor has spoken and the hub's instances are stopped: each day's proof must be consistent,
 * the proved days must hold every transfer the campaign wrote, and — a planted check, clearly not the campaign's own
 * traffic — a transfer of a proved day edited in SQL afterwards must show when that day is computed again.
 *
 * The days: a proof covers one calendar day in every currency's own zone (KZT in UTC+05:00, KGS in UTC+06:00, others
 * in the hub's TOLEM_TZ, which the campaign leaves at its default +05:00), so the campaign proves every date from the
 * first transfer's local date to the last one's, in each currency's zone, oldest first: each proof chains to the one
 * before (the campaign's store starts empty, so the first has no predecessor).
 *
 * The clock: the engine refuses a day that is not over in every zone, and the campaign runs on the real clock, so its
 * last day (usually its only one) is still running. It proves each day through the engine with a clock set one second
 * after that day's end in its last zone. That is honest because the instances are stopped before: nothing can write a
 * transfer any more, so the ledger the proof reads is the one the real midnight would find. (A fresh instance with
 * TOLEM_CLOCK would do the same with a process more to start, and would run its sweeps and schedules on a clock hours
 * ahead of the transfers — not what is being proved.)
 */
import type { Clock } from '../src/domain/clock.ts';
import { currencyOffsetMinutes, proveDay, type ProofAnswer } from '../src/engine/money-proof.ts';
import { LOCAL_ACTOR } from '../src/engine/sessions.ts';
import { openDb, type Db } from '../src/store/db.ts';

/** The campaign's hub zone (its instances run with the default TOLEM_TZ): the day of a currency without a zone of its own. */
const HUB_OFFSET_MINUTES = 5 * 60;
const DAY_MS = 86_400_000;
/** The problems of one proof kept in the summary (the proof itself lists up to 100 of each kind). */
const LISTED = 10;

export interface CampaignProof {
  day: string;
  /** The currencies whose transfers fall in this day (the proof covers every currency of the ledger). */
  currencies: string[];
  ok: boolean;
  /** The failing checks, as the proof words them. */
  problems: string[];
  sha256: string;
  previousSha256: string | null;
}

export interface CampaignProofReport {
  proofs: CampaignProof[];
  /** Every transfer of the campaign lies inside a proved day of its currency. */
  covered: boolean;
  /** The planted edit: one transfer of a proved day, its amount raised by 1 in SQL, then that day computed again. */
  planted: { day: string; transferId: string; caught: boolean; changes: string[] } | null;
  errors: string[];
  ok: boolean;
}

interface Span {
  currency: string;
  first: Date;
  last: Date;
}

/** Proves the days of the campaign's store (on its schema): the summary's part, never a throw. */
export async function proveCampaignStore(databaseUrl: string, schema: string, log: (line: string) => void): Promise<CampaignProofReport> {
  let db: Db | undefined;
  try {
    db = await openDb({ databaseUrl, schema, dataDir: '' });
    return await proveCampaignDays(db, log);
  } catch (error) {
    log(`money proof failed: ${(error as Error).message}`);
    return { proofs: [], covered: false, planted: null, errors: [(error as Error).message.slice(0, 2_000)], ok: false };
  } finally {
    await db?.close();
  }
}

export async function proveCampaignDays(db: Db, log: (line: string) => void): Promise<CampaignProofReport> {
  const report: CampaignProofReport = { proofs: [], covered: false, planted: null, errors: [], ok: false };
  try {
    const spans = await transferSpans(db);
    const days = daysTouched(spans);
    for (const day of days) {
      const answer = await proveDay(db, LOCAL_ACTOR, day, afterDay(day, spans), HUB_OFFSET_MINUTES);
      const proof = summarise(answer, spans);
      report.proofs.push(proof);
      log(`money proof ${proof.day} (${proof.currencies.join(', ')}): ${proof.ok ? 'ok' : `NOT ok: ${proof.problems.join('; ')}`}, sha256 ${proof.sha256}`);
    }
    report.covered = covers(report.proofs, spans);
    if (!report.covered) report.errors.push(`the proved days ${days.join(', ')} do not hold every transfer (${spans.map(describeSpan).join('; ')})`);
    if (days.length > 0) report.planted = await plantedEdit(db, days.at(-1)!, spans);
    if (days.length > 0 && !report.planted) report.errors.push(`no posted transfer on ${days.at(-1)} to plant an edit on`);
    if (report.planted) log(`money proof, planted check: transfer ${report.planted.transferId} of ${report.planted.day} edited in SQL: ${report.planted.caught ? `caught (${report.planted.changes.join('; ')})` : 'NOT caught'}`);
  } catch (error) {
    report.errors.push((error as Error).message.slice(0, 2_000));
    log(`money proof failed: ${(error as Error).message}`);
  }
  report.ok = report.errors.length === 0 && report.proofs.length > 0 && report.proofs.every((p) => p.ok) && report.covered && report.planted?.caught === true;
  return report;
}

/** Per currency, the first and last transfer the campaign wrote (top-ups, reservations, settlements, reversals). */
async function transferSpans(db: Db): Promise<Span[]> {
  const rows = await db.query<{ currency: string; first: Date; last: Date }>(
    `SELECT a.currency, min(t.created_at) AS first, max(t.created_at) AS last
       FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.debit_account_id
      GROUP BY a.currency ORDER BY a.currency`);
  return rows.rows.map((row) => ({ currency: row.currency, first: new Date(row.first), last: new Date(row.last) }));
}

function offsetOf(currency: string): number {
  return currencyOffsetMinutes(currency, HUB_OFFSET_MINUTES);
}

/** The calendar date of an instant in a currency's zone. */
function localDay(instant: Date, currency: string): string {
  return new Date(instant.getTime() + offsetOf(currency) * 60_000).toISOString().slice(0, 10);
}

/** Every date from the earliest first local date to the latest last one, gaps included (the chain is day by day). */
function daysTouched(spans: Span[]): string[] {
  if (spans.length === 0) return [];
  const from = Math.min(...spans.map((s) => Date.parse(`${localDay(s.first, s.currency)}T00:00:00Z`)));
  const to = Math.max(...spans.map((s) => Date.parse(`${localDay(s.last, s.currency)}T00:00:00Z`)));
  const days: string[] = [];
  for (let at = from; at <= to; at += DAY_MS) days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}

/** The window of a day in a currency's zone, as money-proof.ts computes it. */
function window(day: string, currency: string): { from: number; to: number } {
  const from = Date.parse(`${day}T00:00:00Z`) - offsetOf(currency) * 60_000;
  return { from, to: from + DAY_MS };
}

/** A fixed clock one second after the day has ended in every zone of the ledger's currencies (the hub's too). */
function afterDay(day: string, spans: Span[]): Clock {
  const ends = [HUB_OFFSET_MINUTES, ...spans.map((s) => offsetOf(s.currency))].map((offset) => Date.parse(`${day}T00:00:00Z`) - offset * 60_000 + DAY_MS);
  const at = new Date(Math.max(...ends) + 1_000);
  return { now: () => at };
}

function summarise(answer: ProofAnswer, spans: Span[]): CampaignProof {
  const { proof } = answer;
  const currencies = spans.filter((s) => {
    const w = window(proof.day, s.currency);
    return s.first.getTime() < w.to && s.last.getTime() >= w.from;
  }).map((s) => s.currency);
  return {
    day: proof.day, currencies, ok: proof.ok && answer.changed.length === 0,
    problems: [...proof.body.problems, ...answer.changed.map((change) => `changed since it was proved: ${change}`)].slice(0, LISTED),
    sha256: proof.hash, previousSha256: proof.previousHash,
  };
}

/** Each currency's first and last transfer inside the windows its proofs covered (so no day of traffic went unproved). */
function covers(proofs: CampaignProof[], spans: Span[]): boolean {
  if (proofs.length === 0) return spans.length === 0;
  return spans.every((s) => {
    const from = window(proofs[0]!.day, s.currency).from;
    const to = window(proofs.at(-1)!.day, s.currency).to;
    return s.first.getTime() >= from && s.last.getTime() < to;
  });
}

function describeSpan(s: Span): string {
  return `${s.currency} ${s.first.toISOString()} – ${s.last.toISOString()}`;
}

/**
 * Planted, not the campaign's traffic: one posted transfer of the proved day gets 1 minor unit more in SQL, the day is
 * computed again (the engine compares it with the stored proof and lists what moved), and the edit is undone.
 */
async function plantedEdit(db: Db, day: string, spans: Span[]): Promise<CampaignProofReport['planted']> {
  const currency = spans.find((s) => localDay(s.last, s.currency) === day)?.currency ?? spans[0]!.currency;
  const { from, to } = window(day, currency);
  const target = (await db.query<{ id: string }>(
    `SELECT t.id::text FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.debit_account_id
      WHERE t.kind IN ('single', 'post') AND a.currency = $1 AND t.created_at >= $2 AND t.created_at < $3 ORDER BY t.id LIMIT 1`,
    [currency, new Date(from), new Date(to)])).rows[0];
  if (!target) return null;
  await db.query(`UPDATE ledger_transfers SET amount_minor = amount_minor + 1 WHERE id = $1`, [target.id]);
  try {
    const again = await proveDay(db, LOCAL_ACTOR, day, afterDay(day, spans), HUB_OFFSET_MINUTES);
    return { day, transferId: target.id, caught: !again.created && again.changed.length > 0, changes: again.changed.slice(0, LISTED) };
  } finally {
    await db.query(`UPDATE ledger_transfers SET amount_minor = amount_minor - 1 WHERE id = $1`, [target.id]);
  }
}
