/**
 * The `tolem` commands an operator runs on a hub: agents, tokens, cabinet users, operators, money, payments, the
 * attention list, security review, the audit log and the ledger check. Each is one admin-API call (src/admin/),
 * through the running hub's socket or over the store when no hub runs (./admin-client.ts), so the CLI and the console
 * share one path and one audit log. The caller is `local`: the machine's administrator, who may top up directly.
 */
import { Command, Option } from 'commander';
import { loadConfig } from '../config.ts';
import { formatAmount, isCurrencyCode, parseOperatorAmount } from '../domain/money.ts';
import { AdminRefusal, connectAdmin, type AdminConnection } from './admin-client.ts';
import { describeElsomTerminal, parseElsomServiceSpec, type ElsomAgentOptions } from './elsom.ts';

export type Output = { json: boolean };

export function print(output: Output, value: unknown, human: () => string): void {
  if (output.json) process.stdout.write(`${JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? item.toString() : item), 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}

export function id(text: string): string {
  if (!/^\d{1,18}$/.test(text)) throw new Error(`"${text}" is not an id`);
  return text;
}

export const json = () => new Option('--json', 'machine-readable output');

/** One admin call: the answer's body, or the API's refusal as the command's error (exit 1). */
export async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const connection = await connectAdmin(loadConfig());
  try {
    return await call(connection, method, path, body);
  } finally {
    await connection.close();
  }
}

async function call(connection: AdminConnection, method: string, path: string, body?: unknown): Promise<any> {
  const answer = await connection.call(method, path, body ?? (method === 'GET' ? undefined : {}));
  if (answer.status >= 400) {
    const error = answer.body?.error ?? { code: 'error', message: `HTTP ${answer.status}` };
    throw new AdminRefusal(answer.status, error.code, error.message);
  }
  return answer.body;
}

/** Minor units (decimal text) as an operator reads them: "1000.00". */
export function money(minor: string | null | undefined): string | null {
  return minor === null || minor === undefined ? null : formatAmount(BigInt(minor));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

type AgentCreateOptions = {
  name: string; currency: string; balance: string; overdraft: string; notification?: string; ip: string[]; ipOnly?: boolean;
  services?: string; confirmToken?: boolean; reviewAbove?: string;
} & Output & Partial<ElsomAgentOptions>;

/** The Elsom terminal of `agent create --elsom-*`, as the admin API takes it (checked by withElsomOptions before). */
function elsomTerminal(options: AgentCreateOptions) {
  if (options.elsomTerminal === undefined || options.elsomLogin === undefined || options.elsomPassword === undefined) return undefined;
  return {
    terminalId: options.elsomTerminal, login: options.elsomLogin, password: options.elsomPassword, ipAllow: options.elsomIp ?? [],
    services: (options.elsomService ?? []).map(parseElsomServiceSpec),
  };
}

/** `tolem agent create` without Elsom terminal options: one admin call. */
export async function createAgentCommand(options: AgentCreateOptions): Promise<void> {
  if (!isCurrencyCode(options.currency)) throw new Error(`unknown currency ${options.currency}`);
  if (options.ipOnly && options.ip.length === 0) throw new Error('--ip-only needs at least one --ip');
  const terminal = elsomTerminal(options);
  const created = await admin('POST', '/agents', {
    name: options.name,
    currency: options.currency,
    openingBalanceMinor: String(parseOperatorAmount(options.balance)),
    overdraftMinor: String(parseOperatorAmount(options.overdraft, 2, true)),
    ...(options.notification ? { notificationMinor: String(parseOperatorAmount(options.notification)) } : {}),
    ipAllow: options.ip,
    ipOnly: options.ipOnly ?? false,
    ...(options.services ? { allowedServices: options.services.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    ...(options.reviewAbove ? { reviewAboveMinor: String(parseOperatorAmount(options.reviewAbove)) } : {}),
    // An Elsom agent authenticates with its terminal credentials; an API token would only be one more secret.
    issueToken: !options.ipOnly && terminal === undefined,
    confirmToken: options.confirmToken ?? false,
    ...(terminal ? { elsomTerminal: terminal } : {}),
  });
  const status = created.token ? (options.confirmToken ? 'confirmed' : 'pending') : null;
  const elsom = terminal ? { elsomTerminal: terminal.terminalId, elsomServices: options.elsomService ?? [] } : undefined;
  print(options, { agentId: created.agent.id, token: created.token, tokenStatus: status, ...elsom }, () =>
    `agent ${created.agent.id} created${created.token ? `\ntoken (shown once, ${status === 'confirmed' ? 'confirmed' : 'pending confirmation'}): ${created.token}` : ''}${describeElsomTerminal(elsom)}`);
}

export function agentCreateOptions(command: Command): Command {
  return command
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
    .addOption(json());
}

/** The funds view `agent topup` and `agent show` print (amounts as decimals). */
export function fundsJson(funds: any) {
  const agent = funds.agent;
  return {
    agentId: agent.id, name: agent.name, currency: agent.currency,
    balance: money(funds.postedMinor), reserved: money(funds.reservedMinor), available: money(funds.availableMinor),
    overdraft: money(agent.overdraftMinor), notification: money(agent.notificationMinor),
    ipAllow: agent.ipAllow, ipOnly: agent.ipOnly, services: agent.allowedServices, reviewAbove: money(agent.reviewAboveMinor),
  };
}

export function registerAgentCommands(agent: Command): void {
  agent.command('list').description('every agent with its balance').addOption(json()).action(async (options: Output) => {
    const { agents } = await admin('GET', '/agents');
    print(options, agents.map((a: any) => ({ ...a, posted: money(a.postedMinor), available: money(a.availableMinor) })), () =>
      agents.map((a: any) => `${a.id}\t${a.name}${a.internal ? ' (internal: the checkout)' : ''}\t${a.currency}\tavailable ${money(a.availableMinor)}\t${a.enabled ? 'enabled' : 'disabled'}`).join('\n'));
  });
  agent.command('topup <agentId> <amount>')
    .description('top up (or, with a negative amount, correct) an agent balance at once; always a ledger transfer')
    .requiredOption('--reason <text>', 'why: shown in the ledger').addOption(json())
    .action(async (agentId: string, amount: string, options: { reason: string } & Output) => {
      const amountMinor = parseOperatorAmount(amount, 2, true);
      if (amountMinor === 0n) throw new Error('a top-up of zero changes nothing');
      const moved = await admin('POST', `/agents/${id(agentId)}/topup`, { amountMinor: String(amountMinor), reason: options.reason });
      const view = fundsJson(moved.funds);
      print(options, view, () => `agent ${agentId}: available ${view.available} ${view.currency}`);
    });
  agent.command('show <agentId>').addOption(json()).action(async (agentId: string, options: Output) => {
    const shown = await admin('GET', `/agents/${id(agentId)}`);
    const view = {
      ...fundsJson(shown.funds),
      tokens: shown.tokens.map((t: any) => ({ id: t.id, hint: `${t.hint}…`, status: t.status })),
      users: shown.users.map((u: any) => ({ id: u.id, login: u.login, disabled: u.disabledAt !== null })),
      events: shown.events.map((e: any) => ({ kind: e.kind, at: e.createdAt, details: e.details })),
    };
    print(options, view, () => [
      `agent ${view.agentId} ${view.name} (${view.currency})`,
      `  balance ${view.balance}, reserved ${view.reserved}, available ${view.available}, overdraft floor ${view.overdraft}, notification ${view.notification ?? '-'}`,
      `  IP allow-list: ${view.ipAllow.join(', ') || 'any'}${view.ipOnly ? ' (IP-only)' : ''}; services: ${view.services?.join(', ') ?? 'all'}`,
      ...view.tokens.map((t: any) => `  token ${t.id} ${t.hint} ${t.status}`),
      ...view.users.map((u: any) => `  cabinet user ${u.id} ${u.login}${u.disabled ? ' (disabled)' : ''}`),
      ...view.events.map((e: any) => `  event ${e.at} ${e.kind} ${JSON.stringify(e.details)}`),
    ].join('\n'));
  });
  agent.command('user').description('cabinet logins of an agent').command('create <agentId>')
    .requiredOption('--login <login>', 'the cabinet login').requiredOption('--password <password>', 'its password (8 characters or more)').addOption(json())
    .action(async (agentId: string, options: { login: string; password: string } & Output) => {
      const { user } = await admin('POST', `/agents/${id(agentId)}/users`, { login: options.login, password: options.password });
      print(options, user, () => `cabinet user ${user.id} ${user.login} created for agent ${user.agentId}`);
    });
}

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('agent API tokens: pending → confirmed → revoked');
  token.command('issue <agentId>').option('--confirm', 'confirm at once').addOption(json()).action(async (agentId: string, options: { confirm?: boolean } & Output) => {
    const issued = await admin('POST', `/agents/${id(agentId)}/tokens`, { confirm: options.confirm ?? false });
    print(options, { agentId: issued.agentId, tokenId: issued.id, token: issued.token, status: issued.status }, () =>
      `token ${issued.id} (${issued.status}; shown once): ${issued.token}${issued.status === 'pending' ? `\nconfirm it: tolem token confirm ${issued.id}` : ''}`);
  });
  token.command('list <agentId>').addOption(json()).action(async (agentId: string, options: Output) => {
    const { tokens } = await admin('GET', `/agents/${id(agentId)}/tokens`);
    print(options, tokens, () => tokens.map((t: any) => `${t.id}\t${t.hint}…\t${t.status}\t${t.createdAt}`).join('\n') || 'no tokens');
  });
  for (const [name, done] of [['confirm', 'confirmed'], ['revoke', 'revoked']] as const) {
    token.command(`${name} <tokenId>`).addOption(json()).action(async (tokenId: string, options: Output) => {
      const { changed } = await admin('POST', `/tokens/${id(tokenId)}/${name}`);
      print(options, { tokenId, changed }, () => (changed ? `token ${tokenId} ${done}` : `token ${tokenId} unchanged (already ${done}${name === 'confirm' ? ' or revoked' : ''})`));
      if (!changed) process.exitCode = 1;
    });
  }
}

export function registerOperatorCommands(program: Command): void {
  const operator = program.command('operator').description('console operators and their roles (admin, operator, viewer)');
  operator.command('create').requiredOption('--login <login>', 'login').requiredOption('--password <password>', 'password (8 characters or more)')
    .addOption(new Option('--role <role>', 'role').choices(['admin', 'operator', 'viewer']).makeOptionMandatory()).addOption(json())
    .action(async (options: { login: string; password: string; role: string } & Output) => {
      const created = await admin('POST', '/operators', { login: options.login, password: options.password, role: options.role });
      print(options, created.operator, () => `operator ${created.operator.id} ${created.operator.login} (${created.operator.role}) created`);
    });
  operator.command('list').addOption(json()).action(async (options: Output) => {
    const { operators } = await admin('GET', '/operators');
    print(options, operators, () => operators.map((o: any) => `${o.id}\t${o.login}\t${o.role}${o.disabledAt ? '\tdisabled' : ''}${o.totpEnabled ? '\tTOTP' : ''}`).join('\n'));
  });
  operator.command('role <operatorId> <role>').addOption(json()).action(async (operatorId: string, role: string, options: Output) => {
    const changed = await admin('PATCH', `/operators/${id(operatorId)}`, { role });
    print(options, changed.operator, () => `operator ${operatorId} is now ${changed.operator.role}`);
  });
  for (const name of ['disable', 'enable'] as const) {
    operator.command(`${name} <operatorId>`).addOption(json()).action(async (operatorId: string, options: Output) => {
      const changed = await admin('POST', `/operators/${id(operatorId)}/${name}`);
      print(options, changed.operator, () => `operator ${operatorId} ${name}d`);
    });
  }
}
