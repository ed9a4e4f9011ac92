/**
 * Alseco connection settings, from ALSECO_* environment variables (README "Pointing Tolem at the real Alseco service"),
 * read and checked with every other variable by src/config.ts and handed in by the composition root.
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
