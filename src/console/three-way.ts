import type { FastifyInstance, FastifyReply } from 'fastify';
import { ServiceError } from '../engine/errors.ts';
import type { ThreeWayRunView } from '../engine/three-way-services.ts';
import type { CaseMoneyAction } from '../engine/three-way-actions.ts';
import { consolePage, text } from './page.ts';
import { refusalKey } from './refusals.ts';
import { reasonIn } from './three-way-texts.ts';
import type { ConsoleDeps, Signed } from './routes.ts';

const ID = /^\d{1,18}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MONEY_ACTIONS: readonly string[] = ['pay_provider', 'reverse_at_provider', 'refund_agent', 'mark_paid'] satisfies CaseMoneyAction[];

/**
 * The three-way reconciliation in the console (issue 13): run a day (a tracked task, its progress on the same page as
 * the two-way runs), read a run's classes and items with their proposed actions and money effects, propose an item's
 * money action (another operator approves it on the approvals page), and record what was done about an item whose
 * action moves no money. The run's page is reconciliation.ts's, which hands three-way runs to `sendThreeWayRun`.
 */
export function registerThreeWay(app: FastifyInstance, deps: ConsoleDeps): void {
  const threeWay = deps.services.threeWay;
  app.post('/reconciliation/three-way', async (request, reply) => {
    const signed = await deps.act(request, reply, 'reconciliation.run');
    if (!signed) return reply;
    const day = (signed.form['day'] ?? '').trim();
    const provider = (signed.form['provider'] ?? '').trim();
    const agent = (signed.form['agent'] ?? '').trim();
    if (!DAY.test(day)) return deps.back(reply, '/console/reconciliation', { err: 'bad_day' });
    if (agent && !ID.test(agent)) return deps.back(reply, '/console/reconciliation', { err: 'bad_input' });
    try {
      const task = await threeWay.start(signed.actor, { day, ...(provider ? { provider } : {}), ...(agent ? { agentId: BigInt(agent) } : {}) });
      return await reply.code(303).header('location', `/console/reconciliation/tasks/${task.id}`).send();
    } catch (error) {
      return deps.back(reply, '/console/reconciliation', { err: refusalKey(error) });
    }
  });
  app.post<{ Params: { id: string } }>('/reconciliation/items/:id/propose', async (request, reply) => {
    const signed = await deps.act(request, reply, 'proposals.propose');
    if (!signed) return reply;
    const action = signed.form['action'] ?? '';
    return itemAction(deps, reply, signed, request.params.id, () => {
      if (!MONEY_ACTIONS.includes(action)) throw new ServiceError('invalid', 'bad_action', `${action} is not a money action`);
      return threeWay.propose(signed.actor, BigInt(request.params.id), { action: action as CaseMoneyAction, note: signed.form['note'] ?? '' });
    }, 'proposed');
  });
  app.post<{ Params: { id: string } }>('/reconciliation/items/:id/acknowledge', async (request, reply) => {
    const signed = await deps.act(request, reply, 'attention.resolve');
    if (!signed) return reply;
    return itemAction(deps, reply, signed, request.params.id, () => threeWay.acknowledge(signed.actor, BigInt(request.params.id), signed.form['note'] ?? ''), 'acknowledged');
  });
}

/** Runs an item's action and goes back to its run's page (the form says which) with the outcome. */
async function itemAction(deps: ConsoleDeps, reply: FastifyReply, signed: Signed, id: string, act: () => Promise<unknown>, ok: string): Promise<FastifyReply> {
  const run = ID.test(signed.form['run'] ?? '') ? signed.form['run']! : '';
  const page = run ? `/console/reconciliation/runs/${run}` : '/console/reconciliation';
  if (!ID.test(id)) return deps.back(reply, page, { err: 'not_found' });
  try {
    await act();
    return deps.back(reply, page, { ok });
  } catch (error) {
    return deps.back(reply, page, { err: refusalKey(error) });
  }
}

/** A three-way run's page: figures, classes, the items (differences first) with their actions. */
export function sendThreeWayRun(deps: ConsoleDeps, reply: FastifyReply, signed: Signed, found: ThreeWayRunView): Promise<FastifyReply> {
  const shown = found.items.length < Object.values(found.counts).reduce((sum, n) => sum + n, 0);
  // Explanations and money effects in the page's language (the engine's are English).
  const items = found.items.map((item) => ({ ...item, ...reasonIn(signed.view.lang, item.reason) }));
  const data = {
    ...found, items, partial: shown,
    mayPropose: deps.services.can(signed.session.principal, 'proposals.propose'),
    mayAcknowledge: deps.services.can(signed.session.principal, 'attention.resolve'),
  };
  return deps.send(reply, 200, consolePage(signed.view, 'reconciliation-three-way', `${text(signed.view.lang, 'three_way')} ${found.run.id}`, data));
}
