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
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return rest;
}

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

function operation(summary: string, request: z.ZodType | undefined, response: Record<string, unknown>) {
  return {
    post: {
      summary,
      security: [{ bearer: [] }],
      ...(request ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(request) } } } } : {}),
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
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths: {
      '/api/v20/services': operation('Services available to the agent', undefined, { ...resultSchema, properties: { ...resultSchema.properties, services: { type: 'array', items: { type: 'object' } } } }),
      '/api/v20/service': operation('One service', serviceRequestSchema, { ...resultSchema, properties: { ...resultSchema.properties, services: { type: 'array', items: { type: 'object' } } } }),
      '/api/v20/balance': operation('Agent balance', undefined, { ...resultSchema, properties: { ...resultSchema.properties, agent: { type: 'object' } } }),
      '/api/v20/check': operation('Check that a payment can be made', checkRequestSchema, paymentAnswerSchema),
      '/api/v20/pay': operation('Make a payment (idempotent on agentTransactionId)', payRequestSchema, paymentAnswerSchema),
      '/api/v20/operatorByPhone': operation('Mobile operator of a number (MNP)', operatorByPhoneRequestSchema, { ...resultSchema, properties: { ...resultSchema.properties, serviceId: { type: 'string' } } }),
    },
  };
}

export async function agentApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, { mode: 'static', specification: { document: agentApiDocument() as never } });
  await app.register(swaggerUi, { routePrefix: '/' });
}
