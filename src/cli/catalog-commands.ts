/**
 * `tolem service …`: a service's inputs, fee rule and route, edited through the admin API's catalog routes (the same
 * engine services the console uses, admin only). Each edit sends the version it read: `--expect VERSION` (from
 * `tolem service show`) makes it refuse if anyone changed the service since then; without it the version is read just
 * before the write.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { admin, json, money, print, type Output } from './admin-commands.ts';

type Edit = { expect?: string } & Output;
type FeeOptions = { kind: string; min?: string; max?: string; percent?: string } & Edit;

const path = (serviceId: string) => `/services/${encodeURIComponent(serviceId)}`;

async function versionOf(serviceId: string, expected: string | undefined): Promise<string> {
  return expected ?? (await admin('GET', path(serviceId))).version;
}

function feeText(rule: any): string {
  switch (rule.kind) {
    case 'range': return `range ${money(rule.minMinor)} … ${money(rule.maxMinor)}`;
    case 'percent': return `at most ${money(String(rule.maxBasisPoints))}%${rule.minMinor ? `, min ${money(rule.minMinor)}` : ''}`;
    default: return rule.kind;
  }
}

function describe(found: any): string {
  const s = found.service;
  return [
    `${s.serviceId} ${s.name} (${s.currency}) version ${found.version}`,
    `  route: ${s.provider}`,
    `  fee rule: ${feeText(s.feeRule)}`,
    `  limits: ${money(s.minMinor)} … ${money(s.maxMinor)}`,
    ...s.inputs.map((i: any) => `  input ${i.name}${i.required ? '' : ' (optional)'}: ${i.regexp}  "${i.title}"`),
  ].join('\n');
}

export function registerCatalogCommands(program: Command): void {
  const service = program.command('service').description('one service of the catalog: show it, edit its inputs, fee rule and route (admin)');
  service.command('show <serviceId>').addOption(json()).action(async (serviceId: string, options: Output) => {
    const found = await admin('GET', path(serviceId));
    print(options, found, () => describe(found));
  });
  service.command('inputs <serviceId>').description('replace the inputs with a JSON file: [{"name","title","regexp","required"}, …]')
    .requiredOption('--file <inputs.json>', 'the inputs, in order').option('--expect <version>', 'refuse if the service changed since this version').addOption(json())
    .action(async (serviceId: string, options: { file: string } & Edit) => {
      const inputs = JSON.parse(readFileSync(options.file, 'utf8')) as unknown;
      const found = await admin('PUT', `${path(serviceId)}/inputs`, { version: await versionOf(serviceId, options.expect), inputs });
      print(options, found, () => describe(found));
    });
  service.command('fee <serviceId>').description('replace the fee rule (what amountFrom − amountTo may be); amounts as decimals')
    .requiredOption('--kind <kind>', 'none, any, range or percent').option('--min <amount>', 'range: the least fee; percent: a floor').option('--max <amount>', 'range: the most fee')
    .option('--percent <percent>', 'percent: the most, in percent of amountTo (2.50)').option('--expect <version>', 'refuse if the service changed since this version').addOption(json())
    .action(async (serviceId: string, options: FeeOptions) => {
      const found = await admin('PUT', `${path(serviceId)}/fee-rule`, { version: await versionOf(serviceId, options.expect), rule: feeRule(options) });
      print(options, found, () => describe(found));
    });
  service.command('fee-preview <serviceId> <amount>').description('the fees a rule would allow on a sample amountTo (reads only)')
    .requiredOption('--kind <kind>', 'none, any, range or percent').option('--min <amount>').option('--max <amount>').option('--percent <percent>').addOption(json())
    .action(async (serviceId: string, amount: string, options: FeeOptions) => {
      const preview = await admin('POST', `${path(serviceId)}/fee-rule/preview`, { rule: feeRule(options), amount });
      print(options, preview, () => `fee ${money(preview.minMinor)} … ${money(preview.maxMinor) ?? 'no limit'} on ${money(preview.amountToMinor)}; amountFrom at most ${money(preview.maxAmountFromMinor) ?? 'no limit'}`);
    });
  service.command('route <serviceId>').description('send the service to another provider adapter of the registry (tolem providers)')
    .requiredOption('--provider <name>', 'the adapter').option('--config <json>', 'its settings for this service (default: keep the current ones)')
    .option('--expect <version>', 'refuse if the service changed since this version').addOption(json())
    .action(async (serviceId: string, options: { provider: string; config?: string } & Edit) => {
      const body = { version: await versionOf(serviceId, options.expect), provider: options.provider, ...(options.config ? { providerConfig: JSON.parse(options.config) as unknown } : {}) };
      const found = await admin('PUT', `${path(serviceId)}/route`, body);
      print(options, found, () => describe(found));
    });
  program.command('providers').description('the provider adapters a service may be routed to').addOption(json()).action(async (options: Output) => {
    const { providers } = await admin('GET', '/providers');
    print(options, providers, () => providers.join('\n'));
  });
}

function feeRule(options: FeeOptions) {
  return { kind: options.kind, ...(options.min !== undefined ? { min: options.min } : {}), ...(options.max !== undefined ? { max: options.max } : {}), ...(options.percent !== undefined ? { percent: options.percent } : {}) };
}
