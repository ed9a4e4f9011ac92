/** Agents, their settings and allow-lists, API tokens and cabinet users. */
import { z } from 'zod';
import { isCurrencyCode } from '../../domain/money.ts';
import { ServiceError } from '../../engine/errors.ts';
import { agentParams, idParams, minorText, route, type AdminRoute } from '../route.ts';

const createAgentBody = z.object({
  name: z.string().min(1).max(200),
  currency: z.string().refine(isCurrencyCode, 'a currency Tolem knows (KZT, KGS, USD, RUB)').default('KZT'),
  openingBalanceMinor: minorText().optional(),
  overdraftMinor: minorText(true).optional(),
  notificationMinor: minorText().optional(),
  reviewAboveMinor: minorText().optional(),
  ipAllow: z.array(z.string().max(100)).max(100).optional(),
  ipOnly: z.boolean().optional(),
  allowedServices: z.array(z.string().min(1).max(50)).max(1000).optional(),
  issueToken: z.boolean().optional(),
  confirmToken: z.boolean().optional(),
  /** Makes the agent the Elsom biller client of this terminal (see src/gateways/elsom-biller/README.md). */
  elsomTerminal: z.object({
    terminalId: z.string().max(20),
    login: z.string().max(100),
    password: z.string().max(256),
    ipAllow: z.array(z.string().max(100)).max(100).optional(),
    services: z.array(z.object({ elsomServiceId: z.string().max(20), serviceId: z.string().max(50), wholeAmounts: z.boolean().optional() }).strict()).min(1).max(100),
  }).strict().optional(),
}).strict();

const configureBody = z.object({
  overdraftMinor: minorText(true).optional(),
  notificationMinor: minorText().nullable().optional(),
  reviewAboveMinor: minorText().nullable().optional(),
  allowedServices: z.array(z.string().min(1).max(50)).max(1000).nullable().optional(),
  enabled: z.boolean().optional(),
}).strict();

const tokenParams = z.object({ tokenId: idParams.shape.id });

async function tokenAgent(services: { agents: { tokenAgent(id: bigint): Promise<bigint | undefined> } }, tokenId: bigint): Promise<bigint> {
  const agentId = await services.agents.tokenAgent(tokenId);
  if (agentId === undefined) throw new ServiceError('not_found', 'token_not_found', `token ${tokenId} not found`);
  return agentId;
}

export const agentRoutes: AdminRoute[] = [
  route({
    method: 'GET', url: '/agents', tag: 'agents', action: 'agents.read', summary: 'Every agent with its balance (operators only)',
    handle: async ({ services }) => ({ agents: await services.agents.list() }),
  }),
  route({
    method: 'GET', url: '/agents/:agentId', tag: 'agents', action: 'agents.read', params: agentParams,
    summary: 'One agent: funds, settings, tokens, latest events, cabinet users', target: ({ params }) => params.agentId,
    handle: async ({ services, params }) => {
      const shown = await services.agents.show(params.agentId);
      if (!shown) throw new ServiceError('not_found', 'agent_not_found', `agent ${params.agentId} not found`);
      return shown;
    },
  }),
  route({
    method: 'POST', url: '/agents', tag: 'agents', action: 'agents.create', body: createAgentBody, status: 201,
    summary: 'Create an agent (its token, when issued, is in the answer once)',
    handle: async ({ services, actor, body }) => {
      if (body.ipOnly && !body.ipAllow?.length) throw new ServiceError('invalid', 'ip_only_needs_address', 'an IP-only agent needs at least one address');
      const { currency, elsomTerminal, ...rest } = body;
      const terminal = elsomTerminal ? { ...withoutUndefined(elsomTerminal), services: elsomTerminal.services.map((line) => withoutUndefined(line)) } : undefined;
      const created = await services.agents.create(actor, { ...withoutUndefined(rest), currency, ...(terminal ? { elsomTerminal: terminal } : {}) });
      return { agent: created.agent, token: created.token ?? null };
    },
  }),
  route({
    method: 'PATCH', url: '/agents/:agentId', tag: 'agents', action: 'agents.configure', params: agentParams, body: configureBody,
    summary: 'Change overdraft, notification and review thresholds, allowed services, enabled',
    handle: async ({ services, actor, params, body }) => ({ agent: await services.agents.configure(actor, params.agentId, withoutUndefined(body)) }),
  }),
  route({
    method: 'PUT', url: '/agents/:agentId/ip-allow', tag: 'agents', action: 'agents.ip_allow', params: agentParams,
    body: z.object({ ipAllow: z.array(z.string().max(100)).max(100) }).strict(), target: ({ params }) => params.agentId,
    summary: 'Replace the addresses (CIDRs) the agent\'s requests are accepted from; empty: any',
    handle: async ({ services, actor, params, body }) => ({ agent: await services.agents.setIpAllow(actor, params.agentId, body.ipAllow) }),
  }),
  route({
    method: 'POST', url: '/agents/:agentId/topup', tag: 'money', action: 'money.direct', params: agentParams,
    body: z.object({ amountMinor: minorText(true), reason: z.string().min(1).max(500) }).strict(),
    summary: 'Top up (positive) or correct (negative) at once: the local socket only; operators use proposals',
    handle: async ({ services, actor, params, body }) => {
      const kind = body.amountMinor > 0n ? 'topup' : 'correction';
      return services.proposals.moveDirectly(actor, { kind, agentId: params.agentId, amountMinor: body.amountMinor, reason: body.reason });
    },
  }),
  route({
    method: 'GET', url: '/agents/:agentId/tokens', tag: 'tokens', action: 'tokens.read', params: agentParams, target: ({ params }) => params.agentId,
    summary: 'The agent\'s API tokens (hints and states, never the tokens)',
    handle: async ({ services, params }) => ({ tokens: await services.agents.tokens(params.agentId) }),
  }),
  route({
    method: 'POST', url: '/agents/:agentId/tokens', tag: 'tokens', action: 'tokens.issue', params: agentParams, status: 201,
    body: z.object({ confirm: z.boolean().optional() }).strict(), target: ({ params }) => params.agentId,
    summary: 'Issue a token: pending until an operator confirms it, or confirmed at once (operators); shown once',
    handle: async ({ services, actor, params, body }) => services.agents.issueToken(actor, params.agentId, body.confirm ?? false),
  }),
  route({
    method: 'POST', url: '/tokens/:tokenId/confirm', tag: 'tokens', action: 'tokens.confirm', params: tokenParams,
    summary: 'Confirm a pending token', target: ({ services, params }) => tokenAgent(services, params.tokenId),
    handle: async ({ services, actor, params }) => services.agents.confirmToken(actor, params.tokenId),
  }),
  route({
    method: 'POST', url: '/tokens/:tokenId/revoke', tag: 'tokens', action: 'tokens.revoke', params: tokenParams,
    summary: 'Revoke a token', target: ({ services, params }) => tokenAgent(services, params.tokenId),
    handle: async ({ services, actor, params }) => services.agents.revokeToken(actor, params.tokenId),
  }),
  route({
    method: 'GET', url: '/agents/:agentId/users', tag: 'agent users', action: 'agent_users.read', params: agentParams,
    summary: 'The agent\'s cabinet users',
    handle: async ({ services, params }) => ({ users: await services.agents.users(params.agentId) }),
  }),
  route({
    method: 'POST', url: '/agents/:agentId/users', tag: 'agent users', action: 'agent_users.manage', params: agentParams, status: 201,
    body: z.object({ login: z.string().min(1).max(64), password: z.string().min(1).max(256) }).strict(),
    summary: 'Create a cabinet login for the agent',
    handle: async ({ services, actor, params, body }) => ({ user: await services.agents.createUser(actor, params.agentId, body) }),
  }),
];

/** zod's optional fields arrive as `undefined`; the engine's inputs are exact optional properties. */
export function withoutUndefined<T extends Record<string, unknown>>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
