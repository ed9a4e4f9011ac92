import { parseOffset } from '../../domain/time.ts';

/**
 * Alseco connection settings, from ALSECO_* environment variables (README "Pointing Tolem at the real Alseco service").
 * With ALSECO_URL unset the adapter talks to the built-in simulator of this very Tolem (…/sandbox/alseco), so one
 * running Tolem is pointed at a real or a test Alseco by configuration alone.
 */
export interface AlsecoConfig {
  /** The ASMX endpoint (…/AlsecoPaymentsService.asmx); undefined = the built-in simulator. */
  readonly url: string | undefined;
  /** The Astana ERC service (GetReport108e, GetNotMovedPays, GetBankDayChecks, GetAccountInfo, GetPrintedInvoice);
   *  default: ALSECO_URL (one .asmx answering both namespaces). */
  readonly ercUrl: string | undefined;
  /** The four-letter bank abbreviation Alseco issued to us (spec, section 1). */
  readonly bankCode: string;
  /** Alseco's business-day zone: payment dates, same-day rollback, reconciliation days (Kazakhstan, UTC+5). */
  readonly offsetMinutes: number;
  /** Read-only calls (invoices, lists, reports). */
  readonly timeoutMs: number;
  /** Pay and rollback: the engine's own deadline also applies; the shorter wins. */
  readonly payTimeoutMs: number;
  /** Answers larger than this are refused before parsing (a printed PDF is the largest legitimate answer). */
  readonly maxResponseBytes: number;
  /** pg-boss cron (UTC) of the daily reconciliation of the previous Alseco day; '' disables it. */
  readonly reconcileCron: string;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

export function loadAlsecoConfig(env: NodeJS.ProcessEnv = process.env): AlsecoConfig {
  const bankCode = env.ALSECO_BANK_CODE ?? 'TOLM';
  if (!/^[A-Za-z]{4}$/.test(bankCode)) throw new Error(`ALSECO_BANK_CODE must be four letters, got "${bankCode}"`);
  const url = env.ALSECO_URL?.trim() || undefined;
  if (url !== undefined && !/^https?:\/\//.test(url)) throw new Error(`ALSECO_URL must be an http(s) URL, got "${url}"`);
  const ercUrl = env.ALSECO_ERC_URL?.trim() || url;
  if (ercUrl !== undefined && !/^https?:\/\//.test(ercUrl)) throw new Error(`ALSECO_ERC_URL must be an http(s) URL, got "${ercUrl}"`);
  return {
    url,
    ercUrl,
    bankCode,
    offsetMinutes: parseOffset(env.ALSECO_TZ ?? '+05:00'),
    timeoutMs: positiveInt(env, 'ALSECO_TIMEOUT_MS', 15_000),
    payTimeoutMs: positiveInt(env, 'ALSECO_PAY_TIMEOUT_MS', 30_000),
    maxResponseBytes: positiveInt(env, 'ALSECO_MAX_RESPONSE_BYTES', 16 * 1024 * 1024),
    reconcileCron: env.ALSECO_RECONCILE_CRON ?? '0 1 * * *',
  };
}
