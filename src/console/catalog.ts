import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FeeRule } from '../domain/catalog.ts';
import { maskBody } from '../domain/masking.ts';
import { ServiceError } from '../engine/errors.ts';
import { formatAmount, parseAmount } from '../domain/money.ts';
import { consolePage, text } from './page.ts';
import { refusalKey } from './refusals.ts';
import { registerCatalogEdits } from './catalog-edit.ts';
import type { ConsoleDeps, Signed } from './routes.ts';

type ServiceParams = { Params: { serviceId: string } };

const SERVICE_ID = /^[\w.-]{1,32}$/;
const MAX_TEST_VALUE = 500;

/**
 * The catalog: services with their inputs and regexps, limits, fee rules, route (the provider adapter) and enabled
 * flag. Anyone reads and tries a value in an input's test box (checked in the browser by catalog.js and on the server
 * on submit, with the regexp exactly as check and pay use it); an admin enables, disables and changes the limits, and
 * edits the inputs, the fee rule and the route on the pages of ./catalog-edit.ts.
 */
export function registerCatalog(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/catalog', async (request, reply) => {
    const signed = await deps.page(request, reply, 'catalog.read', 'catalog');
    if (!signed) return reply;
    const services = await deps.services.catalog.all();
    return deps.send(reply, 200, consolePage(signed.view, 'catalog', text(signed.view.lang, 'nav_catalog'), { services, fee: (rule: FeeRule) => feeText(rule) }));
  });
  app.get<ServiceParams>('/catalog/:serviceId', async (request, reply) => {
    const signed = await deps.page(request, reply, 'catalog.read', 'catalog');
    if (!signed) return reply;
    return servicePage(deps, request.params.serviceId, signed, reply, undefined);
  });
  app.post<ServiceParams>('/catalog/:serviceId/test', async (request, reply) => {
    const signed = await deps.act(request, reply, 'catalog.read');
    if (!signed) return reply;
    const value = (signed.form['value'] ?? '').slice(0, MAX_TEST_VALUE);
    const input = signed.form['input'] ?? '';
    const tested = SERVICE_ID.test(request.params.serviceId) ? await deps.services.catalog.testInput(request.params.serviceId, input, value) : undefined;
    return servicePage(deps, request.params.serviceId, signed, reply, tested ? { input, value, result: tested } : undefined);
  });
  app.post<ServiceParams>('/catalog/:serviceId/enabled', async (request, reply) => {
    const signed = await deps.act(request, reply, 'catalog.manage');
    if (!signed) return reply;
    const enabled = signed.form['enabled'] === 'on';
    return change(deps, request, reply, enabled ? 'service_enabled' : 'service_disabled', (id) => deps.services.catalog.setEnabled(signed.actor, id, enabled));
  });
  app.post<ServiceParams>('/catalog/:serviceId/limits', async (request, reply) => {
    const signed = await deps.act(request, reply, 'catalog.manage');
    if (!signed) return reply;
    const min = parseAmount((signed.form['min'] ?? '').trim(), 2);
    const max = parseAmount((signed.form['max'] ?? '').trim(), 2);
    if (!min.ok || !max.ok) return deps.back(reply, `/console/catalog/${encodeURIComponent(request.params.serviceId)}`, { err: 'bad_limits' });
    const version = signed.form['version'] || undefined;
    return change(deps, request, reply, 'limits_saved', (id) => deps.services.catalog.setLimits(signed.actor, id, { minMinor: min.minor, maxMinor: max.minor }, version?.slice(0, 16)));
  });
  registerCatalogEdits(app, deps);
}

async function change(deps: ConsoleDeps, request: FastifyRequest<ServiceParams>, reply: FastifyReply, ok: string, run: (serviceId: string) => Promise<unknown>): Promise<FastifyReply> {
  const serviceId = request.params.serviceId;
  if (!SERVICE_ID.test(serviceId)) return deps.back(reply, '/console/catalog', { err: 'not_found' });
  const back = `/console/catalog/${encodeURIComponent(serviceId)}`;
  try {
    await run(serviceId);
  } catch (error) {
    // A save from a page opened before another operator's change (the limits form carries its version).
    const conflict = error instanceof ServiceError && error.code === 'version_conflict';
    return deps.back(reply, back, { err: conflict ? 'catalog_conflict' : refusalKey(error) });
  }
  return deps.back(reply, back, { ok });
}

type Tested = { input: string; value: string; result: Awaited<ReturnType<ConsoleDeps['services']['catalog']['testInput']>> };

async function servicePage(deps: ConsoleDeps, serviceId: string, signed: Signed, reply: FastifyReply, tested: Tested | undefined): Promise<FastifyReply> {
  // As stored now (not the cache): the limits form carries the version a save compares.
  const found = SERVICE_ID.test(serviceId) ? await deps.services.catalog.edit(serviceId) : undefined;
  const service = found?.service;
  const lang = signed.view.lang;
  if (!found || !service) return deps.send(reply, 404, consolePage(signed.view, 'error', text(lang, 'nav_catalog'), { message: text(lang, 'err_not_found') }));
  const data = {
    service, tested, fee: feeText(service.feeRule), // A route's configuration may hold a partner's credentials: masked as the partner exchanges are.
    config: maskBody(JSON.stringify(service.providerConfig, null, 2)),
    limits: { min: formatAmount(service.minMinor), max: formatAmount(service.maxMinor) },
    mayManage: deps.services.can(signed.session.principal, 'catalog.manage'),
    mayConfigure: deps.services.can(signed.session.principal, 'catalog.configure'),
    version: found.version,
  };
  return deps.send(reply, 200, consolePage(signed.view, 'service', `${service.serviceId} · ${service.name}`, data, { scripts: ['catalog.js'] }));
}

/** A fee rule as operators read it (the amounts exact, from minor units). */
export function feeText(rule: FeeRule): string {
  switch (rule.kind) {
    case 'none':
      return 'amountFrom = amountTo';
    case 'any':
      return 'any';
    case 'range':
      return `${formatAmount(BigInt(rule.minMinor))} … ${formatAmount(BigInt(rule.maxMinor))}`;
    case 'percent':
      return `≤ ${(rule.maxBasisPoints / 100).toFixed(2)}%${rule.minMinor ? `, min ${formatAmount(BigInt(rule.minMinor))}` : ''}`;
  }
}
