import { Command, Option } from 'commander';
import { build, createLogger } from './app.ts';
import { loadConfig, type Config } from './config.ts';
import { openDb, type Db } from './store/db.ts';
import { migrate } from './store/migrate.ts';
import { formatAmount, isCurrencyCode, parseOperatorAmount } from './domain/money.ts';
import { agentFunds, confirmToken, createAgent, findAgent, findAgentByName, issueToken, listTokens, recentAgentEvents, revokeToken, topUp } from './engine/agents.ts';
import { Catalog, readCatalogSeed, seedCatalog } from './engine/catalog.ts';
import { checkInvariants } from './ledger/ledger.ts';
import { listAttention, resolveAttention } from './engine/attention.ts';
import { PaymentEngine } from './engine/payments.ts';
import { paymentRecord } from './engine/payment-record.ts';
import { registerAlsecoCli } from './cli/alseco.ts';
import { describeElsomTerminal, prepareElsomTerminal, registerElsomSandboxCommands, withElsomOptions, type ElsomAgentOptions } from './cli/elsom.ts';

/** One entry point: start, migrate, agents and tokens, catalog, attention list. `--json` for scripts. */

type Output = { json: boolean };

function print(output: Output, value: unknown, human: () => string): void {
  if (output.json) process.stdout.write(`${JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? item.toString() : item), 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}

function id(text: string): bigint {
  if (!/^\d{1,18}$/.test(text)) throw new Error(`"${text}" is not an id`);
  return BigInt(text);
}

async function withDb<T>(fn: (db: Db, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, schema: config.dbSchema });
  try {
    await migrate(db);
    await db.tx((q) => seedCatalog(q, readCatalogSeed(config.catalogFile)));
    return await fn(db, config);
  } finally {
    await db.close();
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

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
    if (config.demo) await announceDemo(tolem.ctx.db, url);
    const stop = async (signal: string) => {
      log.info({ signal }, 'shutting down');
      await tolem.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });

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
    const config = loadConfig();
    const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, schema: config.dbSchema });
    try {
      const result = await migrate(db);
      print(options, result, () => (result.applied.length ? `applied: ${result.applied.join(', ')}` : `up to date (${result.current})`));
    } finally {
      await db.close();
    }
  });

const agent = program.command('agent').description('agents: create, top up, show');

withElsomOptions(agent.command('create'))
  .requiredOption('--name <name>', 'agent name')
  .option('--currency <code>', 'contract currency', 'KZT')
  .option('--balance <amount>', 'opening balance (a funded top-up)', '0')
  .option('--overdraft <amount>', 'balance level at which acceptance stops (negative: credit)', '0')
  .option('--notification <amount>', 'warn when the available balance falls below this')
  .option('--ip <cidr>', 'allowed address or network (repeatable)', collect, [])
  .option('--ip-only', 'authenticate by IP address alone')
  .option('--services <ids>', 'comma-separated allow list of serviceIds (default: all)')
  .option('--confirm-token', 'issue the token already confirmed')
  .option('--review-above <amount>', 'hold pays above this amount for the security service (code 153)')
  .addOption(json)
  .action(async (options: { name: string; currency: string; balance: string; overdraft: string; notification?: string; ip: string[]; ipOnly?: boolean; services?: string; confirmToken?: boolean; reviewAbove?: string } & Output & ElsomAgentOptions) => {
    if (!isCurrencyCode(options.currency)) throw new Error(`unknown currency ${options.currency}`);
    if (options.ipOnly && options.ip.length === 0) throw new Error('--ip-only needs at least one --ip');
    await withDb(async (db) => {
      const attachElsom = await prepareElsomTerminal(db, options);
      const created = await createAgent(db, {
        name: options.name,
        currency: options.currency,
        openingBalanceMinor: parseOperatorAmount(options.balance),
        overdraftMinor: parseOperatorAmount(options.overdraft, 2, true),
        ...(options.notification ? { notificationMinor: parseOperatorAmount(options.notification) } : {}),
        ipAllow: options.ip,
        ipOnly: options.ipOnly ?? false,
        ...(options.services ? { allowedServices: options.services.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
        ...(options.reviewAbove ? { reviewAboveMinor: parseOperatorAmount(options.reviewAbove) } : {}),
        // An Elsom agent authenticates with its terminal credentials; an API token would only be one more secret.
        issueToken: !options.ipOnly && options.elsomTerminal === undefined,
        confirmToken: options.confirmToken ?? false,
      });
      const elsom = await attachElsom?.(created.agent.id);
      print(options, { agentId: created.agent.id, token: created.token ?? null, tokenStatus: created.token ? (options.confirmToken ? 'confirmed' : 'pending') : null, ...elsom }, () =>
        `agent ${created.agent.id} created${created.token ? `\ntoken (shown once, ${options.confirmToken ? 'confirmed' : 'pending confirmation'}): ${created.token}` : ''}${describeElsomTerminal(elsom)}`);
    });
  });

agent
  .command('topup <agentId> <amount>')
  .description('top up (or, with a negative amount, correct) an agent balance; always a ledger transfer')
  .requiredOption('--reason <text>', 'why: shown in the ledger')
  .addOption(json)
  .action(async (agentId: string, amount: string, options: { reason: string } & Output) => {
    await withDb(async (db) => {
      const agentRow = await findAgent(db, id(agentId));
      if (!agentRow) throw new Error(`agent ${agentId} not found`);
      const funds = await topUp(db, agentRow.id, parseOperatorAmount(amount, 2, true), options.reason);
      print(options, fundsJson(funds), () => `agent ${agentId}: available ${formatAmount(funds.availableMinor)} ${funds.agent.currency}`);
    });
  });

function fundsJson(funds: Awaited<ReturnType<typeof agentFunds>>) {
  return {
    agentId: funds.agent.id, name: funds.agent.name, currency: funds.agent.currency,
    balance: formatAmount(funds.postedMinor), reserved: formatAmount(funds.reservedMinor), available: formatAmount(funds.availableMinor),
    overdraft: formatAmount(funds.agent.overdraftMinor), notification: funds.agent.notificationMinor === null ? null : formatAmount(funds.agent.notificationMinor),
    ipAllow: funds.agent.ipAllow, ipOnly: funds.agent.ipOnly, services: funds.agent.allowedServices,
    reviewAbove: funds.agent.reviewAboveMinor === null ? null : formatAmount(funds.agent.reviewAboveMinor),
  };
}

agent
  .command('show <agentId>')
  .addOption(json)
  .action(async (agentId: string, options: Output) => {
    await withDb(async (db) => {
      const agentRow = await findAgent(db, id(agentId));
      if (!agentRow) throw new Error(`agent ${agentId} not found`);
      const funds = await agentFunds(db, agentRow);
      const tokens = await listTokens(db, agentRow.id);
      const events = await recentAgentEvents(db, agentRow.id, 10);
      const view = {
        ...fundsJson(funds),
        tokens: tokens.map((t) => ({ id: t.id, hint: `${t.hint}…`, status: t.status })),
        events: events.map((e) => ({ kind: e.kind, at: e.createdAt.toISOString(), details: e.details })),
      };
      print(options, view, () => [
        `agent ${view.agentId} ${view.name} (${view.currency})`,
        `  balance ${view.balance}, reserved ${view.reserved}, available ${view.available}, overdraft floor ${view.overdraft}, notification ${view.notification ?? '-'}`,
        `  IP allow-list: ${view.ipAllow.join(', ') || 'any'}${view.ipOnly ? ' (IP-only)' : ''}; services: ${view.services?.join(', ') ?? 'all'}`,
        ...view.tokens.map((t) => `  token ${t.id} ${t.hint} ${t.status}`),
        ...view.events.map((e) => `  event ${e.at} ${e.kind} ${JSON.stringify(e.details)}`),
      ].join('\n'));
    });
  });

const token = program.command('token').description('agent API tokens: pending → confirmed → revoked');
token.command('issue <agentId>').option('--confirm', 'confirm at once').addOption(json).action(async (agentId: string, options: { confirm?: boolean } & Output) => {
  await withDb(async (db) => {
    const issued = await issueToken(db, id(agentId), options.confirm ?? false);
    print(options, { agentId, token: issued, status: options.confirm ? 'confirmed' : 'pending' }, () => `token (shown once): ${issued}`);
  });
});
token.command('list <agentId>').addOption(json).action(async (agentId: string, options: Output) => {
  await withDb(async (db) => {
    const tokens = await listTokens(db, id(agentId));
    print(options, tokens, () => tokens.map((t) => `${t.id}\t${t.hint}…\t${t.status}\t${t.createdAt.toISOString()}`).join('\n') || 'no tokens');
  });
});
for (const [name, action] of [['confirm', confirmToken], ['revoke', revokeToken]] as const) {
  token.command(`${name} <tokenId>`).addOption(json).action(async (tokenId: string, options: Output) => {
    await withDb(async (db) => {
      const changed = await action(db, id(tokenId));
      print(options, { tokenId, changed }, () => (changed ? `token ${tokenId} ${name}ed` : `token ${tokenId} unchanged (not found or already ${name}ed)`));
      if (!changed) process.exitCode = 1;
    });
  });
}

program.command('services').description('the catalog').addOption(json).action(async (options: Output) => {
  await withDb(async (db) => {
    const services = await new Catalog(db).all();
    print(options, services, () => services.map((s) => `${s.serviceId}\ttype ${s.type}\t${s.currency}\t${s.enabled ? 'on ' : 'off'}\t${s.provider}\t${s.name}`).join('\n'));
  });
});

const attention = program.command('attention').description('payments that need an operator').addOption(json).option('--all', 'include resolved items')
  .action(async (options: { all?: boolean } & Output) => {
    await withDb(async (db) => {
      const items = await listAttention(db, options.all ?? false);
      print(options, items, () => items.map((i) => `${i.id}\t${i.kind}\tpayment ${i.paymentId ?? '-'}\t${i.createdAt.toISOString()}\t${i.reason}${i.resolvedAt ? `\tresolved: ${i.resolution}` : ''}`).join('\n') || 'nothing needs attention');
    });
  });
attention.command('resolve <itemId>').requiredOption('--note <text>', 'what was done').addOption(json).action(async (itemId: string, options: { note: string } & Output) => {
  await withDb(async (db) => {
    const done = await resolveAttention(db, id(itemId), options.note);
    print(options, { itemId, resolved: done }, () => (done ? `item ${itemId} resolved` : `item ${itemId} not found or already resolved`));
    if (!done) process.exitCode = 1;
  });
});

program.command('payment <transactionId>').description('one payment: state, amounts, provider reference, ledger transfers, attention items')
  .addOption(json)
  .action(async (transactionId: string, options: Output) => {
    await withDb(async (db) => {
      const record = await paymentRecord(db, id(transactionId));
      if (!record) throw new Error(`payment ${transactionId} not found`);
      const { payment, transfers, attention } = record;
      const view = {
        ...payment,
        transfers: transfers.map((t) => ({ id: t.id, kind: t.kind, amount: formatAmount(t.amountMinor), from: t.debit, to: t.credit, reason: t.reason, at: t.createdAt.toISOString() })),
        attention: attention.map((item) => ({ id: item.id, kind: item.kind, reason: item.reason, resolved: item.resolvedAt !== null, resolution: item.resolution })),
      };
      print(options, view, () => [
        `payment ${payment.id} (agent ${payment.agent_id}, agentTransactionId ${payment.agent_txn_id}): ${payment.state}, ${payment.result_code} ${payment.result_message}`,
        `  ${payment.service_id} ${payment.account} ${formatAmount((payment.amount_to_minor as bigint | null) ?? 0n)} ${payment.currency} via ${payment.provider}${payment.provider_ref ? ` ref ${payment.provider_ref}` : ''}, attempts ${payment.attempts}`,
        ...view.transfers.map((t) => `  transfer ${t.id} ${t.kind} ${t.amount} ${t.from} → ${t.to}: ${t.reason}`),
        ...view.attention.map((a) => `  attention ${a.id} ${a.kind}${a.resolved ? ' (resolved)' : ''}: ${a.reason}`),
      ].join('\n'));
    });
  });

const review = program.command('review').description('payments held for the security service (code 153)');
review.command('list').addOption(json).action(async (options: Output) => {
  await withDb(async (db, config) => {
    const held = await reviewEngine(db, config).underReview();
    print(options, held, () => held.map((p) => `${p.transactionId}\tagent ${p.agentId}\t${p.serviceId}\t${p.account}\t${formatAmount(p.amountToMinor ?? 0n)} ${p.currency}\t${p.paidAt?.toISOString() ?? ''}`).join('\n') || 'nothing held');
  });
});
for (const decision of ['approve', 'reject'] as const) {
  review.command(`${decision} <transactionId>`).requiredOption('--note <text>', 'the reason, kept with the payment').addOption(json)
    .action(async (transactionId: string, options: { note: string } & Output) => {
      await withDb(async (db, config) => {
        const payment = await reviewEngine(db, config).decideReview(id(transactionId), decision, options.note);
        print(options, payment, () => `payment ${transactionId}: ${payment.state} (${payment.code})${decision === 'approve' && payment.state === 'accepted' ? ' — the running Tolem pays it at its next sweep' : ''}`);
      });
    });
}

/** The engine without HTTP or job workers: decisions are stored; the running Tolem's sweep drives approved payments. */
function reviewEngine(db: Db, config: Config): PaymentEngine {
  return new PaymentEngine(db, new Catalog(db), { get: () => undefined }, config.engine, createLogger({ logLevel: 'warn' }));
}

program.command('ledger-check').description('verify the ledger invariants').addOption(json).action(async (options: Output) => {
  await withDb(async (db) => {
    const report = await checkInvariants(db);
    print(options, report, () => (report.ok ? 'ledger balanced: every currency sums to zero, caches match transfers, no agent below its floor' : report.problems.join('\n')));
    if (!report.ok) process.exitCode = 1;
  });
});

registerElsomSandboxCommands(program);

registerAlsecoCli(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`tolem: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
