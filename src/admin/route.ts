/**
 * One admin route, declared as data: its method and URL, the action it needs (engine/authorization.ts), the zod
 * schemas of its params, query and body, and a handler that calls the engine's admin services. The same table
 * registers the Fastify routes and writes the OpenAPI document, so the two cannot disagree.
 */
import { z } from 'zod';
import type { Action } from '../engine/authorization.ts';
import type { AdminServices } from '../engine/admin-services.ts';
import type { Actor, Principal } from '../engine/sessions.ts';

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Who calls, as the audit log records it; reading it on a public route without a session answers 401. */
  readonly actor: Actor;
  /** Who calls, if anyone (public routes). */
  caller: Principal | undefined;
  ip: string | null;
  services: AdminServices;
  /** Whether cookies get the Secure flag (the public URL is https). */
  secureCookies: boolean;
  /** Sets a cookie on the answer (login and logout only). */
  reply: { setCookie(name: string, value: string, options: Record<string, unknown>): void; clearCookie(name: string, options: Record<string, unknown>): void };
  cookies: Record<string, string | undefined>;
  userAgent: string | null;
}

export interface AdminRoute<P = unknown, Q = unknown, B = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Under the prefix, Fastify syntax (`/agents/:agentId`). */
  url: string;
  summary: string;
  tag: string;
  /** The action this route needs; `public`: no principal needed (the document, the login). */
  action: Action | 'public';
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The agent the action is done to, for cabinet users (their own only); undefined when it names none. */
  target?: (ctx: RouteContext<P, Q, B>) => Promise<bigint | undefined> | bigint | undefined;
  /** A login: failed attempts (401) are slowed per address and per this credential (http/auth-throttle.ts). */
  throttleBy?: (body: B) => string;
  /** The success status (default 200). */
  status?: number;
  /**
   * A route whose body is a file, not JSON: the request's bytes reach the handler as `body`, a stream read once
   * (never buffered by the plugin), up to `maxBytes`. Its refusal comes in the API's JSON error format as ever.
   */
  rawBody?: { contentType: string; maxBytes: number };
  handle(ctx: RouteContext<P, Q, B>): Promise<unknown>;
}

/** Keeps the types of one route's schemas and handler together (an identity at run time). */
export function route<P = undefined, Q = undefined, B = undefined>(definition: AdminRoute<P, Q, B>): AdminRoute {
  return definition as unknown as AdminRoute;
}

// ---- shared schemas ----

/** An id: up to 18 digits, exact (never through a float). */
export const idText = z.string().regex(/^\d{1,18}$/, 'an id is 1-18 digits').transform((text) => BigInt(text));
/** An amount in minor units as a decimal string, signed when `signed`. */
export const minorText = (signed = false) =>
  z.string().regex(signed ? /^-?\d{1,16}$/ : /^\d{1,16}$/, signed ? 'an amount in minor units: digits, optionally signed' : 'an amount in minor units: digits')
    .transform((text) => BigInt(text));
export const instantText = z.string().refine((text) => /(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(new Date(text).getTime()), 'an ISO-8601 instant with a zone')
  .transform((text) => new Date(text));
export const noteBody = z.object({ note: z.string().min(1).max(1000) }).strict();
export const optionalNoteBody = z.object({ note: z.string().max(1000).optional() }).strict();
export const agentParams = z.object({ agentId: idText });
export const idParams = z.object({ id: idText });
