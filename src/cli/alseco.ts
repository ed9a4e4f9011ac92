/**
 * `tolem reconcile alseco --date YYYY-MM-DD [--csv file] [--no-confirm] [--json]`: reconciles one Alseco business day
 * (GetNotMovedPays + getPaysInfo against Tolem's payments), confirms a clean day (GetBankDayChecks), imports the
 * day's GetReport108e, stores the run and writes its items as CSV. Exit code 0 clean, 1 differences, 2 failed.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { openDb } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { formatAmount } from '../domain/money.ts';
import { AlsecoProviderAdapter } from '../providers/alseco/index.ts';
import { reconcileProviderDay, reconciliationCsv, RECONCILE_KINDS, type ReconcileReport } from '../engine/reconcile.ts';

/** A one-line progress bar on stderr, redrawn at most every 100 ms; only on a terminal. */
export function progressLine(stream: NodeJS.WriteStream = process.stderr): ((done: number, total: number) => void) | undefined {
  if (!stream.isTTY) return undefined;
  let drawn = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - drawn < 100) return;
    drawn = now;
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done >= total ? '\n' : ''}`);
  };
}

export function describeReport(report: ReconcileReport): string {
  const lines = [
    `Alseco ${report.day}: ${report.status} (run ${report.runId})`,
    `  Tolem ${report.tolemCount} payments, ${formatAmount(report.tolemTotalMinor)} KZT; Alseco ${report.providerCount} payments, ${formatAmount(report.providerTotalMinor)} KZT`,
    `  ${RECONCILE_KINDS.map((kind) => `${kind} ${report.counts[kind]}`).join(', ')}`,
    ...report.items.filter((item) => item.kind !== 'matched').map((item) =>
      `  ${item.kind}\tSysRef ${item.reference}\tTolem ${item.tolemAmountMinor === null ? '-' : formatAmount(item.tolemAmountMinor)}\tAlseco ${item.providerAmountMinor === null ? '-' : formatAmount(item.providerAmountMinor)}\t→ ${item.action}`),
    report.confirmation.attempted ? `  day check (GetBankDayChecks): ${report.confirmation.confirmed ? 'confirmed' : 'NOT confirmed'} ${report.confirmation.detail}` : '  day not confirmed to Alseco (differences, or --no-confirm)',
    `  settlement statement (GetReport108e): ${report.settlement.status}, ${report.settlement.lines} lines, ${formatAmount(report.settlement.totalMinor)} KZT ${report.settlement.message}`,
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
      const config = loadConfig();
      const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, schema: config.dbSchema });
      try {
        await migrate(db);
        // With ALSECO_URL unset, the simulator of a running Tolem (SANDBOX_URL, or HOST:PORT).
        const adapter = new AlsecoProviderAdapter(config.alseco, () => config.sandboxUrl ?? `http://${config.host}:${config.port}/sandbox`);
        const onProgress = progressLine();
        const report = await reconcileProviderDay(db, adapter, options.date, { confirm: options.confirm, ...(onProgress ? { onProgress } : {}) });
        if (options.csv) writeFileSync(options.csv, await reconciliationCsv(db, report.runId));
        const json = JSON.stringify(report, (_key, value) => (typeof value === 'bigint' ? value.toString() : value), 2);
        process.stdout.write(`${options.json ? json : describeReport(report)}\n`);
        process.exitCode = report.status === 'clean' ? 0 : report.status === 'mismatches' ? 1 : 2;
      } finally {
        await db.close();
      }
    });
}
