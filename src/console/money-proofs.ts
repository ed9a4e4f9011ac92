import type { FastifyInstance } from 'fastify';
import { proofCsv, proofHtml } from '../engine/money-proof.ts';
import { consolePage, text } from './page.ts';
import { refusalKey } from './refusals.ts';
import type { ConsoleDeps } from './routes.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The daily money proof (engine/money-proof.ts): the stored proofs with their verdict, chain and signature; a form
 * that makes the proof of a day that is over (or computes a proved one again and compares); signing, by another
 * operator than its maker; each proof as an HTML page (printable to PDF) and as CSV. Reading is everyone's; making an
 * operator's; signing a checker's.
 */
export function registerMoneyProofs(app: FastifyInstance, deps: ConsoleDeps): void {
  const proofs = deps.services.moneyProofs;
  app.get('/money-proofs', async (request, reply) => {
    const signed = await deps.page(request, reply, 'reconciliation.read', 'proofs');
    if (!signed) return reply;
    const [list, chain] = await Promise.all([proofs.list(), proofs.verifyChain()]);
    const latest = list[0] ? await proofs.find(list[0].day) : undefined;
    const data = {
      proofs: list, chain, problems: latest?.body.problems ?? [], latestDay: latest?.day ?? null, form: signed.query,
      mayMake: deps.services.can(signed.session.principal, 'reconciliation.run'), maySign: deps.services.can(signed.session.principal, 'proposals.decide'),
    };
    return deps.send(reply, 200, consolePage(signed.view, 'money-proofs', text(signed.view.lang, 'nav_proofs'), data));
  });
  app.post('/money-proofs', async (request, reply) => {
    const signed = await deps.act(request, reply, 'reconciliation.run');
    if (!signed) return reply;
    const day = (signed.form['day'] ?? '').trim();
    if (!DAY.test(day)) return deps.back(reply, '/console/money-proofs', { err: 'bad_day' });
    try {
      const answer = await proofs.prove(signed.actor, day);
      return deps.back(reply, '/console/money-proofs', { ok: answer.created ? 'proof_made' : 'proof_rechecked' });
    } catch (error) {
      return deps.back(reply, '/console/money-proofs', { err: refusalKey(error) });
    }
  });
  app.post<{ Params: { day: string } }>('/money-proofs/:day/sign', async (request, reply) => {
    const signed = await deps.act(request, reply, 'proposals.decide');
    if (!signed) return reply;
    try {
      if (!DAY.test(request.params.day)) return deps.back(reply, '/console/money-proofs', { err: 'bad_day' });
      await proofs.sign(signed.actor, request.params.day);
      return deps.back(reply, '/console/money-proofs', { ok: 'proof_signed' });
    } catch (error) {
      return deps.back(reply, '/console/money-proofs', { err: refusalKey(error) });
    }
  });
  app.get<{ Params: { file: string } }>('/money-proofs/:file', async (request, reply) => {
    const signed = await deps.page(request, reply, 'reconciliation.read', 'proofs');
    if (!signed) return reply;
    const match = /^(\d{4}-\d{2}-\d{2})\.(csv|html)$/.exec(request.params.file);
    const proof = match ? await proofs.find(match[1]!) : undefined;
    if (!match || !proof) return deps.send(reply, 404, consolePage(signed.view, 'error', text(signed.view.lang, 'nav_proofs'), { message: text(signed.view.lang, 'err_not_found') }));
    if (match[2] === 'csv') {
      reply.header('content-disposition', `attachment; filename="money-proof-${proof.day}.csv"`);
      return reply.type('text/csv; charset=utf-8').send(proofCsv(proof));
    }
    return reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(proofHtml(proof));
  });
}
