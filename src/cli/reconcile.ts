/**
 * `tolem reconcile provider <name> --date YYYY-MM-DD [--csv file] [--no-confirm] [--json]`: reconciles one business day
 * of any provider whose adapter is a reconciliation source (the sandbox providers: their registry streamed as CSV;
 * Alseco: its SOAP lists, also under `tolem reconcile alseco`). Through the running hub, whose simulators serve the
 * sandbox registries. Exit code 0 clean, 1 differences, 2 failed.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { admin } from './admin-commands.ts';
import { describeReport, revive } from './alseco.ts';

export function registerReconcileCli(program: Command): void {
  const reconcile = program.commands.find((command) => command.name() === 'reconcile')
    ?? program.command('reconcile').description('reconcile a provider business day with Tolem\'s payments');
  reconcile
    .command('provider <name>')
    .description('reconcile one business day of a provider (sandbox-mobile, sandbox-bank, …, alseco) with Tolem\'s payments')
    .requiredOption('--date <YYYY-MM-DD>', 'the provider\'s business day (the sandbox providers: the hub\'s zone, TOLEM_TZ)')
    .option('--csv <file>', 'write every stored item with its correcting action as CSV')
    .option('--no-confirm', 'do not confirm a clean day to the provider (where it has such a call)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, options: { date: string; csv?: string; confirm: boolean; json?: boolean }) => {
      const report = await admin('POST', `/reconciliations/${encodeURIComponent(name)}`, { day: options.date, confirm: options.confirm });
      if (options.csv) writeFileSync(options.csv, (await admin('GET', `/reconciliations/runs/${report.runId}/csv`)).csv);
      process.stdout.write(`${options.json ? JSON.stringify(report, null, 2) : describeReport(revive(report), name)}\n`);
      process.exitCode = report.status === 'clean' ? 0 : report.status === 'mismatches' ? 1 : 2;
    });
}
