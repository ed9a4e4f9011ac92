import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Service } from '../domain/catalog.ts';
import { formatAmount } from '../domain/money.ts';
import { maskBody } from '../domain/masking.ts';
import { CatalogEditError, MAX_INPUTS, type InputEdit, type Versioned } from '../engine/catalog-admin.ts';
import { ServiceError } from '../engine/errors.ts';
import { FEE_KINDS, feeRuleInput, type FeePreview, type FeeRuleInput } from '../engine/fee-rules.ts';
import { isConsoleTextKey } from './i18n.ts';
import { consolePage, text } from './page.ts';
import { refusalKey } from './refusals.ts';
import type { ConsoleDeps, Signed } from './routes.ts';

/**
 * The catalog's edit pages (admin: catalog.configure): a service's inputs with their regexps (each row with a sample
 * value tried live in the browser by catalog.js and, on "check", by the server exactly as a save checks it), its fee
 * rule with a preview of the fee for a sample amount, and its route (an adapter of the registry). Each form carries
 * the version it was opened at; a refusal re-renders the form with what was typed and the reason in the operator's
 * language, next to the field it is about (a conflict says another operator saved first).
 */

type ServiceParams = { Params: { serviceId: string } };
type Section = 'inputs' | 'fee' | 'route';

const SERVICE_ID = /^[\w.-]{1,32}$/;
const MAX_SAMPLE = 500;

interface InputRow {
  name: string;
  title: string;
  regexp: string;
  required: boolean;
  order: string;
  remove: boolean;
  sample: string;
  /** The server's answer for the sample, after "check". */
  tested?: { ok: boolean; matches?: boolean; reason?: string };
}

interface Problem {
  /** Which field it is about (`inputs.2.regexp` → row 2's regexp, `fee.min`, `provider`), or '' for the form. */
  field: string;
  message: string;
}

export function registerCatalogEdits(app: FastifyInstance, deps: ConsoleDeps): void {
  for (const section of ['inputs', 'fee', 'route'] as const) {
    app.get<ServiceParams>(`/catalog/:serviceId/${section}`, async (request, reply) => {
      const signed = await deps.page(request, reply, 'catalog.configure', 'catalog');
      if (!signed) return reply;
      const found = await fresh(deps, request.params.serviceId);
      if (!found) return notFound(deps, signed, reply);
      return editPage(deps, signed, reply, 200, section, found, initialForm(section, found.service));
    });
  }
  app.post<ServiceParams>('/catalog/:serviceId/inputs', async (request, reply) => {
    const signed = await deps.act(request, reply, 'catalog.configure');
    if (!signed) return reply;
    // A row left blank (the one offered to add an input) is no row: the page offers a new blank one again.
    const rows = inputRows(signed.form).filter((row) => row.name || row.title || row.regexp);
    if (signed.form['intent'] === 'test') {
      for (const row of rows) if (!row.remove && row.regexp) row.tested = testedRow(deps, row);
      return withFound(deps, signed, reply, request.params.serviceId, (found) => editPage(deps, signed, reply, 200, 'inputs', found, { rows }, undefined, (signed.form['version'] ?? '').slice(0, 16)));
    }
    const { edits, rowOf } = inputEdits(rows);
    return save(deps, signed, reply, request.params.serviceId, 'inputs', { rows }, rowOf, (version) => deps.services.catalog.setInputs(signed.actor, request.params.serviceId, edits, version));
  });
  app.post<ServiceParams>('/catalog/:serviceId/fee', async (request, reply) => {
    const signed = await deps.act(request, reply, 'catalog.configure');
    if (!signed) return reply;
    const rule = feeForm(signed.form);
    const sample = (signed.form['sample'] ?? '').trim().slice(0, 32);
    if (signed.form['intent'] === 'preview') {
      let preview: ReturnType<typeof previewText> | undefined;
      let problem: Problem | undefined;
      try {
        preview = previewText(deps.services.catalog.feePreview(rule, sample));
      } catch (error) {
        problem = problemOf(signed, error, []);
      }
      return withFound(deps, signed, reply, request.params.serviceId, (found) => editPage(deps, signed, reply, problem ? 400 : 200, 'fee', found, { rule, sample, preview }, problem, (signed.form['version'] ?? '').slice(0, 16)));
    }
    return save(deps, signed, reply, request.params.serviceId, 'fee', { rule, sample }, [], (version) => deps.services.catalog.setFeeRule(signed.actor, request.params.serviceId, rule, version));
  });
  app.post<ServiceParams>('/catalog/:serviceId/route', async (request, reply) => {
    const signed = await deps.act(request, reply, 'catalog.configure');
    if (!signed) return reply;
    const provider = (signed.form['provider'] ?? '').slice(0, 64);
    const configText = (signed.form['config'] ?? '').trim();
    const form = { provider, config: configText };
    let providerConfig: Record<string, unknown> | undefined;
    if (configText) {
      try {
        providerConfig = JSON.parse(configText) as Record<string, unknown>;
      } catch {
        return withFound(deps, signed, reply, request.params.serviceId, (found) =>
          editPage(deps, signed, reply, 400, 'route', found, form, { field: 'providerConfig', message: text(signed.view.lang, 'cat_err_bad_provider_config') }, (signed.form['version'] ?? '').slice(0, 16)));
      }
    }
    return save(deps, signed, reply, request.params.serviceId, 'route', form, [], (version) =>
      deps.services.catalog.setRoute(signed.actor, request.params.serviceId, { provider, ...(providerConfig !== undefined ? { providerConfig } : {}) }, version));
  });
}

/** The service as stored now (never the cache): the version in the form must be the one a save compares. */
async function fresh(deps: ConsoleDeps, serviceId: string): Promise<Versioned | undefined> {
  return SERVICE_ID.test(serviceId) ? deps.services.catalog.edit(serviceId) : undefined;
}

function notFound(deps: ConsoleDeps, signed: Signed, reply: FastifyReply): Promise<FastifyReply> {
  return deps.send(reply, 404, consolePage(signed.view, 'error', text(signed.view.lang, 'nav_catalog'), { message: text(signed.view.lang, 'err_not_found') }));
}

async function withFound(deps: ConsoleDeps, signed: Signed, reply: FastifyReply, serviceId: string, then: (found: Versioned) => Promise<FastifyReply>): Promise<FastifyReply> {
  const found = await fresh(deps, serviceId);
  return found ? then(found) : notFound(deps, signed, reply);
}

/** Saves with the form's version; a refusal shows the form again as typed, with the reason. */
async function save(
  deps: ConsoleDeps, signed: Signed, reply: FastifyReply, serviceId: string, section: Section, form: Record<string, unknown>, rowOf: number[],
  run: (version: string) => Promise<unknown>,
): Promise<FastifyReply> {
  if (!SERVICE_ID.test(serviceId)) return notFound(deps, signed, reply);
  const version = (signed.form['version'] ?? '').slice(0, 16);
  try {
    await run(version);
  } catch (error) {
    const problem = problemOf(signed, error, rowOf);
    const conflict = error instanceof ServiceError && error.kind === 'conflict';
    // After a conflict the form shows what is stored now, with its version: the operator sees the other change before
    // deciding again, and saving the same form twice cannot overwrite it.
    return withFound(deps, signed, reply, serviceId, (found) =>
      editPage(deps, signed, reply, conflict ? 409 : 400, section, found, conflict ? initialForm(section, found.service) : form, problem, conflict ? found.version : version));
  }
  return deps.back(reply, `/console/catalog/${encodeURIComponent(serviceId)}`, { ok: `${section}_saved` });
}

/** A refusal in the operator's language; `rowOf` maps the engine's input index back to the form's row. */
function problemOf(signed: Signed, error: unknown, rowOf: number[]): Problem {
  const lang = signed.view.lang;
  if (!(error instanceof ServiceError)) throw error;
  const key = `cat_err_${error.code}`;
  const fallback = `err_${refusalKey(error)}`;
  const message = isConsoleTextKey(key) ? text(lang, key) : isConsoleTextKey(fallback) ? text(lang, fallback) : error.message;
  let field = error instanceof CatalogEditError ? error.field : '';
  const row = /^inputs\.(\d+)\.(\w+)$/.exec(field);
  if (row) field = `inputs.${rowOf[Number(row[1])] ?? row[1]}.${row[2]}`;
  return { field, message };
}

function initialForm(section: Section, service: Service): Record<string, unknown> {
  switch (section) {
    case 'inputs':
      return { rows: service.inputs.map((input, index): InputRow => ({ ...input, order: String(index + 1), remove: false, sample: '' })) };
    case 'fee':
      return { rule: feeRuleInput(service.feeRule), sample: '' };
    case 'route':
      return { provider: service.provider, config: '' };
  }
}

async function editPage(
  deps: ConsoleDeps, signed: Signed, reply: FastifyReply, code: number, section: Section, found: Versioned, form: Record<string, unknown>, problem?: Problem, version?: string,
): Promise<FastifyReply> {
  const { service } = found;
  const data: Record<string, unknown> = {
    service, version: version ?? found.version, problem, form, fee: feeRuleInput(service.feeRule),
    err: (field: string) => (problem && problem.field === field ? problem.message : ''),
    kinds: FEE_KINDS, providers: deps.services.catalog.providers(), maxInputs: MAX_INPUTS,
    // A route's configuration may hold a partner's credentials: shown masked, and kept unless a new one is typed.
    config: maskBody(JSON.stringify(service.providerConfig, null, 2)),
  };
  if (section === 'inputs') data['rows'] = withBlankRow((form['rows'] as InputRow[] | undefined) ?? []);
  const title = `${service.serviceId} · ${text(signed.view.lang, `cat_edit_${section}`)}`;
  return deps.send(reply, code, consolePage(signed.view, `service-${section}`, title, data, { scripts: ['catalog.js'], styles: ['catalog.css'] }));
}

/** One empty row to add an input, while there is room. */
function withBlankRow(rows: InputRow[]): InputRow[] {
  const kept = rows.filter((row) => !row.remove).length;
  if (kept >= MAX_INPUTS) return rows;
  return [...rows, { name: '', title: '', regexp: '', required: true, order: String(rows.length + 1), remove: false, sample: '' }];
}

/** The rows of the inputs form: name_0, title_0, regexp_0, required_0, order_0, remove_0, sample_0, … */
function inputRows(form: Record<string, string>): InputRow[] {
  const count = Math.min(Number.parseInt(form['rows'] ?? '0', 10) || 0, MAX_INPUTS + 1);
  const rows: InputRow[] = [];
  for (let i = 0; i < count; i++) {
    rows.push({
      name: (form[`name_${i}`] ?? '').slice(0, 64), title: (form[`title_${i}`] ?? '').slice(0, 200), regexp: (form[`regexp_${i}`] ?? '').slice(0, 1_000),
      required: form[`required_${i}`] === 'on', order: (form[`order_${i}`] ?? '').slice(0, 4), remove: form[`remove_${i}`] === 'on',
      sample: (form[`sample_${i}`] ?? '').slice(0, MAX_SAMPLE),
    });
  }
  return rows;
}

/** The rows kept (not removed, not left blank) as the engine's edits, and which form row each came from. */
function inputEdits(rows: InputRow[]): { edits: InputEdit[]; rowOf: number[] } {
  const edits: InputEdit[] = [];
  const rowOf: number[] = [];
  rows.forEach((row, index) => {
    if (row.remove) return;
    const order = Number.parseInt(row.order, 10);
    edits.push({ name: row.name, title: row.title, regexp: row.regexp, required: row.required, ...(Number.isFinite(order) ? { order } : {}) });
    rowOf.push(index);
  });
  return { edits, rowOf };
}

function testedRow(deps: ConsoleDeps, row: InputRow): InputRow['tested'] {
  const tested = deps.services.catalog.testRegexp(row.regexp, row.sample);
  return tested.ok ? { ok: true, matches: tested.matches } : { ok: false, reason: tested.reason };
}

/** The fee form: a range's `min` is the least fee; a percent's `floor` (the rule's `min`) is what is allowed whatever the percent gives. */
function feeForm(form: Record<string, string>): FeeRuleInput {
  const field = (name: string) => (form[name] ?? '').slice(0, 32);
  const kind = field('kind');
  return { kind, min: kind === 'percent' ? field('floor') : field('min'), max: field('max'), percent: field('percent') };
}

function previewText(preview: FeePreview) {
  const money = (minor: bigint | null) => (minor === null ? null : formatAmount(minor));
  return { amountTo: money(preview.amountToMinor), min: money(preview.minMinor), max: money(preview.maxMinor), maxAmountFrom: money(preview.maxAmountFromMinor) };
}
