/** The catalog: a service with its version, its edits (inputs, fee rule, route, limits, enabled), the regexp and fee previews; agents' Elsom terminals and the stored reconciliation runs: what the console does, as JSON. */
import { z } from 'zod';
import { ServiceError } from '../../engine/errors.ts';
import { agentParams, idParams, instantText, minorText, route, type AdminRoute } from '../route.ts';

const serviceParams = z.object({ serviceId: z.string().regex(/^[\w.-]{1,32}$/, 'a serviceId') });
/** The version the edit started from (GET /services/:serviceId): a change since is refused with 409 version_conflict. */
const version = z.string().regex(/^[0-9a-f]{16}$/, 'a version from GET /services/:serviceId');
const decimal = z.string().max(32);
const feeRule = z.object({
  kind: z.enum(['none', 'any', 'range', 'percent']), min: decimal.optional(), max: decimal.optional(),
  percent: decimal.optional().meta({ description: 'percent: the most the fee may be, in percent of amountTo ("2.50")' }),
}).strict().meta({ description: 'Amounts and the percent as exact decimal texts ("300.00"), never numbers' });
const input = z.object({
  name: z.string().max(64), title: z.string().max(200), regexp: z.string().max(1_000), required: z.boolean(), order: z.number().int().min(0).max(1_000).optional(),
}).strict();
const notFound = (what: string) => new ServiceError('not_found', 'not_found', `${what} not found`);

export const catalogRoutes: AdminRoute[] = [
  route({
    method: 'GET', url: '/services/:serviceId', tag: 'catalog', action: 'catalog.read', params: serviceParams,
    summary: 'A service as stored now, with the version an edit sends back',
    handle: async ({ services, params }) => {
      const found = await services.catalog.edit(params.serviceId);
      if (!found) throw notFound(`service ${params.serviceId}`);
      return found;
    },
  }),
  route({
    method: 'GET', url: '/providers', tag: 'catalog', action: 'catalog.read',
    summary: 'The provider adapters of the registry: the routes a service may be given',
    handle: async ({ services }) => ({ providers: services.catalog.providers() }),
  }),
  route({
    method: 'PUT', url: '/services/:serviceId/inputs', tag: 'catalog', action: 'catalog.configure', params: serviceParams,
    body: z.object({ version, inputs: z.array(input).max(10) }).strict(),
    summary: 'Replace a service\'s inputs (name, title, regexp, required, order); each regexp must compile, be anchored ^…$ and be safe from catastrophic backtracking',
    handle: async ({ services, actor, params, body }) => services.catalog.setInputs(actor, params.serviceId, body.inputs, body.version),
  }),
  route({
    method: 'PUT', url: '/services/:serviceId/fee-rule', tag: 'catalog', action: 'catalog.configure', params: serviceParams,
    body: z.object({ version, rule: feeRule }).strict(),
    summary: 'Replace a service\'s fee rule (what amountFrom − amountTo may be): none, any, range min…max, or percent with an optional min',
    handle: async ({ services, actor, params, body }) => services.catalog.setFeeRule(actor, params.serviceId, body.rule, body.version),
  }),
  route({
    method: 'PUT', url: '/services/:serviceId/route', tag: 'catalog', action: 'catalog.configure', params: serviceParams,
    body: z.object({ version, provider: z.string().min(1).max(64), providerConfig: z.record(z.string(), z.unknown()).optional() }).strict(),
    summary: 'Send a service to another provider adapter of the registry (GET /providers); without providerConfig the current one is kept',
    handle: async ({ services, actor, params, body }) => services.catalog.setRoute(actor, params.serviceId, body, body.version),
  }),
  route({
    method: 'POST', url: '/services/:serviceId/fee-rule/preview', tag: 'catalog', action: 'catalog.read', params: serviceParams,
    body: z.object({ rule: feeRule, amount: decimal }).strict(),
    summary: 'The fees a rule would allow on a sample amountTo, and the most amountFrom may then be (reads only)',
    handle: async ({ services, body }) => services.catalog.feePreview(body.rule, body.amount),
  }),
  route({
    method: 'POST', url: '/services/:serviceId/regexp/test', tag: 'catalog', action: 'catalog.read', params: serviceParams,
    body: z.object({ regexp: z.string().max(1_000), value: z.string().max(500) }).strict(),
    summary: 'Try a regexp being edited on a value: refused as a save would refuse it, else whether it matches (reads only)',
    handle: async ({ services, body }) => services.catalog.testRegexp(body.regexp, body.value),
  }),
  route({
    method: 'PUT', url: '/services/:serviceId/enabled', tag: 'catalog', action: 'catalog.manage', params: serviceParams,
    body: z.object({ enabled: z.boolean() }).strict(),
    summary: 'Enable or disable a service (check and pay refuse a disabled one at once); changed: false when it already was so',
    handle: async ({ services, actor, params, body }) => ({ changed: await services.catalog.setEnabled(actor, params.serviceId, body.enabled) }),
  }),
  route({
    method: 'PUT', url: '/services/:serviceId/limits', tag: 'catalog', action: 'catalog.manage', params: serviceParams,
    body: z.object({ minMinor: minorText(), maxMinor: minorText(), version: version.optional() }).strict(),
    summary: 'A service\'s amount limits in minor units (0 < min ≤ max); with a version, refused (409) if the service changed since',
    handle: async ({ services, actor, params, body }) => {
      await services.catalog.setLimits(actor, params.serviceId, { minMinor: body.minMinor, maxMinor: body.maxMinor }, body.version);
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
