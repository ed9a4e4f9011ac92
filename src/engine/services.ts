/**
 * The engine's services as the plugins receive them: each gateway is given the few methods it calls, never the
 * database (issue 9, "Plugins receive the narrow services they use"). Built once per running Tolem by `build()`.
 */
import type { Clock } from '../domain/clock.ts';
import type { Queryable } from '../store/db.ts';
import { agentFunds, type Agent, type AgentFunds } from './agents.ts';
import { Callers } from './authentication.ts';
import { operatorByPhone, type Catalog } from './catalog.ts';
import type { PaymentEngine } from './payments.ts';
import { ElsomServiceMap } from './terminals.ts';

export interface EngineServices {
  /** Every "now" of this Tolem. */
  clock: Clock;
  engine: PaymentEngine;
  catalog: Catalog;
  /** Who is calling: agents by token or address, Elsom terminals by their credentials. */
  callers: Callers;
  /** An agent's balance, reservations and what it may still spend. */
  funds(agent: Agent): Promise<AgentFunds>;
  /** The mobile operator that serves a phone number now (number portability first), as a catalog serviceId. */
  operatorByPhone(phone: string): Promise<string | undefined>;
  /** Elsom's service-ids per terminal agent. */
  elsomServices: ElsomServiceMap;
}

export function engineServices(
  q: Queryable,
  parts: { clock: Clock; engine: PaymentEngine; catalog: Catalog; tokenCacheMs: number },
): EngineServices {
  return {
    clock: parts.clock,
    engine: parts.engine,
    catalog: parts.catalog,
    callers: new Callers(q, { tokenCacheMs: parts.tokenCacheMs }),
    funds: (agent) => agentFunds(q, agent),
    operatorByPhone: (phone) => operatorByPhone(q, phone),
    elsomServices: new ElsomServiceMap(q),
  };
}
