import type { FastifyInstance } from 'fastify';
import { formatAmount } from '../domain/money.ts';
import type { ElsomTerminalView } from '../engine/elsom-terminal-admin.ts';
import { dayStart } from '../engine/payment-filters.ts';
import { consolePage, text } from './page.ts';
import { refusalKey } from './refusals.ts';
import type { ConsoleDeps } from './routes.ts';

const ID = /^\d{1,18}$/;
const SERVICE_LINE = /^([^=\s]{1,30})=([^:=\s]{1,64})(?::(whole))?$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Elsom in the console: an agent's Elsom terminal credentials and service map (set on the agent's page, admin only,
 * like its other settings; the password is written, never shown), and the PAYMENT_LIST view — a day's payments of
 * an Elsom service-id exactly as the biller gateway would list them to that terminal.
 */
export function registerElsom(app: FastifyInstance, deps: ConsoleDeps): void {
  app.post<{ Params: { id: string } }>('/agents/:id/elsom-terminal', async (request, reply) => {
    const signed = await deps.act(request, reply, 'agents.configure');
    if (!signed) return reply;
    if (!ID.test(request.params.id)) return deps.back(reply, '/console/agents', { err: 'not_found' });
    const back = `/console/agents/${request.params.id}`;
    const services = (signed.form['services'] ?? '').split(/[\s,]+/).filter(Boolean).map((spec) => SERVICE_LINE.exec(spec));
    if (services.some((match) => !match)) return deps.back(reply, back, { err: 'bad_elsom_terminal' });
    const change = {
      terminalId: (signed.form['terminalId'] ?? '').trim(), login: (signed.form['login'] ?? '').trim(),
      ...(signed.form['password'] ? { password: signed.form['password'] } : {}),
      ipAllow: [...new Set((signed.form['ipAllow'] ?? '').split(/[\s,]+/).filter(Boolean))],
      services: services.map((match) => ({ elsomServiceId: match![1]!, serviceId: match![2]!, wholeAmounts: match![3] === 'whole' })),
    };
    try {
      await deps.services.elsom.configure(signed.actor, BigInt(request.params.id), change);
    } catch (error) {
      return deps.back(reply, back, { err: refusalKey(error) });
    }
    return deps.back(reply, back, { ok: 'elsom_saved' });
  });

  app.get('/elsom-list', async (request, reply) => {
    const signed = await deps.page(request, reply, 'payments.read', 'registry');
    if (!signed) return reply;
    const { agent = '', service = '', day = '' } = signed.query;
    let lines: Awaited<ReturnType<typeof deps.services.elsom.paymentList>>;
    let terminal: ElsomTerminalView | undefined;
    const from = DAY.test(day) ? dayStart(day, signed.view.offsetMinutes, false) : undefined;
    const to = DAY.test(day) ? dayStart(day, signed.view.offsetMinutes, true) : undefined;
    if (ID.test(agent)) terminal = await deps.services.elsom.terminal(BigInt(agent));
    if (terminal && service && from && to) lines = await deps.services.elsom.paymentList(BigInt(agent), service, from, to);
    const total = lines?.reduce((sum, line) => sum + line.amountMinor, 0n);
    const data = { form: signed.query, terminal, lines, total: total === undefined ? undefined : formatAmount(total), asked: Boolean(agent && service && day) };
    return deps.send(reply, 200, consolePage(signed.view, 'elsom-list', text(signed.view.lang, 'elsom_list'), data));
  });
}

/** What the agent page shows of a terminal, and the form's values. */
export function elsomForm(terminal: ElsomTerminalView | undefined): Record<string, string> {
  return {
    terminalId: terminal?.terminalId ?? '', login: terminal?.login ?? '', ipAllow: terminal?.ipAllow.join('\n') ?? '',
    services: terminal?.services.map((s) => `${s.elsomServiceId}=${s.serviceId}${s.wholeAmounts ? ':whole' : ''}`).join('\n') ?? '',
  };
}

