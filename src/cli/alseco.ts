/**
 * `tolem reconcile alseco --date YYYY-MM-DD [--csv file] [--no-confirm] [--json]`: reconciles one Alseco business day
 * (GetNotMovedPays + getPaysInfo against Tolem's payments), confirms a clean day (GetBankDayChecks), imports the
 * day's GetReport108e, stores the run and writes its items as CSV. Exit code 0 clean, 1 differences, 2 failed.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatAmount } from '../domain/money.ts';
import { RECONCILE_KINDS, type ReconcileReport } from '../engine/reconcile.ts';
import { admin } from './admin-commands.ts';

export function describeReport(report: ReconcileReport, label = 'Alseco'): string {
  const differences = report.items.filter((item) => item.kind !== 'matched');
  const unshown = report.counts.missing_at_provider + report.counts.missing_at_tolem + report.counts.amount_mismatch - differences.length;
  const lines = [
    `${label} ${report.day}: ${report.status} (run ${report.runId})`,
    `  Tolem ${report.tolemCount} payments, ${formatAmount(report.tolemTotalMinor)} KZT; ${label} ${report.providerCount} payments, ${formatAmount(report.providerTotalMinor)} KZT`,
    `  ${RECONCILE_KINDS.map((kind) => `${kind} ${report.counts[kind]}`).join(', ')}`,
    ...differences.map((item) =>
      `  ${item.kind}\tSysRef ${item.reference}\tTolem ${item.tolemAmountMinor === null ? '-' : formatAmount(item.tolemAmountMinor)}\t${label} ${item.providerAmountMinor === null ? '-' : formatAmount(item.providerAmountMinor)}\t→ ${item.action}`),
    ...(unshown > 0 ? [`  … and ${unshown} more differences (--csv writes them all)`] : []),
    // A provider without a day check or a settlement statement (the sandbox ones) has no such lines.
    ...(report.confirmation.attempted ? [`  day check (GetBankDayChecks): ${report.confirmation.confirmed ? 'confirmed' : 'NOT confirmed'} ${report.confirmation.detail}`]
      : label === 'Alseco' ? ['  day not confirmed to Alseco (differences, or --no-confirm)'] : []),
    ...(report.settlement.status !== 'skipped' || label === 'Alseco'
      ? [`  settlement statement (GetReport108e): ${report.settlement.status}, ${report.settlement.lines} lines, ${formatAmount(report.settlement.totalMinor)} KZT ${report.settlement.message}`] : []),
    ...(report.error ? [`  error: ${report.error}`] : []),
  ];
  return lines.join('\n');
}

export function registerAlsecoCli(program: Command): void {
  const reconcile = program.commands.find((command) => command.name() === 'reconcile')
    ?? program.command('reconcile').description('reconcile a provider business day with Tolem\'s payments');
  reconcile
    .command('alseco')
    .description('reconcile one Alseco business day; confirm it to Alseco when clean; import GetReport108e')
    .requiredOption('--date <YYYY-MM-DD>', 'the Alseco business day (UTC+5 by default, ALSECO_TZ)')
    .option('--csv <file>', 'write every item with its correcting action as CSV')
    .option('--no-confirm', 'do not send GetBankDayChecks even when the day is clean')
    .option('--json', 'machine-readable output')
    .action(async (options: { date: string; csv?: string; confirm: boolean; json?: boolean }) => {
      // Through the running hub (its Alseco adapter, or the simulator it serves), or over the store when none runs.
      const report = await admin('POST', '/reconciliations/alseco', { day: options.date, confirm: options.confirm });
      if (options.csv) writeFileSync(options.csv, (await admin('GET', `/reconciliations/runs/${report.runId}/csv`)).csv);
      process.stdout.write(`${options.json ? JSON.stringify(report, null, 2) : describeReport(revive(report))}\n`);
      process.exitCode = report.status === 'clean' ? 0 : report.status === 'mismatches' ? 1 : 2;
    });
}

/** The report as the API wrote it (amounts as decimal text) back in the engine's types, for describeReport. */
export function revive(report: any): ReconcileReport {
  const minor = (value: string | null) => (value === null ? null : BigInt(value));
  return {
    ...report,
    tolemTotalMinor: BigInt(report.tolemTotalMinor),
    providerTotalMinor: BigInt(report.providerTotalMinor),
    settlement: { ...report.settlement, totalMinor: BigInt(report.settlement.totalMinor) },
    items: report.items.map((item: any) => ({ ...item, tolemAmountMinor: minor(item.tolemAmountMinor), providerAmountMinor: minor(item.providerAmountMinor) })),
  };
}
