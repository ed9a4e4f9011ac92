import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { consolePage, text } from './page.ts';
import { refusalKey } from './refusals.ts';
import type { ConsoleDeps } from './routes.ts';

type IdParams = { Params: { id: string } };
const idOf = (value: string): bigint | undefined => (/^\d{1,18}$/.test(value) ? BigInt(value) : undefined);

/**
 * The two queues an operator works through: the attention list (each item with what happened and the actions that
 * fit its payment: retry, close with a note, and the money actions — mark paid, reverse, refund — proposed here and
 * approved by another operator on the approvals page) and the security review (payments held with 153: approve sends them on to the provider, reject ends them).
 */
export function registerQueues(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/attention', async (request, reply) => {
    const signed = await deps.page(request, reply, 'attention.read', 'attention');
    if (!signed) return reply;
    const resolved = signed.query['resolved'] === '1';
    const items = await deps.services.attention(resolved);
    const principal = signed.session.principal;
    const data = {
      items: resolved ? items.filter((i) => i.resolvedAt) : items, resolved,
      mayResolve: deps.services.can(principal, 'attention.resolve'), mayPropose: deps.services.can(principal, 'proposals.propose'),
    };
    return deps.send(reply, 200, consolePage(signed.view, 'attention', text(signed.view.lang, 'nav_attention'), data));
  });
  app.post<IdParams>('/attention/:id/resolve', (request, reply) => resolve(deps, request, reply));
  app.post<IdParams>('/attention/:id/retry', (request, reply) => retry(deps, request, reply));
  app.post<IdParams>('/attention/:id/propose', (request, reply) => proposeAction(deps, request, reply));

  app.get('/review', async (request, reply) => {
    const signed = await deps.page(request, reply, 'reviews.read', 'review');
    if (!signed) return reply;
    const data = { held: await deps.services.review(), mayDecide: deps.services.can(signed.session.principal, 'reviews.decide') };
    return deps.send(reply, 200, consolePage(signed.view, 'review', text(signed.view.lang, 'nav_review'), data));
  });
  app.post<IdParams>('/review/:id/approve', (request, reply) => decide(deps, request, reply, 'approve'));
  app.post<IdParams>('/review/:id/reject', (request, reply) => decide(deps, request, reply, 'reject'));
}

async function resolve(deps: ConsoleDeps, request: FastifyRequest<IdParams>, reply: FastifyReply): Promise<FastifyReply> {
  const signed = await deps.act(request, reply, 'attention.resolve');
  if (!signed) return reply;
  const id = idOf(request.params.id);
  if (id === undefined) return deps.back(reply, '/console/attention', { err: 'not_found' });
  try {
    const done = await deps.services.resolveAttention(signed.actor, id, signed.form['note'] ?? '');
    return deps.back(reply, '/console/attention', done ? { ok: 'resolved' } : { err: 'not_pending' });
  } catch (error) {
    return deps.back(reply, '/console/attention', { err: refusalKey(error) });
  }
}

async function retry(deps: ConsoleDeps, request: FastifyRequest<IdParams>, reply: FastifyReply): Promise<FastifyReply> {
  const signed = await deps.act(request, reply, 'attention.resolve');
  if (!signed) return reply;
  const id = idOf(request.params.id);
  if (id === undefined) return deps.back(reply, '/console/attention', { err: 'not_found' });
  try {
    await deps.services.retryAttention(signed.actor, id);
  } catch (error) {
    return deps.back(reply, '/console/attention', { err: refusalKey(error) });
  }
  return deps.back(reply, '/console/attention', { ok: 'retried' });
}

const MONEY_ACTIONS = ['mark_paid', 'reverse', 'refund'] as const;

async function proposeAction(deps: ConsoleDeps, request: FastifyRequest<IdParams>, reply: FastifyReply): Promise<FastifyReply> {
  const signed = await deps.act(request, reply, 'proposals.propose');
  if (!signed) return reply;
  const id = idOf(request.params.id);
  const action = MONEY_ACTIONS.find((candidate) => candidate === signed.form['action']);
  if (id === undefined || !action) return deps.back(reply, '/console/attention', { err: id === undefined ? 'not_found' : 'bad_input' });
  const providerRef = (signed.form['provider_ref'] ?? '').trim();
  try {
    await deps.services.proposeAttention(signed.actor, id, { action, note: signed.form['note'] ?? '', ...(providerRef ? { providerRef } : {}) });
  } catch (error) {
    return deps.back(reply, '/console/attention', { err: refusalKey(error) });
  }
  return deps.back(reply, '/console/attention', { ok: 'proposed' });
}

async function decide(deps: ConsoleDeps, request: FastifyRequest<IdParams>, reply: FastifyReply, decision: 'approve' | 'reject'): Promise<FastifyReply> {
  const signed = await deps.act(request, reply, 'reviews.decide');
  if (!signed) return reply;
  const id = idOf(request.params.id);
  if (id === undefined) return deps.back(reply, '/console/review', { err: 'not_found' });
  try {
    await deps.services.decideReview(signed.actor, id, decision, signed.form['note'] ?? '');
  } catch (error) {
    return deps.back(reply, '/console/review', { err: refusalKey(error) });
  }
  return deps.back(reply, '/console/review', { ok: decision === 'approve' ? 'review_approved' : 'review_rejected' });
}
