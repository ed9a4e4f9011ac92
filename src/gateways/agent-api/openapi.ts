import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { z } from 'zod';
import { RESULT, RESULT_INFO } from '../../domain/result-codes.ts';
import { checkRequestSchema, operatorByPhoneRequestSchema, payRequestSchema, serviceRequestSchema } from './codec.ts';

/**
 * The OpenAPI 3.1 document of the agent API, generated from the zod schemas that validate the requests (numbers that
 * the codec reads losslessly are documented as JSON numbers).
 */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const generated = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
    // Numbers read losslessly are unions in zod (number token | string); their documented wire type is set by meta.
    override: (ctx) => {
      const json = ctx.jsonSchema as Record<string, unknown>;
      if (json.type !== undefined && json.anyOf !== undefined) delete json.anyOf;
    },
  }) as Record<string, unknown>;
  const { $schema: _ignored, ...rest } = generated;
  return rest;
}

const REQUEST_SCHEMAS = {
  ServiceRequest: serviceRequestSchema,
  CheckRequest: checkRequestSchema,
  PayRequest: payRequestSchema,
  OperatorByPhoneRequest: operatorByPhoneRequestSchema,
} as const;

type RequestName = keyof typeof REQUEST_SCHEMAS;

/**
 * The result-code table of the API description, generated from `domain/result-codes.ts` so that /docs can never
 * disagree with what the engine answers: code, meaning (the constant's name), finality, the default `resultMessage`.
 */
export function resultCodeTable(): string {
  const rows = Object.entries(RESULT)
    .sort(([, a], [, b]) => a - b)
    .map(([name, code]) => {
      const info = RESULT_INFO[code];
      const meaning = name.toLowerCase().replaceAll('_', ' ');
      return `| ${code} | ${meaning} | ${info.final ? 'final' : 'not final'} | ${info.message} |`;
    });
  return ['| result | meaning | finality | resultMessage |', '|---|---|---|---|', ...rows].join('\n');
}

const API_DESCRIPTION = [
  'Processing-centre API for agents, version 20 (the partner document «Взаимодействие с процессингом»; described in '
    + 'Tolem\'s own words in `docs/protocols/agent-api.md` of the repository). Every request is a POST with a JSON body in UTF-8. '
    + 'The list of services is answered under the key `services` in Latin letters (the partner document\'s example spells it with a Cyrillic "с").',
  '## Result codes',
  'Every answer carries `result` and `resultMessage`. A **final** code means that repeating the same request gets the same '
    + 'code: stop and record the outcome. A code that is **not final** means: repeat the same request, unchanged, at growing '
    + 'intervals, until a final code comes. No answer at all (a timeout, a lost connection) is not final either.',
  resultCodeTable(),
  '202 is final for a first request. A pay repeated with a changed body while the original is still in a temporary state '
    + '(1, 153, 220) also answers 202, and the original goes on to its own final code. 150 is not in the partner '
    + 'document\'s table; it is borrowed from the Elsom code list for refused credentials. 255 changes nothing (the pay is '
    + 'not stored): a repeat is evaluated afresh. 220 is kept: the hub retries the reservation and sends the pay to the provider '
    + 'once the agent is topped up; if it is not topped up in time the pay ends with 250.',
].join('\n\n');

const resultSchema = {
  type: 'object',
  required: ['result', 'resultMessage'],
  properties: {
    result: { type: 'integer', enum: Object.keys(RESULT_INFO).map(Number), description: 'Result code: see the table in the API description (0 success; 1, 153, 220 and 255 not final; all others final)' },
    resultMessage: { type: 'string' },
  },
};

const paymentAnswerSchema = {
  type: 'object',
  required: ['result', 'resultMessage', 'agentTransactionId'],
  properties: {
    ...resultSchema.properties,
    transactionId: { type: 'integer', description: 'Tolem transaction number, up to 18 digits (exact JSON number)' },
    agentTransactionId: { type: 'integer' },
    transactionDate: { type: 'string', description: 'pay only: when the pay was accepted, YYYY-MM-DDThh:mm:ss.fff (UTC+5)' },
    statusDate: { type: 'string', description: 'pay only: when the payment became final' },
    displays: { type: 'object', additionalProperties: { type: 'string' } },
    contracts: { type: 'array', items: { type: 'object', properties: { contractId: { type: 'string' }, name: { type: 'string' }, contractNumber: { type: 'string' }, contractSum: { type: 'string' }, contractDate: { type: 'string' } } } },
    invoice: { type: 'object', properties: { invoices: { type: 'array', items: { type: 'object' } } } },
    currencyRate: { type: 'string' },
    rate: { type: 'number' },
    finalAmount: { type: 'number' },
    currency: { type: 'string' },
  },
};

function operation(summary: string, request: RequestName | undefined, response: Record<string, unknown>) {
  return {
    post: {
      summary,
      security: [{ bearer: [] }],
      ...(request ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${request}` } } } } } : {}),
      responses: {
        200: { description: 'Processed; see `result`', content: { 'application/json': { schema: response } } },
        400: { description: 'Malformed request: result 202', content: { 'application/json': { schema: resultSchema } } },
        401: { description: 'Not authenticated: result 150', content: { 'application/json': { schema: resultSchema } } },
        413: { description: 'Body over 64 KiB: result 202' },
        415: { description: 'Content-Type is not application/json: result 202' },
        503: { description: 'Temporary failure: result 1, repeat the request' },
      },
    },
  };
}

export function agentApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tolem agent API v20',
      version: '20',
      description: API_DESCRIPTION,
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: Object.fromEntries(Object.entries(REQUEST_SCHEMAS).map(([name, schema]) => [name, jsonSchema(schema)])),
    },
    paths: {
      '/api/v20/services': operation('Services available to the agent', undefined, {
        ...resultSchema,
        properties: {
          ...resultSchema.properties,
          services: { type: 'array', items: { type: 'object' } },
          unavailableServices: {
            type: 'array', items: { type: 'string' },
            description: 'Extension (not in the partner document; present only when non-empty): serviceIds of this list whose provider is down now. '
              + 'Checks and pays for them are answered 8 (forbidden for technical reasons) until the provider answers again; do not take cash for them.',
          },
        },
      }),
      '/api/v20/service': operation('One service', 'ServiceRequest', { ...resultSchema, properties: { ...resultSchema.properties, services: { type: 'array', items: { type: 'object' } } } }),
      '/api/v20/balance': operation('Agent balance', undefined, { ...resultSchema, properties: { ...resultSchema.properties, agent: { type: 'object' } } }),
      '/api/v20/check': operation('Check that a payment can be made', 'CheckRequest', paymentAnswerSchema),
      '/api/v20/pay': operation('Make a payment (idempotent on agentTransactionId)', 'PayRequest', paymentAnswerSchema),
      '/api/v20/operatorByPhone': operation('Mobile operator of a number (MNP)', 'OperatorByPhoneRequest', { ...resultSchema, properties: { ...resultSchema.properties, serviceId: { type: 'string' } } }),
    },
  };
}

export async function agentApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, { mode: 'static', specification: { document: agentApiDocument() as never } });
  await app.register(swaggerUi, { routePrefix: '/' });
}
