import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { z } from 'zod';
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

const resultSchema = {
  type: 'object',
  required: ['result', 'resultMessage'],
  properties: {
    result: { type: 'integer', description: 'Result code (Table 1); 0 success, 1/153/220/255 temporary, others final' },
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
      description: 'Processing-centre API for agents (specs/agent-api-v20). Every request is a POST with a JSON body in UTF-8. '
        + 'The list of services is answered under the key `services` in Latin letters (the partner document\'s example spells it with a Cyrillic "с").',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: Object.fromEntries(Object.entries(REQUEST_SCHEMAS).map(([name, schema]) => [name, jsonSchema(schema)])),
    },
    paths: {
      '/api/v20/services': operation('Services available to the agent', undefined, { ...resultSchema, properties: { ...resultSchema.properties, services: { type: 'array', items: { type: 'object' } } } }),
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
