/**
 * `tolem prove --date YYYY-MM-DD [--json] [--csv file] [--html file]`: the daily money proof of a business day (made
 * and stored the first time, computed again and compared later); `tolem sign-proof --date D` signs it. Through the
 * running hub's admin socket, or the store directly when no hub runs. Exit code 0 consistent, 1 inconsistent.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { admin } from './admin-commands.ts';
import type { ProofAnswer, StoredProof } from '../engine/money-proof.ts';

export function registerProofCli(program: Command): void {
  program
    .command('prove')
    .description('the daily money proof: opening + funding + payments + corrections = closing for every account, the ledger at zero, chained day to day')
    .requiredOption('--date <YYYY-MM-DD>', 'the business day (KZT in UTC+05:00, KGS in UTC+06:00); it must be over')
    .option('--csv <file>', 'write the accounts and the verdict as CSV')
    .option('--html <file>', 'write the proof as an HTML page (print it to PDF from a browser)')
    .option('--json', 'machine-readable output')
    .action(async (options: { date: string; csv?: string; html?: string; json?: boolean }) => {
      const answer = (await admin('POST', '/money-proofs', { day: options.date })) as ProofAnswer;
      if (options.csv) writeFileSync(options.csv, (await admin('GET', `/money-proofs/${options.date}?format=csv`)).csv);
      if (options.html) writeFileSync(options.html, (await admin('GET', `/money-proofs/${options.date}?format=html`)).html);
      process.stdout.write(`${options.json ? JSON.stringify(answer, null, 2) : describe(answer)}\n`);
      process.exitCode = answer.proof.ok && answer.changed.length === 0 ? 0 : 1;
    });
  program
    .command('sign-proof')
    .description('sign the stored proof of a day (another operator than the one who made it)')
    .requiredOption('--date <YYYY-MM-DD>', 'the day')
    .action(async (options: { date: string }) => {
      const { proof: signed } = (await admin('POST', `/money-proofs/${options.date}/sign`)) as { proof: StoredProof };
      process.stdout.write(`money proof of ${signed.day} signed by ${signed.signedBy} (hash ${signed.hash})\n`);
    });
}

function describe(answer: ProofAnswer): string {
  const { proof } = answer;
  const lines = [
    `money proof of ${proof.day}: ${proof.ok ? 'consistent' : 'INCONSISTENT'}${answer.created ? ' (stored now)' : ' (stored before; computed again)'}`,
    `  hash ${proof.hash}${proof.previousHash ? `, chained to ${proof.body.previousDay}` : ', first of its chain'}; ${proof.signedBy ? `signed by ${proof.signedBy}` : 'not signed'}`,
    `  ${proof.body.accounts.length} accounts; ledger sums: ${proof.body.totals.map((t) => `${t.currency} ${t.posted}/${t.pending}`).join(', ') || 'none'}; ${proof.body.unfinished.length} payments not final`,
    ...proof.body.problems.map((problem) => `  problem: ${problem}`),
    ...answer.changed.map((change) => `  changed since: ${change}`),
  ];
  return lines.join('\n');
}
