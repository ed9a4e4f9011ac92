/**
 * The Alseco simulator over HTTP: a SOAP 1.1/1.2 server built on the same codec and WSDL as the client, mounted at
 * /sandbox/alseco (POST to /sandbox/alseco, …/AlsecoPaymentsService.asmx or …/AstanaErcPaymentService.asmx;
 * GET …?wsdl). Faults are injected here: latency, HTML 500 pages, SOAP faults, truncated XML, huge bodies, and Pay
 * timeouts or 500s after the payment was committed. Admin routes (JSON) drive the clock and plant data for tests.
 */
import type { Clock } from '../../domain/clock.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  alsecoContentType, decodeAlsecoRequest, encodeAlsecoFault, encodeAlsecoResponse,
  type AlsecoMethod, type AlsecoResponse, type AlsecoSoapVersion,
} from '../../providers/alseco/codec/index.ts';
import { renderAlsecoWsdl as wsdlOf } from '../../providers/alseco/codec/wsdl.ts';
import { formatAmount, parseAmount } from '../../domain/money.ts';
import { AlsecoSimFault, AlsecoSimulator } from './simulator.ts';
import { controlGuard } from '../control.ts';
import { FAULT_FIELDS, faultRate, faultStore, inScope, registerFaultRoutes, rollScopedFault } from '../faults.ts';

export interface AlsecoFaults {
  latencyMs: number;
  /** Before doing anything: an IIS-style HTML error page with HTTP 500. */
  http500Rate: number;
  /** Before doing anything: a soap:Server fault (HTTP 500). */
  soapFaultRate: number;
  /** The real answer cut in the middle (HTTP 200). */
  malformedRate: number;
  /** A body larger than any client accepts. */
  hugeRate: number;
  /** Pay/PayD and the rollbacks: commit, then hang for hangMs (the caller times out after Alseco committed). */
  hangAfterCommitRate: number;
  /** Pay/PayD and the rollbacks: commit, then answer an HTML 500. */
  http500AfterCommitRate: number;
  hangMs: number;
  /** Faults apply to these methods only (empty: to all). */
  methods: string[];
  /** How many more faulted answers (null: no limit). */
  times: number | null;
  /** false: a repeated SysRef is paid again (real partners promise no deduplication). */
  dedupe: boolean;
}

const DEFAULT_FAULTS: AlsecoFaults = {
  latencyMs: 0, http500Rate: 0, soapFaultRate: 0, malformedRate: 0, hugeRate: 0, hangAfterCommitRate: 0, http500AfterCommitRate: 0,
  hangMs: 15_000, methods: [], times: null, dedupe: true,
};

const faultsBody = z.object({
  ...FAULT_FIELDS, soapFaultRate: faultRate, hugeRate: faultRate,
  methods: z.array(z.string().max(64)).max(32), times: z.number().int().min(0).max(1_000_000).nullable(),
}).partial();

const plantBody = z.object({
  sysRef: z.string().min(1).max(50), accountId: z.number().int().min(1).max(2_147_483_647), invoiceId: z.string().max(15).optional(),
  paySum: z.string(), receivedAt: z.string().datetime({ offset: true }).optional(),
});

/** The calls that move money at Alseco: a fault "after commit" hits them once the simulator has done what they ask. */
const COMMITTING_METHODS: ReadonlySet<AlsecoMethod> = new Set<AlsecoMethod>(['Pay', 'PayD', 'RollbackPayments', 'RollbackPaymentsBySysRef']);

/** Larger than the client's default limit (16 MiB), which is the point. */
const HUGE_BYTES = 17 * 1024 * 1024;

const HTML_500 = '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
  + '<html><head><title>500 - Internal server error.</title></head><body><h2>500 - Internal server error.</h2>'
  + '<h3>There is a problem with the resource you are looking for, and it cannot be displayed.</h3></body></html>';

export interface AlsecoSandboxOptions {
  /** The ALSECO_* configuration (the simulator accepts our own bank code, in our Alseco zone). */
  bankCode: string;
  offsetMinutes: number;
  clock?: Clock;
  /** Who may use the control routes (faults, clock, accounts, planted payments); loopback by default. */
  controlAllow?: string[];
  /** The public base URL (PUBLIC_URL or this server): the WSDL's service addresses, never the request's Host. */
  publicBase?: () => string;
}

/** What the SOAP endpoint works on: the simulator and the faults in force (replaced whole by the control routes). */
interface AlsecoSandboxState {
  simulator: AlsecoSimulator;
  faults: AlsecoFaults;
}

export async function alsecoSandboxRoutes(app: FastifyInstance, options: AlsecoSandboxOptions): Promise<void> {
  const simulator = new AlsecoSimulator({ bankCode: options.bankCode, offsetMinutes: options.offsetMinutes, ...(options.clock ? { clock: options.clock } : {}) });
  const state: AlsecoSandboxState = { simulator, faults: { ...DEFAULT_FAULTS } };
  const control = { preHandler: controlGuard(options.controlAllow) };

  app.addContentTypeParser(['text/xml', 'application/soap+xml', 'application/xml'], { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body));

  const wsdl = async (_request: FastifyRequest, reply: FastifyReply) => {
    const base = `${options.publicBase?.() ?? ''}${app.prefix}`;
    return reply.type('text/xml; charset=utf-8').send(wsdlOf(base));
  };

  for (const path of ['/', '/AlsecoPaymentsService.asmx', '/AstanaErcPaymentService.asmx']) {
    app.post(path, (request, reply) => answerSoap(state, request, reply));
    app.get(path, wsdl);
  }

  const store = faultStore(() => state.faults, (next: AlsecoFaults) => {
    state.faults = next;
    simulator.dedupe = next.dedupe;
  });
  registerFaultRoutes(app, '/faults', store, { control, schema: faultsBody });
  registerControlRoutes(app, simulator, control);
}

/** One SOAP call: decoded, faults rolled before and after the simulator commits, answered in the caller's SOAP version. */
async function answerSoap(state: AlsecoSandboxState, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  // The faults in force when the call arrived: a call still hanging from an earlier setting must not spend the budget
  // (`times`) of faults set since, which belong to the calls that come after them.
  const faults = state.faults;
  /** Rolls the dice for one fault; a hit on a limited budget spends it. */
  const hit = (share: number, method: string): boolean => rollScopedFault(faults, share, method);
  const body = request.body;
  const decoded = decodeAlsecoRequest(Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : ''));
  if (decoded.kind !== 'ok') {
    const message = decoded.kind === 'malformed' ? `Server was unable to read request. ${decoded.reason}: ${decoded.detail}` : `Server was unable to read request (${decoded.kind}).`;
    return sendFault(reply, soapVersionOf(request), 'client', message);
  }
  const { method, soapVersion, namespace } = decoded;
  if (faults.latencyMs > 0 && inScope(faults, method)) await sleep(faults.latencyMs);
  if (hit(faults.http500Rate, method)) return reply.code(500).type('text/html').send(HTML_500);
  if (hit(faults.soapFaultRate, method)) return sendFault(reply, soapVersion, 'server', 'System.Data.SqlClient.SqlException: Timeout expired.');
  let response: AlsecoResponse;
  try {
    response = state.simulator.handle({ method, params: decoded.params } as Parameters<AlsecoSimulator['handle']>[0]);
  } catch (error) {
    if (error instanceof AlsecoSimFault) return sendFault(reply, soapVersion, error.side, error.message);
    throw error;
  }
  if (COMMITTING_METHODS.has(method)) {
    // The payment is committed by now: what follows is what the bank sees of it.
    if (hit(faults.hangAfterCommitRate, method)) await sleep(faults.hangMs);
    if (hit(faults.http500AfterCommitRate, method)) return reply.code(500).type('text/html').send(HTML_500);
  }
  const xml = encode(response, { namespace, soapVersion });
  if (hit(faults.malformedRate, method)) return reply.code(200).type(alsecoContentType(soapVersion)).send(xml.slice(0, Math.floor(xml.length / 2)));
  if (hit(faults.hugeRate, method)) return reply.code(200).type(alsecoContentType(soapVersion)).send(xml.replace('<soap', `${' '.repeat(HUGE_BYTES)}<soap`));
  return reply.code(200).type(alsecoContentType(soapVersion)).send(xml);
}

/** The test's hands on the simulator: its clock, its accounts, its journal, and payments planted, changed or removed. */
function registerControlRoutes(app: FastifyInstance, simulator: AlsecoSimulator, control: { preHandler: ReturnType<typeof controlGuard> }): void {
  app.put('/clock', control, async (request, reply) => {
    const body = z.object({ now: z.string().datetime({ offset: true }).nullable() }).safeParse(request.body);
    if (!body.success) return reply.code(400).send({ error: body.error.message });
    return { now: simulator.setClock(body.data.now), period: simulator.handle({ method: 'GetCurrentPeriod', params: { bankCode: simulator.options.bankCode } }).result };
  });

  app.get('/accounts', control, async () => [...simulator.accounts.values()].map((a) => ({
    account: String(a.accountId).padStart(10, '0'), accountId: a.accountId, state: a.state, formation: a.formation, name: a.name,
    invoices: a.invoices.length, services: a.invoices.flat().map((s) => s.serviceId),
  })));

  app.get('/calls', control, async () => simulator.journal);
  app.get('/payments', control, async () => ({
    stats: simulator.stats,
    payments: simulator.payments.map((p) => ({ ...p, paySum: formatAmount(p.paySumMinor, 2), paySumMinor: p.paySumMinor.toString(),
      parameters: p.parameters.map((x) => ({ ...x, paySumMinor: x.paySumMinor.toString() })), receivedAt: new Date(p.receivedAt).toISOString() })),
  }));
  app.post('/payments', control, async (request, reply) => {
    const body = plantBody.safeParse(request.body);
    const amount = body.success ? parseAmount(body.data.paySum, 2) : undefined;
    if (!body.success || !amount?.ok) return reply.code(400).send({ error: body.success ? 'paySum is not an amount' : body.error.message });
    const planted = simulator.plant({
      sysRef: body.data.sysRef, accountId: body.data.accountId, paySumMinor: amount.minor,
      ...(body.data.invoiceId ? { invoiceId: body.data.invoiceId } : {}),
      ...(body.data.receivedAt ? { receivedAt: Date.parse(body.data.receivedAt) } : {}),
    });
    return { paymentId: planted.paymentId };
  });
  app.patch('/payments/:sysRef', control, async (request, reply) => {
    const { sysRef } = request.params as { sysRef: string };
    const body = z.object({ paySum: z.string() }).safeParse(request.body);
    const amount = body.success ? parseAmount(body.data.paySum, 2) : undefined;
    const payment = amount?.ok ? simulator.changePaySum(sysRef, amount.minor) : undefined;
    if (!payment) return reply.code(404).send({ error: 'no such payment, or paySum is not an amount' });
    return { paymentId: payment.paymentId };
  });
  app.delete('/payments/:sysRef', control, async (request, reply) => {
    const { sysRef } = request.params as { sysRef: string };
    if (!simulator.remove(sysRef)) return reply.code(404).send({ error: 'no such payment' });
    return { deleted: sysRef };
  });
}

function encode(response: AlsecoResponse, options: { namespace: string; soapVersion: AlsecoSoapVersion }): string {
  // The union is correlated by construction (handle answers the method it was asked); TypeScript cannot see it.
  return encodeAlsecoResponse(response.method as AlsecoMethod, response.result as never, options as Parameters<typeof encodeAlsecoResponse>[2]);
}

const SOAP12_ENVELOPE = 'http://www.w3.org/2003/05/soap-envelope';

/**
 * The SOAP version of a request the codec could not read, so that its fault is one the client can read: a SOAP 1.2
 * client (python-zeep) reports a 1.1 fault only as "Unknown fault occured". SOAP 1.2 is sent as application/soap+xml
 * (SOAP 1.2 part 2, §7.1.4) with the 2003/05 envelope namespace; anything else is answered in 1.1.
 */
export function soapVersionOf(request: FastifyRequest): AlsecoSoapVersion {
  if (String(request.headers['content-type'] ?? '').toLowerCase().startsWith('application/soap+xml')) return '1.2';
  const body = Buffer.isBuffer(request.body) ? request.body.subarray(0, 4096).toString('latin1') : '';
  return body.includes(SOAP12_ENVELOPE) ? '1.2' : '1.1';
}

function sendFault(reply: FastifyReply, soapVersion: AlsecoSoapVersion, side: 'client' | 'server', message: string): FastifyReply {
  return reply.code(500).type(alsecoContentType(soapVersion)).send(encodeAlsecoFault({ side, message }, { soapVersion }));
}
