import type { FastifyReply, FastifyRequest } from 'fastify';
import { ipAllowed } from '../domain/cidr.ts';

/** Loopback only: fault injection, clocks and planted data are for tests and operators on this machine. */
export const LOOPBACK_ONLY = ['127.0.0.0/8', '::1/128'];

/**
 * A preHandler for the sandbox control routes (faults, clock, planted data, the wallet simulator's runs): callers
 * outside the allow list (SANDBOX_CONTROL_ALLOW) get 403. The partner protocol routes themselves stay open, as the
 * partners' own servers are.
 */
export function controlGuard(allow: string[] = LOOPBACK_ONLY) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (ipAllowed(allow, request.ip)) return;
    request.log.info({ ip: request.ip, url: request.url }, 'sandbox control route refused');
    await reply.code(403).send({ status: 'error', code: 'FORBIDDEN', message: 'Sandbox control routes are for loopback callers (SANDBOX_CONTROL_ALLOW)' });
  };
}

/** A JSON control body read from text (these plugins parse bodies as text); undefined when it is not JSON. */
export function jsonOrUndefined(body: unknown): unknown {
  try {
    return JSON.parse(String(body || '{}'));
  } catch {
    return undefined;
  }
}
