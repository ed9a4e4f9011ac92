/**
 * The daily money proof: for each currency and business day, every ledger account's opening balance plus the day's
 * funding, payments and corrections equals its closing balance; the ledger sums to zero; the opening balances are the
 * closing balances the previous day's proof stored (so a transfer of a proved day edited afterwards shows the next
 * day); every payment the day's transfers touched moved exactly what its state says (a succeeded payment its amount
 * from the agent to the provider, any other nothing); the cached agent totals equal their transfers; the payments not
 * yet final are listed with their age. The proof is stored, hashed and chained to the previous one, and signed by the
 * operator who closes the day (never the one who made it, when both are operators).
 *
 * Reads the transfers themselves, never the cached totals, for the balances. The business day is the partner's: KZT in
 * Kazakhstan's zone, KGS in Kyrgyzstan's; a day is proved only once it is over in every zone.
 */
import { createHash } from 'node:crypto';
import { Gauge, type Registry } from 'prom-client';
import type { Clock } from '../domain/clock.ts';
import { formatAmount } from '../domain/money.ts';
import type { Db, Queryable } from '../store/db.ts';
import { checkInvariants } from '../ledger/ledger.ts';
import { appendAudit } from './audit.ts';
import { canonicalJson } from './canonical.ts';
import { ServiceError } from './errors.ts';
import type { Actor } from './sessions.ts';

/** The business day's zone per currency, in minutes east of UTC; other currencies take the hub's. */
const CURRENCY_ZONES: Record<string, number> = { KZT: 5 * 60, KGS: 6 * 60 };

/** The zone (minutes east of UTC) of a currency's business day: an agent's registry day is its currency's. */
export function currencyOffsetMinutes(currency: string, hubOffsetMinutes: number): number {
  return CURRENCY_ZONES[currency] ?? hubOffsetMinutes;
}
/** At most this many problems of one kind are listed (the count is always exact). */
const LISTED = 100;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface ProofAccount {
  code: string;
  kind: string;
  currency: string;
  opening: string;
  /** With funding and acquirer accounts: top-ups, money taken by card or wallet at the checkout. */
  funding: string;
  /** With agents' and providers' accounts: payments (negative for the agent), reversals (positive). */
  payments: string;
  /** With correction accounts. */
  corrections: string;
  closing: string;
}

export interface ProofBody {
  day: string;
  generatedAt: string;
  windows: { currency: string; zone: string; from: string; to: string }[];
  accounts: ProofAccount[];
  /** Per currency, the sums of every account's posted and pending balances at the day's end: both must be 0. */
  totals: { currency: string; posted: string; pending: string }[];
  unfinished: { transactionId: string; state: string; provider: string; createdAt: string; ageSeconds: number }[];
  previousDay: string | null;
  problems: string[];
}

export interface StoredProof {
  day: string;
  ok: boolean;
  hash: string;
  previousHash: string | null;
  createdAt: Date;
  createdBy: string;
  signedBy: string | null;
  signedAt: Date | null;
  body: ProofBody;
}

export interface ProofAnswer {
  proof: StoredProof;
  /** False when the day had a proof already: it was computed again and compared (`changed` lists what moved since). */
  created: boolean;
  changed: string[];
}

/** Proves a day (stores the proof), or, for a day proved before, computes it again and says what changed since. */
export async function proveDay(db: Db, actor: Actor, day: string, clock: Clock, hubOffsetMinutes: number): Promise<ProofAnswer> {
  if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw new ServiceError('invalid', 'bad_day', 'day must be YYYY-MM-DD');
  const stored = await findProof(db, day);
  const previous = await previousProof(db, day);
  const body = await computeProof(db, day, clock, hubOffsetMinutes, previous);
  if (stored) return { proof: stored, created: false, changed: differences(stored.body, body) };
  const hash = proofHash(previous?.hash ?? null, body);
  const by = actorLabel(actor);
  const inserted = await db.tx(async (q) => {
    const row = (await q.query<ProofRow>(
      `INSERT INTO money_proofs (day, body, ok, hash, previous_hash, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (day) DO NOTHING RETURNING *, day::text AS day_text`,
      [day, JSON.stringify(body), body.problems.length === 0, hash, previous?.hash ?? null, clock.now(), by],
    )).rows[0];
    if (row) await appendAudit(q, actor, { action: 'money_proof.create', targetKind: 'money_proof', targetId: day, after: { ok: row.ok, hash } }, clock);
    return row;
  });
  // A concurrent run stored the day first: answer as a repeat of it.
  if (!inserted) return { proof: (await findProof(db, day))!, created: false, changed: [] };
  return { proof: toProof(inserted), created: true, changed: [] };
}

/** The operator who closes the day signs its proof: recorded with the proof and in the audit log. */
export async function signProof(db: Db, actor: Actor, day: string, clock: Clock): Promise<StoredProof> {
  const proof = await findProof(db, day);
  if (!proof) throw new ServiceError('not_found', 'proof_not_found', `no money proof for ${day}`);
  if (proof.signedBy) throw new ServiceError('conflict', 'proof_signed', `the proof of ${day} was signed by ${proof.signedBy}`);
  const by = actorLabel(actor);
  if (actor.principal.kind === 'operator' && by === proof.createdBy) {
    throw new ServiceError('conflict', 'same_operator', 'the proof is signed by another operator than the one who made it');
  }
  const signed = await db.tx(async (q) => {
    const row = (await q.query<ProofRow>(
      `UPDATE money_proofs SET signed_by = $2, signed_at = $3 WHERE day = $1 AND signed_by IS NULL RETURNING *, day::text AS day_text`, [day, by, clock.now()])).rows[0];
    if (row) await appendAudit(q, actor, { action: 'money_proof.sign', targetKind: 'money_proof', targetId: day, after: { hash: proof.hash, ok: proof.ok } }, clock);
    return row;
  });
  if (!signed) throw new ServiceError('conflict', 'proof_signed', `the proof of ${day} is signed already`);
  return toProof(signed);
}

export async function findProof(q: Queryable, day: string): Promise<StoredProof | undefined> {
  if (!DAY.test(day)) return undefined;
  const found = await q.query<ProofRow>(`SELECT *, day::text AS day_text FROM money_proofs WHERE day = $1`, [day]);
  return found.rows[0] ? toProof(found.rows[0]) : undefined;
}

export async function listProofs(q: Queryable, limit = 60): Promise<Omit<StoredProof, 'body'>[]> {
  const rows = await q.query<ProofRow>(`SELECT *, day::text AS day_text FROM money_proofs ORDER BY day DESC LIMIT $1`, [Math.min(Math.max(limit, 1), 366)]);
  return rows.rows.map((row) => {
    const { body: _body, ...rest } = toProof(row);
    return rest;
  });
}

/** The chain from the first stored proof: each hash recomputed from its body and its predecessor's hash. */
export async function verifyProofChain(q: Queryable): Promise<{ ok: boolean; proofs: number; brokenAt: string | null }> {
  const rows = await q.query<ProofRow>(`SELECT *, day::text AS day_text FROM money_proofs ORDER BY day`);
  let previous: string | null = null;
  for (const row of rows.rows) {
    const proof = toProof(row);
    if (proof.previousHash !== previous || proofHash(previous, proof.body) !== proof.hash) return { ok: false, proofs: rows.rows.length, brokenAt: proof.day };
    previous = proof.hash;
  }
  return { ok: true, proofs: rows.rows.length, brokenAt: null };
}

/** The latest proof's verdict, for /metrics. */
export async function latestVerdict(q: Queryable): Promise<{ day: string; ok: boolean; signed: boolean } | undefined> {
  const row = (await q.query<ProofRow>(`SELECT *, day::text AS day_text FROM money_proofs ORDER BY day DESC LIMIT 1`)).rows[0];
  return row ? { day: row.day_text, ok: row.ok, signed: row.signed_by !== null } : undefined;
}

/** `tolem_money_proof_ok{day}`: the latest proof's verdict (1 consistent, 0 not), read from the store at each scrape. */
export function exportProofVerdict(registry: Registry, q: Queryable): void {
  new Gauge({
    name: 'tolem_money_proof_ok', help: 'Verdict of the latest daily money proof (1: consistent, 0: inconsistent), by its day; signed=true once an operator signed it',
    labelNames: ['day', 'signed'], registers: [registry],
    async collect() {
      this.reset();
      const latest = await latestVerdict(q).catch(() => undefined);
      if (latest) this.set({ day: latest.day, signed: String(latest.signed) }, latest.ok ? 1 : 0);
    },
  });
}

// ---------------------------------------------------------------- computing

async function computeProof(q: Queryable, day: string, clock: Clock, hubOffsetMinutes: number, previous: StoredProof | undefined): Promise<ProofBody> {
  const now = clock.now();
  const currencies = (await q.query<{ currency: string }>(`SELECT DISTINCT currency FROM ledger_accounts ORDER BY currency`)).rows.map((row) => row.currency);
  const windows = currencies.map((currency) => dayWindow(day, currencyOffsetMinutes(currency, hubOffsetMinutes), currency));
  const unfinishedDay = windows.find((window) => window.to > now);
  if (unfinishedDay) throw new ServiceError('conflict', 'day_not_over', `${day} is not over yet in ${unfinishedDay.zone} (${unfinishedDay.currency})`);
  const accounts = await accountMovements(q, windows);
  const totals = currencyTotals(accounts, await pendingTotals(q, windows));
  const problems = [
    ...totals.filter((t) => t.posted !== '0' || t.pending !== '0').map((t) => `${t.currency}: the ledger does not sum to zero at the day's end (posted ${t.posted}, pending ${t.pending})`),
    ...arithmeticProblems(accounts),
    ...chainProblems(accounts, previous, day),
    ...(await paymentProblems(q, windows)),
    ...(await resolutionProblems(q, windows)),
    ...(await checkInvariants(q)).problems.map((problem) => `now: ${problem}`),
  ];
  return {
    day, generatedAt: now.toISOString(),
    windows: windows.map((w) => ({ currency: w.currency, zone: w.zone, from: w.from.toISOString(), to: w.to.toISOString() })),
    accounts: accounts.map((a) => ({ ...a, opening: a.opening.toString(), funding: a.funding.toString(), payments: a.payments.toString(), corrections: a.corrections.toString(), closing: a.closing.toString() })),
    totals, unfinished: await unfinishedPayments(q, now), previousDay: previous?.day ?? null, problems,
  };
}

interface Window {
  currency: string;
  zone: string;
  from: Date;
  to: Date;
}

function dayWindow(day: string, offsetMinutes: number, currency: string): Window {
  const midnightUtc = Date.parse(`${day}T00:00:00Z`);
  const from = new Date(midnightUtc - offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return { currency, zone: `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`, from, to: new Date(from.getTime() + 86_400_000) };
}

interface Movement {
  code: string;
  kind: string;
  currency: string;
  opening: bigint;
  funding: bigint;
  payments: bigint;
  corrections: bigint;
  closing: bigint;
}

/** Every account's posted balance at the day's start and end, and the day's posted movements by counterparty. */
async function accountMovements(q: Queryable, windows: Window[]): Promise<Movement[]> {
  const rows = await q.query<{ code: string; kind: string; currency: string; opening: string; funding: string; payments: string; corrections: string; closing: string }>(
    `WITH w AS (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS w(currency, day_from, day_to)),
          sides AS (
            SELECT t.credit_account_id AS account_id, t.debit_account_id AS other_id, t.amount_minor AS amount, t.created_at
              FROM ledger_transfers t WHERE t.kind IN ('single', 'post')
            UNION ALL
            SELECT t.debit_account_id, t.credit_account_id, -t.amount_minor, t.created_at
              FROM ledger_transfers t WHERE t.kind IN ('single', 'post'))
     SELECT a.code, a.kind, a.currency,
            COALESCE(SUM(s.amount) FILTER (WHERE s.created_at < w.day_from), 0)::text AS opening,
            COALESCE(SUM(s.amount) FILTER (WHERE s.created_at >= w.day_from AND s.created_at < w.day_to AND o.kind IN ('funding', 'acquirer')), 0)::text AS funding,
            COALESCE(SUM(s.amount) FILTER (WHERE s.created_at >= w.day_from AND s.created_at < w.day_to AND o.kind IN ('agent', 'provider')), 0)::text AS payments,
            COALESCE(SUM(s.amount) FILTER (WHERE s.created_at >= w.day_from AND s.created_at < w.day_to AND o.kind = 'correction'), 0)::text AS corrections,
            COALESCE(SUM(s.amount) FILTER (WHERE s.created_at < w.day_to), 0)::text AS closing
       FROM ledger_accounts a JOIN w ON w.currency = a.currency
       LEFT JOIN sides s ON s.account_id = a.id
       LEFT JOIN ledger_accounts o ON o.id = s.other_id
      GROUP BY a.code, a.kind, a.currency
      ORDER BY a.currency, a.kind, a.code`,
    [windows.map((w) => w.currency), windows.map((w) => w.from), windows.map((w) => w.to)],
  );
  return rows.rows.map((row) => ({
    code: row.code, kind: row.kind, currency: row.currency, opening: BigInt(row.opening), funding: BigInt(row.funding),
    payments: BigInt(row.payments), corrections: BigInt(row.corrections), closing: BigInt(row.closing),
  }));
}

/** Per currency, the pending (reserved) balances summed at the day's end: reservations made minus those resolved. */
async function pendingTotals(q: Queryable, windows: Window[]): Promise<Map<string, bigint>> {
  const rows = await q.query<{ currency: string; pending: string }>(
    `WITH w AS (SELECT * FROM unnest($1::text[], $2::timestamptz[]) AS w(currency, day_to))
     SELECT a.currency, COALESCE(SUM(CASE WHEN t.kind = 'pending' THEN side.sign * t.amount_minor ELSE -side.sign * t.amount_minor END), 0)::text AS pending
       FROM ledger_transfers t
       CROSS JOIN LATERAL (VALUES (t.debit_account_id, -1), (t.credit_account_id, 1)) AS side(account_id, sign)
       JOIN ledger_accounts a ON a.id = side.account_id
       JOIN w ON w.currency = a.currency
      WHERE t.kind IN ('pending', 'post', 'void') AND t.created_at < w.day_to
      GROUP BY a.currency`,
    [windows.map((w) => w.currency), windows.map((w) => w.to)],
  );
  return new Map(rows.rows.map((row) => [row.currency, BigInt(row.pending)]));
}

function currencyTotals(accounts: Movement[], pending: Map<string, bigint>): ProofBody['totals'] {
  const posted = new Map<string, bigint>();
  for (const account of accounts) posted.set(account.currency, (posted.get(account.currency) ?? 0n) + account.closing);
  return [...posted.entries()].map(([currency, sum]) => ({ currency, posted: sum.toString(), pending: (pending.get(currency) ?? 0n).toString() }));
}

function arithmeticProblems(accounts: Movement[]): string[] {
  return accounts
    .filter((a) => a.opening + a.funding + a.payments + a.corrections !== a.closing)
    .slice(0, LISTED)
    .map((a) => `${a.code}: opening ${a.opening} + funding ${a.funding} + payments ${a.payments} + corrections ${a.corrections} ≠ closing ${a.closing}`);
}

/** The day's opening balances against the closing balances the previous day's proof stored. */
function chainProblems(accounts: Movement[], previous: StoredProof | undefined, day: string): string[] {
  if (!previous || previous.day !== dayBefore(day)) return [];
  const closed = new Map(previous.body.accounts.map((a) => [a.code, BigInt(a.closing)]));
  return accounts
    .filter((a) => a.opening !== (closed.get(a.code) ?? 0n))
    .slice(0, LISTED)
    .map((a) => `${a.code}: opening ${a.opening} differs from the closing ${closed.get(a.code) ?? 0n} the proof of ${previous.day} stored (a transfer of a proved day changed)`);
}

/**
 * Every payment the day's transfers touched moved what its state says: a succeeded one its amount from the agent to
 * the provider (net over all its transfers, reversals included), any other nothing. Its state is today's and its
 * transfers all of them, so a payment reversed since is consistent too.
 */
async function paymentProblems(q: Queryable, windows: Window[]): Promise<string[]> {
  if (windows.length === 0) return [];
  const [from, to] = span(windows);
  const rows = await q.query<{ id: string; state: string; amount: string | null; moved: string }>(
    `WITH touched AS (SELECT DISTINCT payment_id FROM ledger_transfers WHERE payment_id IS NOT NULL AND created_at >= $1 AND created_at < $2),
          moved AS (
            SELECT t.payment_id, SUM(CASE WHEN d.kind = 'agent' AND c.kind = 'provider' THEN t.amount_minor
                                          WHEN d.kind = 'provider' AND c.kind = 'agent' THEN -t.amount_minor ELSE 0 END) AS moved
              FROM ledger_transfers t JOIN ledger_accounts d ON d.id = t.debit_account_id JOIN ledger_accounts c ON c.id = t.credit_account_id
             WHERE t.kind IN ('single', 'post') AND t.payment_id IN (SELECT payment_id FROM touched)
             GROUP BY t.payment_id)
     SELECT p.id::text, p.state, p.amount_to_minor::text AS amount, COALESCE(m.moved, 0)::text AS moved
       FROM touched JOIN payments p ON p.id = touched.payment_id LEFT JOIN moved m ON m.payment_id = p.id
      WHERE COALESCE(m.moved, 0) <> CASE WHEN p.state = 'succeeded' THEN p.amount_to_minor ELSE 0 END
      ORDER BY p.id LIMIT $3`,
    [from, to, LISTED],
  );
  return rows.rows.map((row) => `payment ${row.id} (${row.state}, ${row.amount ?? '—'}): the ledger moved ${row.moved} from its agent to its provider`);
}

/** Every reservation posted or voided in the day was resolved for its own amount, between its own accounts. */
async function resolutionProblems(q: Queryable, windows: Window[]): Promise<string[]> {
  if (windows.length === 0) return [];
  const [from, to] = span(windows);
  const rows = await q.query<{ id: string; kind: string; amount: string; reserved: string }>(
    `SELECT r.id::text, r.kind, r.amount_minor::text AS amount, p.amount_minor::text AS reserved
       FROM ledger_transfers r JOIN ledger_transfers p ON p.id = r.pending_id
      WHERE r.created_at >= $1 AND r.created_at < $2
        AND (r.amount_minor <> p.amount_minor OR r.debit_account_id <> p.debit_account_id OR r.credit_account_id <> p.credit_account_id)
      ORDER BY r.id LIMIT $3`,
    [from, to, LISTED],
  );
  return rows.rows.map((row) => `transfer ${row.id} (${row.kind}) resolves ${row.amount} of a reservation of ${row.reserved}, or between other accounts`);
}

/** From the earliest start to the latest end of the currencies' days. */
function span(windows: Window[]): [Date, Date] {
  return [new Date(Math.min(...windows.map((w) => w.from.getTime()))), new Date(Math.max(...windows.map((w) => w.to.getTime())))];
}

async function unfinishedPayments(q: Queryable, now: Date): Promise<ProofBody['unfinished']> {
  const rows = await q.query<{ id: string; state: string; provider: string; created_at: Date }>(
    `SELECT id::text, state, provider, created_at FROM payments WHERE state IN ('accepted', 'waiting', 'review') ORDER BY created_at LIMIT 1000`);
  return rows.rows.map((row) => ({
    transactionId: row.id, state: row.state, provider: row.provider, createdAt: row.created_at.toISOString(),
    ageSeconds: Math.max(0, Math.round((now.getTime() - row.created_at.getTime()) / 1000)),
  }));
}

/** What a new computation of a proved day says differently about money (balances, totals, problems). */
function differences(stored: ProofBody, now: ProofBody): string[] {
  const before = new Map(stored.accounts.map((a) => [a.code, a]));
  const changed: string[] = [];
  for (const account of now.accounts) {
    const was = before.get(account.code);
    for (const field of ['opening', 'funding', 'payments', 'corrections', 'closing'] as const) {
      if ((was?.[field] ?? '0') !== account[field]) changed.push(`${account.code}: ${field} ${was?.[field] ?? '0'} → ${account[field]}`);
    }
  }
  return changed.slice(0, LISTED);
}

// ---------------------------------------------------------------- stored form, downloads

interface ProofRow {
  /** The date column as text: node-postgres and PGlite read a date in different zones. */
  day_text: string;
  body: ProofBody;
  ok: boolean;
  hash: string;
  previous_hash: string | null;
  created_at: Date;
  created_by: string;
  signed_by: string | null;
  signed_at: Date | null;
}

function toProof(row: ProofRow): StoredProof {
  return {
    day: row.day_text, ok: row.ok, hash: row.hash, previousHash: row.previous_hash, createdAt: row.created_at, createdBy: row.created_by,
    signedBy: row.signed_by, signedAt: row.signed_at, body: row.body,
  };
}

function dayBefore(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

async function previousProof(q: Queryable, day: string): Promise<StoredProof | undefined> {
  const row = (await q.query<ProofRow>(`SELECT *, day::text AS day_text FROM money_proofs WHERE day < $1 ORDER BY day DESC LIMIT 1`, [day])).rows[0];
  return row ? toProof(row) : undefined;
}

export function proofHash(previousHash: string | null, body: ProofBody): string {
  return createHash('sha256').update(`${previousHash ?? ''}\n${canonicalJson(body)}`, 'utf8').digest('hex');
}

function actorLabel(actor: Actor): string {
  const p = actor.principal;
  return p.kind === 'local' ? 'local' : `${p.kind}:${p.login}`;
}

const CSV_HEADER = ['day', 'currency', 'account', 'kind', 'opening', 'funding', 'payments', 'corrections', 'closing'];

/** The accounts as CSV, amounts as exact decimal strings (two places), the verdict and hash in the last lines. */
export function proofCsv(proof: StoredProof): string {
  const cell = (text: string) => (/[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  const lines = [CSV_HEADER.join(',')];
  for (const a of proof.body.accounts) {
    lines.push([proof.day, a.currency, a.code, a.kind, ...[a.opening, a.funding, a.payments, a.corrections, a.closing].map((v) => formatAmount(BigInt(v)))].map(cell).join(','));
  }
  lines.push('', `verdict,${proof.ok ? 'ok' : 'inconsistent'}`, `hash,${proof.hash}`, `previous_hash,${proof.previousHash ?? ''}`);
  for (const problem of proof.body.problems) lines.push(`problem,${cell(problem)}`);
  return `${lines.join('\r\n')}\r\n`;
}

/** A self-contained HTML page of the proof (print it to PDF from a browser). */
export function proofHtml(proof: StoredProof): string {
  const e = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const money = (v: string) => e(formatAmount(BigInt(v)));
  const rows = proof.body.accounts.map((a) => `<tr><td>${e(a.currency)}</td><td>${e(a.code)}</td><td>${e(a.kind)}</td><td>${money(a.opening)}</td><td>${money(a.funding)}</td><td>${money(a.payments)}</td><td>${money(a.corrections)}</td><td>${money(a.closing)}</td></tr>`).join('');
  const problems = proof.body.problems.length ? `<ul>${proof.body.problems.map((p) => `<li>${e(p)}</li>`).join('')}</ul>` : '<p>None.</p>';
  const unfinished = proof.body.unfinished.map((u) => `<tr><td>${e(u.transactionId)}</td><td>${e(u.state)}</td><td>${e(u.provider)}</td><td>${e(u.createdAt)}</td><td>${u.ageSeconds}</td></tr>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Money proof ${e(proof.day)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}td:nth-child(n+4){text-align:right;font-variant-numeric:tabular-nums}</style></head><body>
<h1>Money proof of ${e(proof.day)}: ${proof.ok ? 'consistent' : 'INCONSISTENT'}</h1>
<p>Made ${e(proof.createdAt.toISOString())} by ${e(proof.createdBy)}; ${proof.signedBy ? `signed ${e(proof.signedAt!.toISOString())} by ${e(proof.signedBy)}` : 'not signed'}.</p>
<p>Hash <code>${e(proof.hash)}</code>, chained to <code>${e(proof.previousHash ?? 'none')}</code>${proof.body.previousDay ? ` (the proof of ${e(proof.body.previousDay)})` : ''}.</p>
<p>Days: ${proof.body.windows.map((w) => `${e(w.currency)} ${e(w.zone)} [${e(w.from)}, ${e(w.to)})`).join('; ')}.</p>
<h2>Problems</h2>${problems}
<h2>Accounts</h2><table><thead><tr><th>Currency</th><th>Account</th><th>Kind</th><th>Opening</th><th>Funding</th><th>Payments</th><th>Corrections</th><th>Closing</th></tr></thead><tbody>${rows}</tbody></table>
<h2>Ledger sums at the day's end</h2><ul>${proof.body.totals.map((t) => `<li>${e(t.currency)}: posted ${money(t.posted)}, pending ${money(t.pending)}</li>`).join('')}</ul>
<h2>Payments not final when the proof was made</h2><table><thead><tr><th>Transaction</th><th>State</th><th>Provider</th><th>Created</th><th>Age, s</th></tr></thead><tbody>${unfinished}</tbody></table>
</body></html>`;
}
