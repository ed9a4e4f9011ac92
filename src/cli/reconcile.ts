/**
 * `tolem reconcile --date D [--agent ID] [--provider NAME] [--agent-registry FILE.csv] [--csv file] [--json]`: the
 * three-way reconciliation of a business day (the agent's registry — uploaded first when a file is given, else its
 * latest of the day —, the hub's payments, the providers' registries): counts per class and each difference with its
 * proposed action. Exit code 0 clean, 1 differences, 2 failed.
 *
 * `tolem reconcile provider <name> --date YYYY-MM-DD [--csv file] [--no-confirm] [--json]`: reconciles one business day
 * of any provider whose adapter is a reconciliation source (the sandbox providers: their registry streamed as CSV;
 * Alseco: its SOAP lists, also under `tolem reconcile alseco`). Through the running hub, whose simulators serve the
 * sandbox registries. Exit code 0 clean, 1 differences, 2 failed.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { admin, money } from './admin-commands.ts';
import { describeReport, revive } from './alseco.ts';
import { uploadAgentRegistry } from './agent-registry.ts';

export function registerReconcileCli(program: Command): void {
  const reconcile = program.commands.find((command) => command.name() === 'reconcile')
    ?? program.command('reconcile').description('reconcile a provider business day with Tolem\'s payments');
  registerThreeWay(reconcile);
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

interface ThreeWayOptions {
  date?: string;
  agent?: string;
  provider?: string;
  agentRegistry?: string;
  csv?: string;
  json?: boolean;
}

function registerThreeWay(reconcile: Command): void {
  reconcile
    .option('--date <YYYY-MM-DD>', 'three-way: the business day (each provider\'s own zone; the agent\'s: its currency\'s)')
    .option('--agent <ID>', 'three-way: one agent (its registry, its payments); unset: every agent, no agent registry')
    .option('--provider <NAME>', 'three-way: one provider route name; unset: every provider that lists its payments')
    .option('--agent-registry <FILE.csv>', 'three-way: upload this registry of the agent\'s day first and reconcile against it')
    .option('--csv <file>', 'write every stored item with its proposed action as CSV')
    .option('--json', 'machine-readable output')
    .action(async (options: ThreeWayOptions) => {
      if (!options.date) throw new Error('tolem reconcile needs --date YYYY-MM-DD (or a subcommand: provider <name>, alseco)');
      if (options.agentRegistry && !options.agent) throw new Error('--agent-registry needs --agent: whose registry it is');
      const registry = options.agentRegistry ? ((await uploadAgentRegistry(options.agent!, options.date, options.agentRegistry)) as { registry: { id: string } }).registry : undefined;
      const report = await admin('POST', '/reconciliations', {
        day: options.date, ...(options.provider ? { provider: options.provider } : {}), ...(options.agent ? { agentId: options.agent } : {}),
        ...(registry ? { agentRegistryId: registry.id } : {}),
      });
      if (options.csv) writeFileSync(options.csv, (await admin('GET', `/reconciliations/three-way/${report.runId}/csv`)).csv);
      process.stdout.write(`${options.json ? JSON.stringify(report, null, 2) : describeThreeWay(report)}\n`);
      process.exitCode = report.status === 'clean' ? 0 : report.status === 'mismatches' ? 1 : 2;
    });
}

/** Items listed in the human output (the CSV and --json have the report's first 1,000). */
const LISTED = 50;

function describeThreeWay(report: any): string {
  const scope = `${report.provider === '*' ? 'every provider' : report.provider}${report.agentId ? `, agent ${report.agentId}` : ', every agent'}`;
  const lines = [
    `three-way reconciliation ${report.day} (${scope}), run ${report.runId}: ${report.status}${report.error ? ` — ${report.error}` : ''}`,
    `  agent registry ${report.agentRegistryId ?? '—'}: ${report.agentCount} lines, ${money(report.agentTotalMinor)}; hub: ${report.hubCount} payments, ${money(report.hubTotalMinor)}; providers: ${report.providerCount} lines, ${money(report.providerTotalMinor)}`,
    ...Object.entries(report.counts as Record<string, number>).map(([name, n]) => `  ${name.padEnd(22)} ${n}`),
  ];
  const differences = (report.items as any[]).filter((item) => item.class !== 'matched');
  for (const item of differences.slice(0, LISTED)) {
    const what = item.paymentId ? `payment ${item.paymentId}` : item.reference ? `reference ${item.reference}` : `agent transaction ${item.agentTxnId}`;
    lines.push(`  ${item.class}: ${what} → ${item.action} (${item.moneyEffect})`, `      ${item.explanation}`);
  }
  if (differences.length > LISTED) lines.push(`  … ${differences.length - LISTED} more (--csv writes every item)`);
  return lines.join('\n');
}
