import { Command, Option } from 'commander';
import { build, createLogger } from './app.ts';
import { loadConfig, type Config } from './config.ts';
import type { Db } from './store/db.ts';
import { createAgent, findAgentByName } from './engine/agents.ts';
import { admin, agentCreateOptions, createAgentCommand, print, registerAgentCommands, registerOperatorCommands, registerTokenCommands, type Output } from './cli/admin-commands.ts';
import { registerMoneyCommands, registerOperationCommands, registerPaymentCommands } from './cli/operations-commands.ts';
import { registerCatalogCommands } from './cli/catalog-commands.ts';
import { registerAlsecoCli } from './cli/alseco.ts';
import { registerReconcileCli } from './cli/reconcile.ts';
import { registerProofCli } from './cli/proof.ts';
import { registerAgentRegistryCli } from './cli/agent-registry.ts';
import { SocketInUseError } from './admin/socket.ts';
import { registerElsomSandboxCommands, withElsomOptions } from './cli/elsom.ts';

/** One entry point: start, migrate, agents and tokens, catalog, attention list. `--json` for scripts. */

const program = new Command('tolem').description('Tolem bill-payment processing hub').showHelpAfterError();
const json = new Option('--json', 'machine-readable output');

program
  .command('start')
  .description('start the whole system: store, job workers, agent API, sandboxes, docs')
  .action(async () => {
    const config = loadConfig();
    const log = createLogger(config);
    if (!config.databaseUrl) {
      log.warn({ dataDir: config.dataDir }, 'using embedded PGlite: fine for trying Tolem, but it does not fsync; production runs on PostgreSQL (DATABASE_URL)');
    }
    const tolem = await build(config, { log });
    const url = await tolem.listen();
    await listenAdminSocket(tolem, config, log);
    const firstAdmin = await tolem.ctx.admin.operators.ensureFirstAdmin();
    if (config.demo) await announceDemo(tolem.ctx.db, url);
    else process.stdout.write(`\nTolem is up at ${url} (API docs: ${url}/docs).\n`);
    if (firstAdmin) {
      process.stdout.write(`Console operator "${firstAdmin.login}", one-time password (shown once; change it at the first login): ${firstAdmin.password}\n\n`);
    }
    const stop = async (signal: string) => {
      log.info({ signal }, 'shutting down');
      await tolem.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });

/** The admin API on the Unix socket, for the CLI while the hub runs; a socket another Tolem serves is left to it. */
async function listenAdminSocket(tolem: Awaited<ReturnType<typeof build>>, config: Config, log: ReturnType<typeof createLogger>): Promise<void> {
  if (!config.adminSocket) return;
  try {
    await tolem.listenAdminSocket(config.adminSocket);
    log.info({ socket: config.adminSocket }, 'admin API on the Unix socket');
  } catch (error) {
    if (!(error instanceof SocketInUseError)) throw error;
    log.warn({ socket: config.adminSocket }, `${error.message}: this instance serves no admin socket (set ADMIN_SOCKET)`);
  }
}

async function announceDemo(db: Db, url: string): Promise<void> {
  const existing = await findAgentByName(db, 'Demo agent');
  if (existing) {
    process.stdout.write(`\nTolem is up at ${url} (API docs: ${url}/docs). Demo agent ${existing.id} exists; a new token: tolem token issue ${existing.id} --confirm\n`);
    return;
  }
  const created = await createAgent(db, { name: 'Demo agent', currency: 'KZT', openingBalanceMinor: 100_000_000n, notificationMinor: 10_000_000n, confirmToken: true });
  const body = JSON.stringify({ serviceId: 'P1011', account: '7771234567', agentTransactionId: Date.now(), agentTransactionDate: new Date().toISOString().slice(0, 19), amountTo: 500.0, amountFrom: 500.0 });
  process.stdout.write(
    `\nTolem is up at ${url} (API docs: ${url}/docs).\nDemo agent ${created.agent.id} with 1,000,000.00 KZT; its token (shown once): ${created.token}\n\n`
      + `curl -s -X POST ${url}/api/v20/pay -H 'Authorization: Bearer ${created.token}' -H 'Content-Type: application/json' -d '${body}'\n\n`,
  );
}

program
  .command('migrate')
  .description('apply database migrations')
  .addOption(json)
  .action(async (options: Output) => {
    const result = await admin('POST', '/store/migrate');
    print(options, result, () => (result.applied.length ? `applied: ${result.applied.join(', ')}` : `up to date (${result.current})`));
  });

const agent = program.command('agent').description('agents: create, top up, show');

agentCreateOptions(withElsomOptions(agent.command('create'))).action(createAgentCommand);

registerAgentCommands(agent);
registerTokenCommands(program);
registerOperatorCommands(program);
registerMoneyCommands(program);
registerPaymentCommands(program);
registerOperationCommands(program);
registerCatalogCommands(program);

registerElsomSandboxCommands(program);

registerAlsecoCli(program);
registerReconcileCli(program);
registerProofCli(program);
registerAgentRegistryCli(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`tolem: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
