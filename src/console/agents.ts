import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseAmount } from '../domain/money.ts';
import { formatAmount } from '../domain/money.ts';
import type { Agent } from '../engine/agents.ts';
import type { ProposalKind } from '../engine/approvals.ts';
import type { AgentSettingsChange } from '../engine/operator-actions.ts';
import { consolePage, text } from './page.ts';
import { refusalKey } from './refusals.ts';
import type { ConsoleDeps, Signed } from './routes.ts';
import { elsomForm } from './elsom.ts';

type IdParams = { Params: { id: string } };
type TokenParams = { Params: { id: string; tokenId: string } };

const ID = /^\d{1,18}$/;
const idOf = (text: string | undefined): bigint | undefined => (text && ID.test(text) ? BigInt(text) : undefined);

/**
 * Agents: the list with balances, and each agent's page — balance and reservations, tokens (confirm a pending one,
 * revoke), money movements as proposals a second operator approves, the IP allow-list, cabinet users. The approvals
 * page lists every open proposal; the engine refuses an operator approving their own.
 */
export function registerAgents(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/agents', async (request, reply) => {
    const signed = await deps.page(request, reply, 'agents.read', 'agents');
    if (!signed) return reply;
    return deps.send(reply, 200, consolePage(signed.view, 'agents', text(signed.view.lang, 'nav_agents'), { agents: await deps.services.agents() }));
  });

  app.get<IdParams>('/agents/:id', async (request, reply) => {
    const signed = await deps.page(request, reply, 'agents.read', 'agents');
    if (!signed) return reply;
    const id = idOf(request.params.id);
    const detail = id === undefined ? undefined : await deps.services.agent(id);
    if (!detail) return notFound(deps, reply, signed);
    const agent = detail.funds.agent;
    const may = (action: Parameters<typeof deps.services.can>[1]) => deps.services.can(signed.session.principal, action);
    const data = {
      agent, detail, ipText: agent.ipAllow.join('\n'),
      settings: settingsForm(agent),
      ...(await elsomData(deps, agent.id)),
      may: { configure: may('agents.configure'), confirm: may('tokens.confirm'), revoke: may('tokens.revoke'), propose: may('proposals.propose'), decide: may('proposals.decide'), ip: may('agents.ip_allow'), users: may('agent_users.manage') },
    };
    return deps.send(reply, 200, consolePage(signed.view, 'agent', `${text(signed.view.lang, 'agent')} ${agent.id}`, data));
  });

  app.post<TokenParams>('/agents/:id/tokens/:tokenId/confirm', (request, reply) => tokenAction(deps, request, reply, 'confirm'));
  app.post<TokenParams>('/agents/:id/tokens/:tokenId/revoke', (request, reply) => tokenAction(deps, request, reply, 'revoke'));
  app.post<IdParams>('/agents/:id/proposals', (request, reply) => propose(deps, request, reply));
  app.post<IdParams>('/agents/:id/ip-allow', (request, reply) => setIpAllow(deps, request, reply));
  app.post<IdParams>('/agents/:id/users', (request, reply) => createUser(deps, request, reply));
  app.post<{ Params: { id: string; userId: string } }>('/agents/:id/users/:userId/disable', async (request, reply) => {
    const signed = await deps.act(request, reply, 'agent_users.manage');
    if (!signed) return reply;
    const agentId = idOf(request.params.id);
    const userId = idOf(request.params.userId);
    const done = agentId !== undefined && userId !== undefined && (await deps.services.disableAgentUser(signed.actor, agentId, userId));
    return deps.back(reply, `/console/agents/${request.params.id}`, done ? { ok: 'user_disabled' } : { err: 'not_found' });
  });
  app.post<IdParams>('/agents/:id/settings', (request, reply) => configure(deps, request, reply));

  app.get('/approvals', async (request, reply) => {
    const signed = await deps.page(request, reply, 'proposals.read', 'approvals');
    if (!signed) return reply;
    const [open, recent] = await Promise.all([deps.services.proposals('proposed'), deps.services.proposals()]);
    const data = { open, recent: recent.filter((p) => p.state !== 'proposed').slice(0, 30), mayDecide: deps.services.can(signed.session.principal, 'proposals.decide') };
    return deps.send(reply, 200, consolePage(signed.view, 'approvals', text(signed.view.lang, 'nav_approvals'), data));
  });
  app.post<IdParams>('/approvals/:id/approve', (request, reply) => decide(deps, request, reply, 'approve'));
  app.post<IdParams>('/approvals/:id/reject', (request, reply) => decide(deps, request, reply, 'reject'));
}

function notFound(deps: ConsoleDeps, reply: FastifyReply, signed: Signed): Promise<FastifyReply> {
  return deps.send(reply, 404, consolePage(signed.view, 'error', text(signed.view.lang, 'nav_agents'), { message: text(signed.view.lang, 'err_not_found') }));
}

async function tokenAction(deps: ConsoleDeps, request: FastifyRequest<TokenParams>, reply: FastifyReply, change: 'confirm' | 'revoke'): Promise<FastifyReply> {
  const signed = await deps.act(request, reply, change === 'confirm' ? 'tokens.confirm' : 'tokens.revoke');
  if (!signed) return reply;
  const agentId = idOf(request.params.id);
  const tokenId = idOf(request.params.tokenId);
  const back = `/console/agents/${request.params.id}`;
  if (agentId === undefined || tokenId === undefined) return deps.back(reply, '/console/agents', { err: 'not_found' });
  const done = change === 'confirm'
    ? await deps.services.confirmToken(signed.actor, agentId, tokenId)
    : await deps.services.revokeToken(signed.actor, agentId, tokenId);
  return deps.back(reply, back, done ? { ok: change === 'confirm' ? 'token_confirmed' : 'token_revoked' } : { err: 'not_pending' });
}

async function propose(deps: ConsoleDeps, request: FastifyRequest<IdParams>, reply: FastifyReply): Promise<FastifyReply> {
  const signed = await deps.act(request, reply, 'proposals.propose');
  if (!signed) return reply;
  const agentId = idOf(request.params.id);
  const back = `/console/agents/${request.params.id}`;
  if (agentId === undefined) return deps.back(reply, '/console/agents', { err: 'not_found' });
  const kind: ProposalKind = signed.form['kind'] === 'correction' ? 'correction' : 'topup';
  const amount = parseAmount((signed.form['amount'] ?? '').trim(), 2, { allowNegative: kind === 'correction' });
  if (!amount.ok) return deps.back(reply, back, { err: 'bad_amount' });
  try {
    await deps.services.propose(signed.actor, { kind, agentId, amountMinor: amount.minor, reason: (signed.form['reason'] ?? '').trim() });
  } catch (error) {
    return deps.back(reply, back, { err: refusalKey(error) });
  }
  return deps.back(reply, back, { ok: 'proposed' });
}

async function decide(deps: ConsoleDeps, request: FastifyRequest<IdParams>, reply: FastifyReply, decision: 'approve' | 'reject'): Promise<FastifyReply> {
  const signed = await deps.act(request, reply, 'proposals.decide');
  if (!signed) return reply;
  const id = idOf(request.params.id);
  if (id === undefined) return deps.back(reply, '/console/approvals', { err: 'not_found' });
  const note = (signed.form['note'] ?? '').trim() || undefined;
  try {
    if (decision === 'approve') await deps.services.approve(signed.actor, id, note);
    else await deps.services.reject(signed.actor, id, note);
  } catch (error) {
    return deps.back(reply, '/console/approvals', { err: refusalKey(error) });
  }
  return deps.back(reply, '/console/approvals', { ok: decision === 'approve' ? 'approved' : 'rejected' });
}

async function setIpAllow(deps: ConsoleDeps, request: FastifyRequest<IdParams>, reply: FastifyReply): Promise<FastifyReply> {
  const signed = await deps.act(request, reply, 'agents.ip_allow');
  if (!signed) return reply;
  const agentId = idOf(request.params.id);
  const back = `/console/agents/${request.params.id}`;
  if (agentId === undefined) return deps.back(reply, '/console/agents', { err: 'not_found' });
  try {
    await deps.services.setIpAllow(signed.actor, agentId, (signed.form['ipAllow'] ?? '').split(/[\s,]+/));
  } catch (error) {
    return deps.back(reply, back, { err: refusalKey(error) });
  }
  return deps.back(reply, back, { ok: 'ip_saved' });
}

async function createUser(deps: ConsoleDeps, request: FastifyRequest<IdParams>, reply: FastifyReply): Promise<FastifyReply> {
  const signed = await deps.act(request, reply, 'agent_users.manage');
  if (!signed) return reply;
  const agentId = idOf(request.params.id);
  const back = `/console/agents/${request.params.id}`;
  if (agentId === undefined) return deps.back(reply, '/console/agents', { err: 'not_found' });
  try {
    await deps.services.createAgentUser(signed.actor, agentId, signed.form['login'] ?? '', signed.form['password'] ?? '');
  } catch (error) {
    return deps.back(reply, back, { err: refusalKey(error) });
  }
  return deps.back(reply, back, { ok: 'user_created' });
}

/** The agent's Elsom terminal (none: the form creates one) for the agent page. */
async function elsomData(deps: ConsoleDeps, agentId: bigint) {
  const terminal = await deps.services.elsom.terminal(agentId);
  return { elsomTerminal: terminal, elsom: elsomForm(terminal) };
}

function settingsForm(agent: Agent): Record<string, string> {
  const amount = (minor: bigint | null) => (minor === null ? '' : formatAmount(minor));
  return {
    overdraft: formatAmount(agent.overdraftMinor), notification: amount(agent.notificationMinor), reviewAbove: amount(agent.reviewAboveMinor),
    services: agent.allowedServices?.join(', ') ?? '',
  };
}

/** The settings form → a change: an empty threshold is none, an empty service list is every service. */
function settingsChange(form: Record<string, string>): AgentSettingsChange | undefined {
  const amount = (text: string | undefined, allowNegative: boolean): bigint | null | undefined => {
    const trimmed = (text ?? '').trim();
    if (!trimmed) return null;
    const parsed = parseAmount(trimmed, 2, { allowZero: true, allowNegative });
    return parsed.ok ? parsed.minor : undefined;
  };
  const overdraft = amount(form['overdraft'] || '0', true);
  const notification = amount(form['notification'], false);
  const reviewAbove = amount(form['reviewAbove'], false);
  if (overdraft === undefined || overdraft === null || notification === undefined || reviewAbove === undefined) return undefined;
  const services = (form['services'] ?? '').split(/[\s,]+/).filter(Boolean);
  return {
    overdraftMinor: overdraft, notificationMinor: notification, reviewAboveMinor: reviewAbove,
    allowedServices: services.length ? [...new Set(services)] : null, enabled: form['enabled'] === 'on',
  };
}

async function configure(deps: ConsoleDeps, request: FastifyRequest<IdParams>, reply: FastifyReply): Promise<FastifyReply> {
  const signed = await deps.act(request, reply, 'agents.configure');
  if (!signed) return reply;
  const agentId = idOf(request.params.id);
  const back = `/console/agents/${request.params.id}`;
  if (agentId === undefined) return deps.back(reply, '/console/agents', { err: 'not_found' });
  const change = settingsChange(signed.form);
  if (!change) return deps.back(reply, back, { err: 'bad_amount' });
  try {
    await deps.services.configureAgent(signed.actor, agentId, change);
  } catch (error) {
    return deps.back(reply, back, { err: refusalKey(error) });
  }
  return deps.back(reply, back, { ok: 'settings_saved' });
}
