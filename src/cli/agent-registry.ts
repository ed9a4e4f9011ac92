/**
 * `tolem agent-registry upload --agent ID --date D FILE.csv [--json]`: hands in an agent's registry of a business day
 * (docs/reconciliation.md, "Agents' registries") through the running hub's admin API (its socket), or the store when
 * no hub runs. The file is streamed, never read whole. A refused file prints the line and why and exits 1.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { formatAmount } from '../domain/money.ts';
import { AdminRefusal, connectAdmin } from './admin-client.ts';
import { id, json, print, type Output } from './admin-commands.ts';

/** The stored registry as the admin API answers it (ids and amounts as decimal text). */
export interface UploadedRegistry {
  id: string; agentId: string; day: string; source: string; uploadedBy: string; uploadedAt: string; lineCount: number; totalMinor: string; sha256: string;
}

/** Uploads FILE as the agent's registry of `day`; answers `{ registry }`, or throws the API's refusal (AdminRefusal). */
export async function uploadAgentRegistry(agentId: string, day: string, file: string): Promise<unknown> {
  if (!existsSync(file)) throw new Error(`no such file: ${file}`);
  const connection = await connectAdmin(loadConfig());
  try {
    const answer = await connection.upload('POST', `/agents/${id(agentId)}/registries?day=${encodeURIComponent(day)}`, 'text/csv', file);
    if (answer.status >= 400) {
      const error = answer.body?.error ?? { code: 'error', message: `HTTP ${answer.status}` };
      throw new AdminRefusal(answer.status, error.code, error.message);
    }
    return answer.body;
  } finally {
    await connection.close();
  }
}

export function registerAgentRegistryCli(program: Command): void {
  const registry = program.command('agent-registry').description('agents\' registries of their business days (CSV), for the three-way reconciliation');
  registry
    .command('upload')
    .description('hand in an agent\'s registry of a day; a later upload of the same day supersedes it')
    .requiredOption('--agent <id>', 'the agent')
    .requiredOption('--date <YYYY-MM-DD>', 'the business day')
    .argument('<file>', 'the CSV file (header line; agentTransactionId and amount required)')
    .addOption(json())
    .action(async (file: string, options: { agent: string; date: string } & Output) => {
      const { registry: stored } = (await uploadAgentRegistry(options.agent, options.date, file)) as { registry: UploadedRegistry };
      print(options, stored, () => `registry ${stored.id} of agent ${stored.agentId} for ${stored.day}: ${stored.lineCount} lines, ${formatAmount(BigInt(stored.totalMinor))} in total, sha256 ${stored.sha256}`);
    });
}
