/** The day's work: payment search and records, the attention list, 153 holds, the audit log, the ledger check, the dashboard. */
import { z } from 'zod';
import { PAYMENT_STATES, type PaymentState } from '../../domain/payment.ts';
import { ServiceError } from '../../engine/errors.ts';
import { proofCsv, proofHtml } from '../../engine/money-proof.ts';
import { idParams, idText, instantText, minorText, noteBody, route, type AdminRoute } from '../route.ts';

const paymentQuery = z.object({
  agentId: idText.optional(),
  serviceId: z.string().min(1).max(50).optional(),
  account: z.string().min(1).max(200).optional(),
  /** One state or several, comma-separated. */
  state: z.string().max(200).optional().refine((text) => text === undefined || text.split(',').every((s) => (PAYMENT_STATES as readonly string[]).includes(s.trim())),
    `states are ${PAYMENT_STATES.join(', ')}`),
  code: z.string().regex(/^\d{1,4}$/, 'a result code').transform(Number).optional(),
  from: instantText.optional(),
  to: instantText.optional(),
  minAmountMinor: minorText().optional(),
  maxAmountMinor: minorText().optional(),
  transactionId: idText.optional(),
  agentTransactionId: idText.optional(),
  after: idText.optional(),
  limit: z.string().regex(/^\d{1,3}$/).transform(Number).optional(),
}).strict();

type PaymentQuery = z.infer<typeof paymentQuery>;

function paymentFilters(query: PaymentQuery) {
  const { after: _after, limit: _limit, state, code, ...rest } = query;
  const filters = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  return {
    ...filters,
    ...(state ? { states: state.split(',').map((s) => s.trim()) as PaymentState[] } : {}),
    ...(code !== undefined ? { resultCode: code } : {}),
  };
}

const transactionParams = z.object({ transactionId: idText });
const proofDay = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD') });

const attentionProposalBody = z.object({
  action: z.enum(['mark_paid', 'reverse', 'refund']),
  note: z.string().min(1).max(500),
  /** mark_paid: the provider's reference of the payment. */
  providerRef: z.string().min(1).max(100).optional(),
}).strict();

const threeWayBody = z.object({
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD'),
  /** One provider route name; unset: every provider that lists its payments. */
  provider: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'a provider route name (alseco, sandbox-mobile, …)').optional(),
  agentId: idText.optional(),
  /** One of the agent's registries of the day; unset: the agent's latest of the day. */
  agentRegistryId: idText.optional(),
}).strict();

const caseProposalBody = z.object({
  action: z.enum(['pay_provider', 'reverse_at_provider', 'refund_agent', 'mark_paid']),
  note: z.string().min(1).max(500),
}).strict();

export const operationRoutes: AdminRoute[] = [
  route({
    method: 'GET', url: '/payments', tag: 'payments', action: 'payments.read', query: paymentQuery,
    summary: 'Search payments: every filter combines; newest first; page on with after=nextAfter', target: ({ query }) => query.agentId,
    handle: async ({ services, query }) => services.payments.search(paymentFilters(query), {
      ...(query.after !== undefined ? { after: query.after } : {}), ...(query.limit !== undefined ? { limit: query.limit } : {}),
    }),
  }),
  route({
    method: 'GET', url: '/payments/:transactionId', tag: 'payments', action: 'payments.read', params: transactionParams,
    summary: 'One payment: the stored row, its ledger transfers and attention items',
    target: async ({ services, params }) => (await services.payments.record(params.transactionId))?.payment.agent_id as bigint | undefined ?? 0n,
    handle: async ({ services, params }) => {
      const record = await services.payments.record(params.transactionId);
      if (!record) throw new ServiceError('not_found', 'payment_not_found', `payment ${params.transactionId} not found`);
      return record;
    },
  }),
  route({
    method: 'GET', url: '/attention', tag: 'attention', action: 'attention.read',
    query: z.object({ all: z.enum(['true', 'false']).optional() }).strict(), summary: 'Payments that need an operator (all=true: resolved ones too)',
    handle: async ({ services, query }) => ({ items: await services.attention.list(query.all === 'true') }),
  }),
  route({
    method: 'POST', url: '/attention/:id/resolve', tag: 'attention', action: 'attention.resolve', params: idParams, body: noteBody,
    summary: 'Close an attention item with what was done',
    handle: async ({ services, actor, params, body }) => ({ item: await services.attention.resolve(actor, params.id, body.note) }),
  }),
  route({
    method: 'POST', url: '/attention/:id/retry', tag: 'attention', action: 'attention.resolve', params: idParams,
    summary: 'Drive the item\'s payment again now (waiting for funds or with the provider); no money moves',
    handle: async ({ services, actor, params }) => ({ payment: await services.attention.retry(actor, params.id) }),
  }),
  route({
    method: 'POST', url: '/attention/:id/proposals', tag: 'attention', action: 'proposals.propose', params: idParams, body: attentionProposalBody, status: 201,
    summary: 'Propose mark_paid (with the provider\'s reference), reverse or refund of the item\'s payment; another operator approves it',
    handle: async ({ services, actor, params, body }) => ({
      proposal: await services.attention.propose(actor, params.id, { action: body.action, note: body.note, ...(body.providerRef !== undefined ? { providerRef: body.providerRef } : {}) }),
    }),
  }),
  route({
    method: 'GET', url: '/reviews', tag: 'security review', action: 'reviews.read', summary: 'Payments held for the security service (153), oldest first',
    handle: async ({ services }) => ({ payments: await services.reviews.list() }),
  }),
  ...(['approve', 'reject'] as const).map((decision) => route({
    method: 'POST', url: `/reviews/:transactionId/${decision}`, tag: 'security review', action: 'reviews.decide', params: transactionParams, body: noteBody,
    summary: decision === 'approve' ? 'Approve a held payment: it goes to the provider' : 'Reject a held payment: its reservation is voided, code 300',
    handle: async ({ services, actor, params, body }) => ({ payment: await services.reviews.decide(actor, params.transactionId, decision, body.note) }),
  })),
  route({
    method: 'GET', url: '/audit', tag: 'audit', action: 'audit.read',
    query: z.object({
      actorLogin: z.string().max(64).optional(), action: z.string().max(100).optional(), targetKind: z.string().max(50).optional(),
      targetId: z.string().max(50).optional(), from: instantText.optional(), to: instantText.optional(), before: idText.optional(),
      limit: z.string().regex(/^\d{1,3}$/).transform(Number).optional(),
    }).strict(),
    summary: 'The audit log, newest first (action may be a prefix ending in a dot: "proposals.")',
    handle: async ({ services, query }) => {
      const { before, limit, ...filters } = query;
      return services.audit.list(Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)), {
        ...(before !== undefined ? { before } : {}), ...(limit !== undefined ? { limit } : {}),
      });
    },
  }),
  route({
    method: 'GET', url: '/audit/verify', tag: 'audit', action: 'audit.read', summary: 'Walk the audit chain: ok, or the first entry that does not hold',
    handle: async ({ services }) => services.audit.verify(),
  }),
  route({
    method: 'GET', url: '/ledger/check', tag: 'ledger', action: 'ledger.check', summary: 'The ledger invariants: every currency sums to zero, caches match, no agent below its floor',
    handle: async ({ services }) => services.ledgerCheck(),
  }),
  route({
    method: 'GET', url: '/dashboard', tag: 'dashboard', action: 'dashboard.read',
    query: z.object({ minutes: z.string().regex(/^\d{1,4}$/).transform(Number).optional() }).strict(),
    summary: 'Payments per minute and success rate by service and by agent, open payments, attention count',
    handle: async ({ services, query }) => ({
      byService: await services.payments.rates('service', query.minutes),
      byAgent: await services.payments.rates('agent', query.minutes),
      open: await services.payments.openCounts(),
      attention: (await services.attention.list(false)).length,
    }),
  }),
  route({
    method: 'POST', url: '/money-proofs', tag: 'money proof', action: 'reconciliation.run', status: 201,
    body: z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD') }).strict(),
    summary: 'Prove a business day once it is over: balances, funding, payments, corrections per account, the ledger at zero, the chain to the day before; a day proved before is computed again and compared',
    handle: async ({ services, actor, body }) => services.moneyProofs.prove(actor, body.day),
  }),
  route({
    method: 'GET', url: '/money-proofs', tag: 'money proof', action: 'reconciliation.read', summary: 'The stored proofs, newest first, and whether their chain holds',
    handle: async ({ services }) => ({ proofs: await services.moneyProofs.list(), chain: await services.moneyProofs.verifyChain() }),
  }),
  route({
    method: 'GET', url: '/money-proofs/:day', tag: 'money proof', action: 'reconciliation.read', params: proofDay,
    query: z.object({ format: z.enum(['json', 'csv', 'html']).optional() }).strict(),
    summary: 'One proof: JSON, or its CSV or HTML text (format=csv|html, as {csv} / {html})',
    handle: async ({ services, params, query }) => {
      const proof = await services.moneyProofs.find(params.day);
      if (!proof) throw new ServiceError('not_found', 'proof_not_found', `no money proof for ${params.day}`);
      if (query.format === 'csv') return { csv: proofCsv(proof) };
      if (query.format === 'html') return { html: proofHtml(proof) };
      return { proof };
    },
  }),
  route({
    method: 'POST', url: '/money-proofs/:day/sign', tag: 'money proof', action: 'proposals.decide', params: proofDay,
    summary: 'Sign the proof of a day (another operator than the one who made it): recorded with it and in the audit log',
    handle: async ({ services, actor, params }) => ({ proof: await services.moneyProofs.sign(actor, params.day) }),
  }),
  route({
    method: 'GET', url: '/providers/health', tag: 'dashboard', action: 'dashboard.read',
    summary: 'Each provider\'s circuit on this instance (closed, half_open, open: new checks and pays refused with 8), success and unknown-outcome rates, latency',
    handle: async ({ services }) => ({ providers: services.providerCircuits() }),
  }),
  route({
    method: 'POST', url: '/reconciliations/:provider', tag: 'reconciliation', action: 'reconciliation.run',
    params: z.object({ provider: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'a provider route name (alseco, sandbox-mobile, …)') }), body: z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD'), confirm: z.boolean().optional() }).strict(),
    summary: 'Reconcile one business day of the provider: classes found, correcting actions; a clean day is confirmed unless confirm=false',
    handle: async ({ services, actor, params, body }) => services.reconciliation.run(actor, params.provider, body.day, { confirm: body.confirm ?? true }),
  }),
  route({
    method: 'GET', url: '/reconciliations/runs/:id/csv', tag: 'reconciliation', action: 'reconciliation.read', params: idParams,
    summary: 'Every item of a reconciliation run with its correcting action, as CSV text',
    handle: async ({ services, params }) => ({ csv: await services.reconciliation.csv(params.id) }),
  }),
  route({
    method: 'POST', url: '/reconciliations', tag: 'reconciliation', action: 'reconciliation.run', body: threeWayBody,
    summary: 'Reconcile a business day three ways — the agent\'s registry, the hub\'s payments, the providers\' registries: counts per class, and each difference with its proposed action and money effect',
    handle: async ({ services, actor, body }) => services.threeWay.run(actor, {
      day: body.day, ...(body.provider ? { provider: body.provider } : {}), ...(body.agentId !== undefined ? { agentId: body.agentId } : {}),
      ...(body.agentRegistryId !== undefined ? { agentRegistryId: body.agentRegistryId } : {}),
    }),
  }),
  route({
    method: 'GET', url: '/reconciliations/three-way/:id', tag: 'reconciliation', action: 'reconciliation.read', params: idParams,
    summary: 'A three-way run: its figures, the counts per class, the first 1,000 items (differences first) with proposed actions and the proposals made',
    handle: async ({ services, params }) => {
      const found = await services.threeWay.findRun(params.id);
      if (!found) throw new ServiceError('not_found', 'run_not_found', `no three-way run ${params.id}`);
      return found;
    },
  }),
  route({
    method: 'GET', url: '/reconciliations/three-way/:id/csv', tag: 'reconciliation', action: 'reconciliation.read', params: idParams,
    summary: 'Every stored item of a three-way run with its proposed action, money effect and explanation, as CSV text',
    handle: async ({ services, params }) => {
      if (!(await services.threeWay.findRun(params.id))) throw new ServiceError('not_found', 'run_not_found', `no three-way run ${params.id}`);
      let csv = '';
      for await (const chunk of services.threeWay.csvLines(params.id)) csv += chunk;
      return { csv };
    },
  }),
  route({
    method: 'POST', url: '/reconciliations/items/:id/proposals', tag: 'reconciliation', action: 'proposals.propose', params: idParams, body: caseProposalBody, status: 201,
    summary: 'Propose an item\'s money action (pay_provider, reverse_at_provider, refund_agent, mark_paid); another operator approves it (POST /proposals/:id/approve)',
    handle: async ({ services, actor, params, body }) => ({ proposal: await services.threeWay.propose(actor, params.id, body) }),
  }),
  route({
    method: 'POST', url: '/reconciliations/items/:id/acknowledge', tag: 'reconciliation', action: 'attention.resolve', params: idParams, body: noteBody,
    summary: 'Record what was done about an item whose action moves no money (who corrects which book)',
    handle: async ({ services, actor, params, body }) => ({ item: await services.threeWay.acknowledge(actor, params.id, body.note) }),
  }),
  route({
    method: 'POST', url: '/store/migrate', tag: 'store', action: 'catalog.manage',
    summary: 'Apply the store\'s migrations not yet applied (the hub applies them at its start; this answers what is current)',
    handle: async ({ services }) => services.migrateStore(),
  }),
  route({
    method: 'GET', url: '/services', tag: 'catalog', action: 'catalog.read', summary: 'The catalog\'s services',
    handle: async ({ services }) => ({ services: await services.catalog.all() }),
  }),
];
