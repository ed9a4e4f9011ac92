/**
 * The admin API's own OpenAPI 3.1 document, written from the route table (src/admin/routes/): paths, the zod schemas of
 * params, query and bodies, the action each route needs, and the two ways in. Served at /api/admin/v1/openapi.json.
 */
import { z } from 'zod';
import { ACTIONS } from '../engine/authorization.ts';
import { SESSION_COOKIES } from '../engine/sessions.ts';
import type { AdminRoute } from './route.ts';

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Record<string, unknown>[] {
  if (!schema) return [];
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: property,
  }));
}

function who(action: AdminRoute['action']): string {
  if (action === 'public') return 'No session needed.';
  const rule = ACTIONS[action];
  return `Action \`${action}\`: ${rule.roles.join(', ')}${rule.agentUser ? ', and a cabinet user on its own agent' : ''}; the local socket always.`;
}

const errorSchema = {
  type: 'object', required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
};

function operation(route: AdminRoute): Record<string, unknown> {
  const errors = Object.fromEntries(['400', '401', '403', '404', '409'].map((code) => [code, { $ref: `#/components/responses/Error${code}` }]));
  return {
    summary: route.summary,
    description: who(route.action),
    tags: [route.tag],
    operationId: `${route.method.toLowerCase()}${route.url.replace(/[/:-](\w)/g, (_m, c: string) => c.toUpperCase())}`,
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
    ...(route.rawBody ? { requestBody: { required: true, description: `a file of ${route.rawBody.maxBytes} bytes at most`, content: { [route.rawBody.contentType]: { schema: { type: 'string' } } } } } : {}),
    responses: { [String(route.status ?? 200)]: { description: 'JSON; bigint values (ids, amounts in minor units) as decimal strings', content: { 'application/json': { schema: { type: 'object' } } } }, ...errors },
    security: route.action === 'public' ? [] : [{ consoleSession: [], csrf: [] }, { cabinetSession: [], csrf: [] }],
  };
}

export function adminApiDocument(routes: readonly AdminRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tolem admin API', version: '1',
      description: 'What the console, the cabinet and the `tolem` CLI do, over the same engine services. JSON in and out; '
        + 'ids and amounts (minor units) are decimal strings. Errors are `{"error":{"code","message"}}`. Two ways in: a session '
        + `cookie (\`${SESSION_COOKIES.operator}\` from POST /session, or the cabinet's \`${SESSION_COOKIES.agent_user}\`) with the `
        + 'session\'s `X-CSRF-Token` header on every state change; or the Unix socket in the data directory (`ADMIN_SOCKET`), '
        + 'whose file permissions (0600) are the authorization: its caller acts as admin.',
    },
    servers: [{ url: '/api/admin/v1' }],
    paths: { '/openapi.json': { get: { summary: 'This document', tags: ['docs'], responses: { 200: { description: 'OpenAPI 3.1' } } } }, ...paths },
    components: {
      securitySchemes: {
        consoleSession: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIES.operator },
        cabinetSession: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIES.agent_user },
        csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
      },
      responses: Object.fromEntries(['400', '401', '403', '404', '409'].map((code) => [`Error${code}`, { description: 'refused', content: { 'application/json': { schema: errorSchema } } }])),
    },
  };
}
