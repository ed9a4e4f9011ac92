/**
 * CLI for the Elsom biller gateway: the `--elsom-*` options of `tolem agent create`, and `tolem sandbox elsom-pay`
 * (the wallet simulator against a running Tolem). src/cli.ts calls in here with one line per hook.
 */
import type { Command } from 'commander';
import { parseOperatorAmount } from '../domain/money.ts';
import { configuredClock, loadConfig } from '../config.ts';
import type { ElsomServiceLine } from '../engine/terminals.ts';
import { ElsomBillerClient, summarize } from '../sandbox/elsom-biller-client/simulator.ts';

export interface ElsomAgentOptions {
  elsomTerminal?: string;
  elsomLogin?: string;
  elsomPassword?: string;
  elsomService: string[];
  elsomIp: string[];
}

/** "5132=K1001" or "5132=K1001:whole" (whole soms only) → a service-map line. */
export function parseElsomServiceSpec(spec: string): Required<ElsomServiceLine> {
  const match = /^([^=\s]{1,30})=([^:=\s]{1,64})(?::(whole))?$/.exec(spec.trim());
  if (!match) throw new Error(`--elsom-service "${spec}": expected <elsom service-id>=<serviceId>[:whole], e.g. 5132=K1001`);
  return { elsomServiceId: match[1]!, serviceId: match[2]!, wholeAmounts: match[3] === 'whole' };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Adds `--elsom-terminal --elsom-login --elsom-password --elsom-service <id>=<serviceId>[:whole] --elsom-ip` to
 * `agent create`. With them, the agent's currency defaults to KGS (Elsom pays in soms) and no API token is needed.
 */
export function withElsomOptions<T extends Command>(command: T): T {
  command
    .option('--elsom-terminal <id>', 'Elsom terminal-id: makes this agent the Elsom biller client (see the Elsom README)')
    .option('--elsom-login <login>', 'Elsom terminal login (extra login)')
    .option('--elsom-password <password>', 'Elsom terminal password (Elsom sends its MD5; only a salted hash of it is stored)')
    .option('--elsom-service <map>', 'Elsom service-id = catalog serviceId, e.g. 5132=K1001 (":whole" for whole soms only; repeatable)', collect, [])
    .option('--elsom-ip <cidr>', 'address or network Elsom calls from (repeatable; default: any)', collect, [])
    .hook('preAction', (thisCommand) => {
      const options = thisCommand.opts() as ElsomAgentOptions;
      const given = [options.elsomTerminal, options.elsomLogin, options.elsomPassword].filter((value) => value !== undefined).length;
      if (given === 0 && options.elsomService.length === 0 && options.elsomIp.length === 0) return;
      if (given !== 3) throw new Error('--elsom-terminal, --elsom-login and --elsom-password go together');
      if (options.elsomService.length === 0) throw new Error('an Elsom terminal needs at least one --elsom-service <id>=<serviceId>');
      options.elsomService.forEach(parseElsomServiceSpec);
      if (thisCommand.getOptionValueSource('currency') === 'default') thisCommand.setOptionValue('currency', 'KGS');
    });
  return command;
}

export interface ElsomTerminalSummary {
  elsomTerminal: string;
  elsomServices: string[];
}

export function describeElsomTerminal(summary: ElsomTerminalSummary | undefined): string {
  return summary ? `\nElsom terminal ${summary.elsomTerminal}: ${summary.elsomServices.join(', ')} (Elsom endpoint: POST ${loadConfig().elsom.path})` : '';
}

interface ElsomPayOptions {
  service: string;
  account: string;
  amount: string;
  count: string;
  concurrency: string;
  url?: string;
  terminal?: string;
  login?: string;
  password?: string;
  retries?: string;
  retryIntervalMs?: string;
  timeoutMs?: string;
  charset: 'windows-1251' | 'utf-8';
  settleMs: string;
  reconcile: boolean;
  json?: boolean;
}

function positiveInt(text: string, name: string, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new Error(`${name} must be an integer in [0, ${max}], got "${text}"`);
  return value;
}

/** `tolem sandbox elsom-pay`: the Elsom wallet simulator against a running Tolem, with reconciliation. */
export function registerElsomSandboxCommands(program: Command): void {
  const sandbox = program.commands.find((command) => command.name() === 'sandbox') ?? program.command('sandbox').description('partner simulators');
  sandbox
    .command('elsom-pay')
    .description('pay as the Elsom wallet: AUTHORIZE → PAYMENT (5 retries, 10 s apart), then reconcile with PAYMENT_LIST')
    .requiredOption('--service <id>', 'Elsom service-id, e.g. 5132')
    .requiredOption('--account <number>', 'account-number')
    .requiredOption('--amount <amount>', 'amount in soms, e.g. 10 or 10.50')
    .option('--count <n>', 'how many payments', '1')
    .option('--concurrency <n>', 'payments in flight at once', '4')
    .option('--url <url>', 'the Elsom endpoint (default http://127.0.0.1:$PORT$ELSOM_PATH)')
    .option('--terminal <id>', 'terminal-id (default $ELSOM_WALLET_TERMINAL or 1839)')
    .option('--login <login>', 'login (default $ELSOM_WALLET_LOGIN)')
    .option('--password <password>', 'password (default $ELSOM_WALLET_PASSWORD)')
    .option('--retries <n>', 'PAYMENT repeats after the first attempt (default 5)')
    .option('--retry-interval-ms <ms>', 'pause between attempts (default 10000)')
    .option('--timeout-ms <ms>', 'an attempt unanswered after this is repeated (default 30000)')
    .option('--charset <charset>', 'windows-1251 or utf-8', 'windows-1251')
    .option('--settle-ms <ms>', 'how long reconciliation waits for payments still being completed', '60000')
    .option('--no-reconcile', 'skip the PAYMENT_LIST reconciliation')
    .option('--json', 'machine-readable output')
    .action(async (options: ElsomPayOptions) => {
      const config = loadConfig();
      const { elsomWallet: defaults, elsom } = config;
      if (options.charset !== 'windows-1251' && options.charset !== 'utf-8') throw new Error('--charset is windows-1251 or utf-8');
      const wallet = new ElsomBillerClient({
        url: options.url ?? `http://127.0.0.1:${config.port}${elsom.path}`,
        terminalId: options.terminal ?? defaults.terminalId,
        login: options.login ?? defaults.login,
        password: options.password ?? defaults.password,
        retries: options.retries === undefined ? defaults.retries : positiveInt(options.retries, '--retries', 100),
        retryIntervalMs: options.retryIntervalMs === undefined ? defaults.retryIntervalMs : positiveInt(options.retryIntervalMs, '--retry-interval-ms', 600_000),
        requestTimeoutMs: options.timeoutMs === undefined ? defaults.requestTimeoutMs : Math.max(1, positiveInt(options.timeoutMs, '--timeout-ms', 600_000)),
        utcOffsetMinutes: elsom.utcOffsetMinutes,
        charset: options.charset,
        // The hub's clock (TOLEM_CLOCK when set): the wallet's days must be the biller's days for PAYMENT_LIST.
        clock: configuredClock(config),
      });
      const amountMinor = parseOperatorAmount(options.amount);
      const count = Math.max(1, positiveInt(options.count, '--count', 100_000));
      const started = Date.now();
      const payments = await wallet.run({ count, concurrency: Math.max(1, positiveInt(options.concurrency, '--concurrency', 256)), payment: () => ({ serviceId: options.service, account: options.account, amountMinor }) });
      const report = options.reconcile ? await wallet.reconcile({ settleTimeoutMs: positiveInt(options.settleMs, '--settle-ms', 3_600_000) }) : undefined;
      const outcomes = summarize(payments);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ elapsedMs: Date.now() - started, outcomes, payments: count <= 100 ? payments : undefined, reconciliation: report }, (_key, value) => (typeof value === 'bigint' ? value.toString() : value), 2)}\n`);
      } else {
        if (count <= 20) {
          for (const payment of payments) {
            process.stdout.write(`${payment.transactionNumber}\t${payment.outcome}\tresult-code ${payment.resultCode ?? '-'}\tstatus-id ${payment.statusId ?? '-'}\ttxn-id ${payment.txnId ?? '-'}${payment.disp1 ? `\t${payment.disp1}` : ''}\n`);
          }
        }
        process.stdout.write(`${count} payment(s) in ${Date.now() - started} ms: ${Object.entries(outcomes).map(([name, n]) => `${name} ${n}`).join(', ')}\n`);
        if (report) {
          process.stdout.write(`reconciliation ${report.from.day}.${report.from.month}.${report.from.year}…: wallet ${report.walletPaid} made, biller ${report.billerRows} rows, ${report.mismatches.length} mismatch(es)\n`);
          for (const mismatch of report.mismatches) process.stdout.write(`  ${mismatch.kind}\t${mismatch.transactionNumber ?? ''}\t${mismatch.detail}\n`);
        }
      }
      if (report && report.mismatches.length > 0) process.exitCode = 1;
    });
}
