/** Agents' registries of their business days (CSV as the agent keeps its books), for the three-way reconciliation. */
import { z } from 'zod';
import { AGENT_REGISTRY_LIMITS } from '../../engine/agent-registries.ts';
import { agentParams, route, type AdminRoute } from '../route.ts';

const dayQuery = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a business day, YYYY-MM-DD') }).strict();
const listQuery = z.object({ limit: z.string().regex(/^\d{1,4}$/, 'a number of uploads, 1-1000').transform(Number).optional() }).strict();

export const agentRegistryRoutes: AdminRoute[] = [
  route({
    method: 'POST', url: '/agents/:agentId/registries', tag: 'agent registries', action: 'agent_registries.upload', params: agentParams, query: dayQuery,
    status: 201, rawBody: { contentType: 'text/csv', maxBytes: AGENT_REGISTRY_LIMITS.maxBytes }, target: ({ params }) => params.agentId,
    summary: 'Upload the agent\'s registry of a business day (CSV, docs/reconciliation.md "Agents\' registries"): stored whole, or refused with the line and why; a later upload of the day supersedes it',
    handle: async ({ services, actor, params, query, body }) => ({
      registry: await services.agentRegistries.upload(actor, { agentId: params.agentId, day: query.day, source: 'admin_api', body: body as unknown as AsyncIterable<Buffer> }),
    }),
  }),
  route({
    method: 'GET', url: '/agents/:agentId/registries', tag: 'agent registries', action: 'agent_registries.read', params: agentParams, query: listQuery,
    target: ({ params }) => params.agentId, summary: 'The agent\'s uploaded registries, newest first (the first of a day is the one that counts)',
    handle: async ({ services, params, query }) => ({ registries: await services.agentRegistries.list(params.agentId, query.limit) }),
  }),
];
