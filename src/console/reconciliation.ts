import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ReconcileItem } from '../engine/reconcile.ts';
import { consolePage, text } from './page.ts';
import { refusalKey } from './refusals.ts';
import type { ConsoleDeps, Signed } from './routes.ts';
import { registerThreeWay, sendThreeWayRun } from './three-way.ts';

const ID = /^\d{1,18}$/;
/** A task is its run: the run's id. */
const TASK_ID = ID;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Differences first, then what matched: the operator's work is at the top. */
const ORDER: Record<ReconcileItem['kind'], number> = { missing_at_provider: 0, missing_at_tolem: 1, amount_mismatch: 2, matched: 3 };

/**
 * Reconciliation per provider and business day: run on demand (a tracked background task: the page polls its JSON
 * with reconciliation.js, or reloads without scripts), the result's classes and each difference with its proposed
 * correcting action, the CSV of a run, and the past runs. Reading is everyone's; running is an operator's.
 */
export function registerReconciliation(app: FastifyInstance, deps: ConsoleDeps): void {
  const rec = deps.services.reconciliation;
  registerThreeWay(app, deps);
  app.get('/reconciliation', async (request, reply) => {
    const signed = await deps.page(request, reply, 'reconciliation.read', 'reconciliation');
    if (!signed) return reply;
    const [providers, runs] = await Promise.all([rec.providers(), rec.runs(undefined, 50)]);
    const data = { providers, runs, form: signed.query, mayRun: deps.services.can(signed.session.principal, 'reconciliation.run') };
    return deps.send(reply, 200, consolePage(signed.view, 'reconciliation', text(signed.view.lang, 'nav_reconciliation'), data));
  });
  app.post('/reconciliation', async (request, reply) => {
    const signed = await deps.act(request, reply, 'reconciliation.run');
    if (!signed) return reply;
    const provider = (signed.form['provider'] ?? '').trim();
    const day = (signed.form['day'] ?? '').trim();
    if (!DAY.test(day)) return deps.back(reply, '/console/reconciliation', { err: 'bad_day' });
    try {
      const task = await rec.start(signed.actor, provider, day, signed.form['confirm'] === 'on');
      return await reply.code(303).header('location', `/console/reconciliation/tasks/${task.id}`).send();
    } catch (error) {
      return deps.back(reply, '/console/reconciliation', { err: refusalKey(error) });
    }
  });
  app.get<{ Params: { id: string } }>('/reconciliation/tasks/:id', async (request, reply) => {
    const json = request.params.id.endsWith('.json');
    const id = json ? request.params.id.slice(0, -5) : request.params.id;
    const signed = await deps.page(request, reply, 'reconciliation.read', 'reconciliation');
    if (!signed) return reply;
    const task = TASK_ID.test(id) ? await rec.task(id) : undefined;
    if (json) {
      if (!task) return reply.code(404).send({ error: 'not_found' });
      return reply.header('cache-control', 'no-store').send({ ...task, runId: task.runId.toString() });
    }
    if (!task) return notFound(deps, reply, signed);
    if (task.state !== 'running') return reply.code(303).header('location', `/console/reconciliation/runs/${task.runId}`).send();
    return deps.send(reply, 200, consolePage(signed.view, 'reconciliation-task', text(signed.view.lang, 'nav_reconciliation'), { task }, { scripts: ['reconciliation.js'] }));
  });
  app.get<{ Params: { id: string } }>('/reconciliation/runs/:id', async (request, reply) => {
    const signed = await deps.page(request, reply, 'reconciliation.read', 'reconciliation');
    if (!signed) return reply;
    const found = ID.test(request.params.id) ? await rec.findRun(BigInt(request.params.id)) : undefined;
    if (!found) return notFound(deps, reply, signed);
    if (found.run.mode === 'three_way') return sendThreeWayRun(deps, reply, signed, (await deps.services.threeWay.findRun(found.run.id))!);
    // The first page of items (differences first); the counts are the run's, whatever the page shows.
    const items = [...found.items].sort((a, b) => ORDER[a.kind] - ORDER[b.kind]);
    const shown = items.length < Object.values(found.counts).reduce((sum, n) => sum + n, 0);
    return deps.send(reply, 200, consolePage(signed.view, 'reconciliation-run', `${text(signed.view.lang, 'nav_reconciliation')} ${found.run.id}`, { run: found.run, items, counts: found.counts, partial: shown }));
  });
  app.get<{ Params: { id: string } }>('/reconciliation/runs/:id/items.csv', async (request, reply) => {
    const signed = await deps.page(request, reply, 'reconciliation.read');
    if (!signed) return reply;
    const found = ID.test(request.params.id) ? await rec.findRun(BigInt(request.params.id)) : undefined;
    if (!found) return notFound(deps, reply, signed);
    reply.header('content-disposition', `attachment; filename="reconciliation-${request.params.id}.csv"`);
    // Streamed page by page from the store: a run of a large day is never one string in memory.
    const lines = found.run.mode === 'three_way' ? deps.services.threeWay.csvLines(found.run.id) : rec.csvLines(found.run.id);
    return reply.type('text/csv; charset=utf-8').send(Readable.from(lines));
  });
}

function notFound(deps: ConsoleDeps, reply: FastifyReply, signed: Signed): Promise<FastifyReply> {
  return deps.send(reply, 404, consolePage(signed.view, 'error', text(signed.view.lang, 'nav_reconciliation'), { message: text(signed.view.lang, 'err_not_found') }));
}
