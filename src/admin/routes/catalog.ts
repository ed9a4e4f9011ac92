/** The catalog's changes, agents' Elsom terminals and the stored reconciliation runs: what the console does, as JSON. */
import { z } from 'zod';
import { ServiceError } from '../../engine/errors.ts';
import { agentParams, idParams, instantText, minorText, route, type AdminRoute } from '../route.ts';

const serviceParams = z.object({ serviceId: z.string().regex(/^[\w.-]{1,32}$/, 'a serviceId') });
const notFound = (what: string) => new ServiceError('not_found', 'not_found', `${what} not found`);

export const catalogRoutes: AdminRoute[] = [
  route({
    method: 'PUT', url: '/services/:serviceId/enabled', tag: 'catalog', action: 'catalog.manage', params: serviceParams,
    body: z.object({ enabled: z.boolean() }).strict(),
    summary: 'Enable or disable a service (check and pay refuse a disabled one at once); changed: false when it already was so',
    handle: async ({ services, actor, params, body }) => ({ changed: await services.catalog.setEnabled(actor, params.serviceId, body.enabled) }),
  }),
  route({
    method: 'PUT', url: '/services/:serviceId/limits', tag: 'catalog', action: 'catalog.manage', params: serviceParams,
    body: z.object({ minMinor: minorText(), maxMinor: minorText() }).strict(),
    summary: 'A service\'s amount limits in minor units (0 < min ≤ max)',
    handle: async ({ services, actor, params, body }) => {
      await services.catalog.setLimits(actor, params.serviceId, body);
      return services.catalog.get(params.serviceId);
    },
  }),
  route({
    method: 'POST', url: '/services/:serviceId/inputs/test', tag: 'catalog', action: 'catalog.read', params: serviceParams,
    body: z.object({ input: z.string().min(1).max(64), value: z.string().max(500) }).strict(),
    summary: 'Whether a value passes an input\'s regexp, as check and pay test it (reads only)',
    handle: async ({ services, params, body }) => {
      const tested = await services.catalog.testInput(params.serviceId, body.input, body.value);
      if (!tested) throw notFound(`service ${params.serviceId}`);
      return tested;
    },
  }),
  route({
    method: 'GET', url: '/agents/:agentId/elsom-terminal', tag: 'agents', action: 'agents.read', params: agentParams,
    summary: 'The agent\'s Elsom terminal (never its password) and service map',
    handle: async ({ services, params }) => {
      const terminal = await services.elsom.terminal(params.agentId);
      if (!terminal) throw notFound('Elsom terminal');
      return terminal;
    },
  }),
  route({
    method: 'PUT', url: '/agents/:agentId/elsom-terminal', tag: 'agents', action: 'agents.configure', params: agentParams,
    body: z.object({
      terminalId: z.string().max(10), login: z.string().max(100), password: z.string().max(200).optional(), ipAllow: z.array(z.string().max(64)).max(100).default([]),
      services: z.array(z.object({ elsomServiceId: z.string().max(30), serviceId: z.string().max(64), wholeAmounts: z.boolean().optional() }).strict()).max(100),
    }).strict(),
    summary: 'Create or change the agent\'s Elsom terminal; without a password the current one is kept (a new terminal needs one)',
    handle: async ({ services, actor, params, body }) => services.elsom.configure(actor, params.agentId, body),
  }),
  route({
    method: 'GET', url: '/agents/:agentId/elsom-payment-list', tag: 'agents', action: 'payments.read', params: agentParams,
    query: z.object({ service: z.string().min(1).max(30), from: instantText, to: instantText }).strict(),
    summary: 'The lines PAYMENT_LIST would answer the agent\'s terminal for an Elsom service-id and [from, to)',
    handle: async ({ services, params, query }) => {
      const lines = await services.elsom.paymentList(params.agentId, query.service, query.from, query.to);
      if (!lines) throw notFound(`Elsom service-id ${query.service} of agent ${params.agentId}`);
      return { lines };
    },
  }),
  route({
    method: 'GET', url: '/reconciliations/runs', tag: 'reconciliation', action: 'reconciliation.read',
    query: z.object({ provider: z.string().max(64).optional() }).strict(),
    summary: 'The latest reconciliation runs, newest first',
    handle: async ({ services, query }) => ({ runs: await services.reconciliation.runs(query.provider) }),
  }),
  route({
    method: 'GET', url: '/reconciliations/runs/:id', tag: 'reconciliation', action: 'reconciliation.read', params: idParams,
    summary: 'A reconciliation run with its classified items and their correcting actions',
    handle: async ({ services, params }) => {
      const found = await services.reconciliation.findRun(params.id);
      if (!found) throw notFound(`reconciliation run ${params.id}`);
      return found;
    },
  }),
];
