/**
 * Who may do what: one table of actions. A viewer reads; an operator runs the day (payments, attention, security
 * review, tokens, cabinet users, proposing and approving money movements); an admin does everything, and alone manages
 * operators, roles, agents' settings and the catalog. The local Unix socket acts as admin. A cabinet user may do only
 * the actions marked `agentUser`, and only on its own agent.
 */
import { assertNever } from '../domain/assert.ts';
import type { Role } from './operators.ts';
import type { Principal } from './sessions.ts';

interface Rule {
  roles: readonly Role[];
  /** A cabinet user may do it on its own agent. */
  agentUser: boolean;
}

const READ: Rule = { roles: ['viewer', 'operator', 'admin'], agentUser: false };
const OWN_READ: Rule = { roles: ['viewer', 'operator', 'admin'], agentUser: true };
const OPERATE: Rule = { roles: ['operator', 'admin'], agentUser: false };
const OWN_OPERATE: Rule = { roles: ['operator', 'admin'], agentUser: true };
const ADMIN: Rule = { roles: ['admin'], agentUser: false };

export const ACTIONS = {
  'dashboard.read': READ,
  'agents.read': OWN_READ,
  'agents.create': ADMIN,
  /** Overdraft, notification threshold, review threshold, allowed services: credit and risk decisions. */
  'agents.configure': ADMIN,
  /** The addresses an agent's requests come from (the cabinet manages its own). */
  'agents.ip_allow': OWN_OPERATE,
  'tokens.read': OWN_READ,
  /** A new token: pending until confirmed (a cabinet user's own), or confirmed at once by an operator. */
  'tokens.issue': OWN_OPERATE,
  'tokens.confirm': OPERATE,
  'tokens.revoke': OWN_OPERATE,
  'agent_users.read': READ,
  'agent_users.manage': OPERATE,
  'payments.read': OWN_READ,
  'payments.act': OPERATE,
  'attention.read': READ,
  'attention.resolve': OPERATE,
  'reviews.read': READ,
  'reviews.decide': OPERATE,
  'proposals.read': READ,
  'proposals.propose': OPERATE,
  /** Approve or reject another operator's proposal (never one's own: approvals.ts refuses it). */
  'proposals.decide': OPERATE,
  /** A top-up or correction without a second operator: the local socket only (it acts as admin). */
  'money.direct': ADMIN,
  'reconciliation.read': READ,
  'reconciliation.run': OPERATE,
  /** An agent's own registries of its days, as uploaded (the cabinet its own). */
  'agent_registries.read': OWN_READ,
  /** Hand in an agent's registry of a day (CSV) for the three-way reconciliation: the agent's staff, or an operator for it. */
  'agent_registries.upload': OWN_OPERATE,
  'catalog.read': READ,
  'catalog.manage': ADMIN,
  /** A service's inputs and regexps, fee rule and route: what check and pay enforce, and where the money goes. */
  'catalog.configure': ADMIN,
  'operators.read': ADMIN,
  'operators.manage': ADMIN,
  'audit.read': READ,
  'ledger.check': READ,
} as const satisfies Record<string, Rule>;

export type Action = keyof typeof ACTIONS;

export function isAction(name: string): name is Action {
  return Object.hasOwn(ACTIONS, name);
}

/**
 * Whether the principal may do the action; `target.agentId` names the agent it is done to (a cabinet user's actions
 * need it, and it must be its own). A direct money movement is the local socket's alone, whatever an admin's role.
 */
export function can(principal: Principal, action: Action, target: { agentId?: bigint } = {}): boolean {
  const rule: Rule = ACTIONS[action];
  switch (principal.kind) {
    case 'local':
      return true;
    case 'operator':
      return action !== 'money.direct' && rule.roles.includes(principal.role);
    case 'agent_user':
      return rule.agentUser && target.agentId !== undefined && target.agentId === principal.agentId;
    default:
      return assertNever(principal, 'principal');
  }
}

/** The actions a principal may do (for pages that show or hide buttons). */
export function allowedActions(principal: Principal, target: { agentId?: bigint } = {}): Action[] {
  return (Object.keys(ACTIONS) as Action[]).filter((action) => can(principal, action, target));
}
