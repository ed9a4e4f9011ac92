/**
 * The day's commands over the admin API: maker-checker proposals, payment search and records, the attention list,
 * security review, the audit log, the ledger check and the catalog (see ./admin-commands.ts for how they connect).
 */
import { Command } from 'commander';
import { parseOperatorAmount } from '../domain/money.ts';
import { admin, id, json, money, print, type Output } from './admin-commands.ts';

export function registerMoneyCommands(program: Command): void {
  const topup = program.command('topup').description('maker-checker: propose a top-up or correction; another operator approves it');
  topup.command('propose <agentId> <amount>').requiredOption('--reason <text>', 'why: shown in the ledger').addOption(json())
    .action(async (agentId: string, amount: string, options: { reason: string } & Output) => {
      const amountMinor = parseOperatorAmount(amount, 2, true);
      const { proposal } = await admin('POST', '/proposals', { kind: amountMinor > 0n ? 'topup' : 'correction', agentId: id(agentId), amountMinor: String(amountMinor), reason: options.reason });
      print(options, proposal, () => `proposal ${proposal.id}: ${proposal.kind} of ${money(proposal.amountMinor)} ${proposal.currency} for agent ${proposal.agentId}, waiting for another operator`);
    });
  for (const decision of ['approve', 'reject'] as const) {
    topup.command(`${decision} <proposalId>`).option('--note <text>', 'kept with the decision').addOption(json())
      .action(async (proposalId: string, options: { note?: string } & Output) => {
        const decided = await admin('POST', `/proposals/${id(proposalId)}/${decision}`, options.note ? { note: options.note } : {});
        const proposal = decided.proposal;
        print(options, decided, () => `proposal ${proposal.id} ${proposal.state}${decided.funds ? `: agent ${proposal.agentId} available ${money(decided.funds.availableMinor)}` : ''}`);
      });
  }
  topup.command('list').option('--state <state>', 'proposed, executing, approved, rejected or failed').addOption(json()).action(async (options: { state?: string } & Output) => {
    const { proposals } = await admin('GET', `/proposals${options.state ? `?state=${encodeURIComponent(options.state)}` : ''}`);
    print(options, proposals, () => proposals.map((p: any) => `${p.id}\t${p.state}\t${p.kind}\tagent ${p.agentId}\t${money(p.amountMinor)} ${p.currency}\tby ${p.makerLogin}\t${p.reason}`).join('\n') || 'no proposals');
  });
}

type PaymentListOptions = {
  agent?: string; service?: string; account?: string; state?: string; code?: string; from?: string; to?: string;
  min?: string; max?: string; after?: string; limit?: string;
} & Output;

/** The filters of `tolem payment list` as the admin API's query (amounts as decimals → minor units). */
function paymentQuery(options: PaymentListOptions): string {
  const query = new URLSearchParams();
  const set = (name: string, value: string | undefined) => value !== undefined && query.set(name, value);
  set('agentId', options.agent);
  set('serviceId', options.service);
  set('account', options.account);
  set('state', options.state);
  set('code', options.code);
  set('from', options.from);
  set('to', options.to);
  set('minAmountMinor', options.min === undefined ? undefined : String(parseOperatorAmount(options.min)));
  set('maxAmountMinor', options.max === undefined ? undefined : String(parseOperatorAmount(options.max)));
  set('after', options.after);
  set('limit', options.limit);
  const text = query.toString();
  return text ? `?${text}` : '';
}

export function registerPaymentCommands(program: Command): void {
  const payment = program.command('payment').description('payments: search with filters that combine, or one payment\'s record');
  payment.command('list').description('newest first; every filter combines with the others')
    .option('--agent <agentId>').option('--service <serviceId>').option('--account <account>')
    .option('--state <states>', 'one or more, comma-separated (succeeded,failed,…)').option('--code <resultCode>')
    .option('--from <instant>', 'created at or after (ISO-8601 with a zone)').option('--to <instant>', 'created before')
    .option('--min <amount>', 'amountTo at least').option('--max <amount>', 'amountTo at most')
    .option('--after <transactionId>', 'the next page: payments older than this one').option('--limit <n>', 'at most this many (1-200)', '50')
    .addOption(json())
    .action(async (options: PaymentListOptions) => {
      const found = await admin('GET', `/payments${paymentQuery(options)}`);
      print(options, found, () => [
        ...found.payments.map((p: any) => `${p.transactionId}\tagent ${p.agentId}\t${p.serviceId}\t${p.account}\t${money(p.amountToMinor)} ${p.currency}\t${p.state}\t${p.resultCode}\t${p.createdAt}`),
        `${found.total}${found.totalCapped ? '+' : ''} found${found.nextAfter ? `; next page: --after ${found.nextAfter}` : ''}`,
      ].join('\n'));
    });
  payment.command('show <transactionId>', { isDefault: true }).description('one payment: state, amounts, provider reference, ledger transfers, attention items')
    .addOption(json())
    .action(async (transactionId: string, options: Output) => {
      const { payment: row, transfers, attention } = await admin('GET', `/payments/${id(transactionId)}`);
      const view = {
        ...row,
        transfers: transfers.map((t: any) => ({ id: t.id, kind: t.kind, amount: money(t.amountMinor), from: t.debit, to: t.credit, reason: t.reason, at: t.createdAt })),
        attention: attention.map((item: any) => ({ id: item.id, kind: item.kind, reason: item.reason, resolved: item.resolvedAt !== null, resolution: item.resolution })),
      };
      print(options, view, () => [
        `payment ${row.id} (agent ${row.agent_id}, agentTransactionId ${row.agent_txn_id}): ${row.state}, ${row.result_code} ${row.result_message}`,
        `  ${row.service_id} ${row.account} ${money(row.amount_to_minor ?? '0')} ${row.currency} via ${row.provider}${row.provider_ref ? ` ref ${row.provider_ref}` : ''}, attempts ${row.attempts}`,
        ...view.transfers.map((t: any) => `  transfer ${t.id} ${t.kind} ${t.amount} ${t.from} → ${t.to}: ${t.reason}`),
        ...view.attention.map((a: any) => `  attention ${a.id} ${a.kind}${a.resolved ? ' (resolved)' : ''}: ${a.reason}`),
      ].join('\n'));
    });
}

export function registerOperationCommands(program: Command): void {
  program.command('services').description('the catalog').addOption(json()).action(async (options: Output) => {
    const { services } = await admin('GET', '/services');
    print(options, services, () => services.map((s: any) => `${s.serviceId}\ttype ${s.type}\t${s.currency}\t${s.enabled ? 'on ' : 'off'}\t${s.provider}\t${s.name}`).join('\n'));
  });
  const attention = program.command('attention').description('payments that need an operator').addOption(json()).option('--all', 'include resolved items')
    .action(async (options: { all?: boolean } & Output) => {
      const { items } = await admin('GET', `/attention${options.all ? '?all=true' : ''}`);
      print(options, items, () => items.map((i: any) => `${i.id}\t${i.kind}\tpayment ${i.paymentId ?? '-'}\t${i.createdAt}\t${i.reason}${i.resolvedAt ? `\tresolved: ${i.resolution}` : `\tactions: ${i.actions.join(', ')}`}`).join('\n') || 'nothing needs attention');
    });
  attention.command('retry <itemId>').description('drive the item\'s payment again now (no money moves)').addOption(json()).action(async (itemId: string, options: Output) => {
    const { payment } = await admin('POST', `/attention/${id(itemId)}/retry`, {});
    print(options, payment, () => `payment ${payment.transactionId} driven again (${payment.state})`);
  });
  attention.command('propose <itemId> <action>').description('mark_paid, reverse or refund the item\'s payment: another operator approves it (tolem topup approve ID)')
    .requiredOption('--note <text>', 'why').option('--provider-ref <ref>', 'mark_paid: the provider\'s reference of the payment').addOption(json())
    .action(async (itemId: string, action: string, options: { note: string; providerRef?: string } & Output) => {
      const { proposal } = await admin('POST', `/attention/${id(itemId)}/proposals`, { action, note: options.note, ...(options.providerRef ? { providerRef: options.providerRef } : {}) });
      print(options, proposal, () => `proposal ${proposal.id}: ${proposal.kind} of payment ${proposal.paymentId}, waiting for another operator`);
    });
  attention.command('resolve <itemId>').requiredOption('--note <text>', 'what was done').addOption(json()).action(async (itemId: string, options: { note: string } & Output) => {
    await admin('POST', `/attention/${id(itemId)}/resolve`, { note: options.note });
    print(options, { itemId, resolved: true }, () => `item ${itemId} resolved`);
  });
  registerReviewCommands(program);
  program.command('ledger-check').description('verify the ledger invariants').addOption(json()).action(async (options: Output) => {
    const report = await admin('GET', '/ledger/check');
    print(options, report, () => (report.ok ? 'ledger balanced: every currency sums to zero, caches match transfers, no agent below its floor' : report.problems.join('\n')));
    if (!report.ok) process.exitCode = 1;
  });
  const audit = program.command('audit').description('the audit log of operator and cabinet actions, newest first')
    .option('--action <action>', 'an action, or a prefix ending in a dot (proposals.)').option('--limit <n>', 'at most this many', '50').addOption(json())
    .action(async (options: { action?: string; limit: string } & Output) => {
      const query = new URLSearchParams({ limit: options.limit, ...(options.action ? { action: options.action } : {}) });
      const { entries } = await admin('GET', `/audit?${query.toString()}`);
      print(options, entries, () => entries.map((e: any) => `${e.id}\t${e.at}\t${e.actorLogin}${e.ip ? `@${e.ip}` : ''}\t${e.action}\t${e.targetKind ?? ''} ${e.targetId ?? ''}`).join('\n') || 'no entries');
    });
  audit.command('verify').addOption(json()).action(async (options: Output) => {
    const result = await admin('GET', '/audit/verify');
    print(options, result, () => (result.ok ? `audit chain intact (${result.entries} entries)` : `audit chain broken at entry ${result.brokenAt}: ${result.problem}`));
    if (!result.ok) process.exitCode = 1;
  });
}

function registerReviewCommands(program: Command): void {
  const review = program.command('review').description('payments held for the security service (code 153)');
  review.command('list').addOption(json()).action(async (options: Output) => {
    const { payments } = await admin('GET', '/reviews');
    print(options, payments, () => payments.map((p: any) => `${p.transactionId}\tagent ${p.agentId}\t${p.serviceId}\t${p.account}\t${money(p.amountToMinor ?? '0')} ${p.currency}\t${p.paidAt ?? ''}`).join('\n') || 'nothing held');
  });
  for (const decision of ['approve', 'reject'] as const) {
    review.command(`${decision} <transactionId>`).requiredOption('--note <text>', 'the reason, kept with the payment').addOption(json())
      .action(async (transactionId: string, options: { note: string } & Output) => {
        const { payment } = await admin('POST', `/reviews/${id(transactionId)}/${decision}`, { note: options.note });
        print(options, payment, () => `payment ${transactionId}: ${payment.state} (${payment.code})${decision === 'approve' && payment.state === 'accepted' ? ' — the hub pays it now (or at its next sweep when it was stopped)' : ''}`);
      });
  }
}
