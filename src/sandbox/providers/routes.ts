import { Readable, pipeline } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { stringify } from 'csv-stringify';
import { z } from 'zod';
import {
  SANDBOX_REGISTRY_COLUMNS, sandboxCheckRequest, sandboxPayRequest, sandboxRegistryQuery, sandboxStatusRequest,
} from '../../providers/simulated/codec.ts';
import { controlGuard } from '../control.ts';
import { FAULT_FIELDS, registerFaultRoutes } from '../faults.ts';
import { type FaultConfig, type ProviderSimulator, type RegistryRow, type SandboxProviders, type SimulatorAnswer } from './simulator.ts';

const faultsBody = z.object({
  ...FAULT_FIELDS,
  processingMs: z.number().int().min(0).max(600_000),
}).partial();

const badRequest = (message: string) => ({ status: 'error', code: 'BAD_REQUEST', message });

function send<T>(reply: FastifyReply, answer: SimulatorAnswer<T>): FastifyReply {
  switch (answer.kind) {
    case 'json':
      return reply.code(200).type('application/json').send(JSON.stringify(answer.body));
    case 'http500':
      return reply.code(500).type('text/html').send('<html><body><h1>500 Internal Server Error</h1></body></html>');
    case 'malformed':
      return reply.code(200).type('application/json').send('{"status":"pa');
  }
}

/** The registry's CSV columns from a row, in SANDBOX_REGISTRY_COLUMNS' order. */
const REGISTRY_CSV_COLUMNS = SANDBOX_REGISTRY_COLUMNS.map((header) => ({
  header, key: ({ reference: 'reference', provider_ref: 'providerRef', amount: 'amount', account: 'account', paid_at: 'paidAt' } as const satisfies Record<typeof header, keyof RegistryRow>)[header],
}));

/**
 * The day's registry as CSV, streamed from the simulator's rows through csv-stringify (backpressure included: a slow
 * reader holds the generator, nothing piles up). A failure after the first line cuts the connection: the reader sees
 * a broken stream, never a short registry that looks whole.
 */
function sendRegistry(reply: FastifyReply, simulator: ProviderSimulator, day: string): FastifyReply {
  const csv = pipeline(Readable.from(simulator.registry(day)), stringify({ header: true, columns: REGISTRY_CSV_COLUMNS, record_delimiter: '\r\n' }), () => undefined);
  return reply.code(200).type('text/csv; charset=utf-8').header('cache-control', 'no-store').send(csv);
}

/**
 * Mounts every simulator under /sandbox/<name>/{check,pay,status,registry}, plus GET/PUT /sandbox/<name>/faults for fault
 * injection, GET /sandbox/<name>/payments for what the provider committed and GET /sandbox/<name>/calls for what it
 * was asked, in order.
 */
export async function sandboxProviderRoutes(app: FastifyInstance, options: { sandbox: SandboxProviders; controlAllow?: string[] }): Promise<void> {
  const control = { preHandler: controlGuard(options.controlAllow) };
  app.setErrorHandler((error: { statusCode?: number; message?: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
    void reply.code(status).send({ status: 'error', code: 'BAD_REQUEST', message: error.message ?? 'bad request' });
  });
  for (const [name, simulator] of options.sandbox.simulators) {
    app.post(`/${name}/check`, async (request, reply) => {
      const body = sandboxCheckRequest.safeParse(request.body);
      if (!body.success) return reply.code(400).send({ status: 'error', code: 'BAD_REQUEST', message: body.error.message });
      return send(reply, await simulator.check(body.data));
    });
    app.post(`/${name}/pay`, async (request, reply) => {
      const body = sandboxPayRequest.safeParse(request.body);
      if (!body.success) return reply.code(400).send({ status: 'error', code: 'BAD_REQUEST', message: body.error.message });
      return send(reply, await simulator.pay(body.data));
    });
    app.post(`/${name}/status`, async (request, reply) => {
      const body = sandboxStatusRequest.safeParse(request.body);
      if (!body.success) return reply.code(400).send({ status: 'error', code: 'BAD_REQUEST', message: body.error.message });
      return send(reply, await simulator.status(body.data.reference));
    });
    app.post(`/${name}/cancel`, async (request, reply) => {
      const body = sandboxStatusRequest.safeParse(request.body);
      if (!body.success) return reply.code(400).send({ status: 'error', code: 'BAD_REQUEST', message: body.error.message });
      return send(reply, await simulator.cancel(body.data.reference));
    });
    const faults = { get: () => simulator.getFaults(), set: (patch: Partial<FaultConfig>) => simulator.setFaults(patch), reset: () => simulator.getFaults() };
    // Faults here are per route and reset with a PUT of zeros: no DELETE.
    registerFaultRoutes(app, `/${name}/faults`, faults, { control, schema: faultsBody, reset: false, invalid: badRequest });
    app.get(`/${name}/registry`, async (request, reply) => {
      const query = sandboxRegistryQuery.safeParse(request.query);
      if (!query.success) return reply.code(400).send(badRequest(`registry: ${query.error.issues[0]?.message ?? 'bad query'} (GET …/registry?day=YYYY-MM-DD)`));
      return sendRegistry(reply, simulator, query.data.day);
    });
    app.get(`/${name}/payments`, control, async () => simulator.committed());
    app.get(`/${name}/calls`, control, async () => simulator.calls());
  }
}
