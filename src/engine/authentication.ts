/**
 * Who is calling: the one place that turns a gateway's credentials into an agent. The agent API's bearer token (or
 * the caller's address, for an IP-only agent) and an Elsom terminal's terminal-id, login and password-md5 both end in
 * the same `Agent`, with the same checks of its state and its allow-list. Gateways render the refusals in their own
 * protocol; the throttling of failures (src/http/auth-throttle.ts) stays at the HTTP edge.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../store/db.ts';
import { authenticate, findAgent, ipAllowed, TokenCache, type Agent, type AuthResult } from './agents.ts';
import { elsomSecretHash, sha256Hex } from './terminals.ts';

export type ElsomAuthFailure = 'unknown_terminal' | 'wrong_credentials' | 'terminal_disabled' | 'agent_disabled' | 'ip_not_allowed';

export type ElsomAuthResult = { ok: true; agent: Agent } | { ok: false; reason: ElsomAuthFailure };

export interface ElsomCredentials {
  terminalId: string;
  login: string;
  /** As Elsom sends it: the hex MD5 of the password, any case. */
  passwordMd5: string;
}

const MD5_HEX = /^[0-9a-f]{32}$/;

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

// A fixed salt and hash compared against when the terminal is unknown, so that the answer takes the same work.
const DUMMY = { login: 'x', salt: '00', hash: sha256Hex('00:') };

/**
 * terminal-id + login + password-md5 (+ the address) → the agent. The login and the password hash are compared in
 * constant time, and an unknown terminal costs the same comparisons.
 */
export async function authenticateElsomTerminal(q: Queryable, credentials: ElsomCredentials, remoteIp: string): Promise<ElsomAuthResult> {
  const result = await q.query<{ agent_id: bigint; login: string; password_salt: string; password_sha256: string; ip_allow: string[]; enabled: boolean }>(
    'SELECT agent_id, login, password_salt, password_sha256, ip_allow, enabled FROM elsom_terminals WHERE terminal_id = $1',
    [credentials.terminalId],
  );
  const row = result.rows[0];
  const given = credentials.passwordMd5.toLowerCase();
  const loginOk = sameHex(sha256Hex(row?.login ?? DUMMY.login), sha256Hex(credentials.login));
  const passwordOk = sameHex(row?.password_sha256 ?? DUMMY.hash, elsomSecretHash(row?.password_salt ?? DUMMY.salt, given));
  if (!row) return { ok: false, reason: 'unknown_terminal' };
  if (!loginOk || !passwordOk || !MD5_HEX.test(given)) return { ok: false, reason: 'wrong_credentials' };
  if (!row.enabled) return { ok: false, reason: 'terminal_disabled' };
  const agent = await findAgent(q, row.agent_id);
  if (!agent || !agent.enabled) return { ok: false, reason: 'agent_disabled' };
  if (!ipAllowed(row.ip_allow, remoteIp) || !ipAllowed(agent.ipAllow, remoteIp)) return { ok: false, reason: 'ip_not_allowed' };
  return { ok: true, agent };
}

/** The service the gateways are given: one per running Tolem, holding the token cache. */
export class Callers {
  private readonly tokens: TokenCache;

  constructor(
    private readonly q: Queryable,
    options: { tokenCacheMs: number },
  ) {
    this.tokens = new TokenCache(options.tokenCacheMs);
  }

  /** The agent API: a bearer token, or none (an IP-only agent is found by its address). */
  agent(bearer: string | undefined, remoteIp: string): Promise<AuthResult> {
    return authenticate(this.q, bearer, remoteIp, this.tokens);
  }

  /** The Elsom biller gateway: a terminal's credentials. */
  elsomTerminal(credentials: ElsomCredentials, remoteIp: string): Promise<ElsomAuthResult> {
    return authenticateElsomTerminal(this.q, credentials, remoteIp);
  }
}
