import { ServiceError } from '../engine/errors.ts';

/**
 * A service's refusal → the flash text's key shown after the redirect (`err=…`). Only refusals (ServiceError) become a
 * message; anything else is a fault and goes to the error handler.
 */
const KEYS: Record<string, string> = {
  same_operator: 'own_proposal',
  needs_checker: 'own_proposal',
  already_decided: 'not_pending',
  no_reason: 'need_reason',
  reason_too_long: 'need_reason',
  no_note: 'need_note',
  zero_amount: 'bad_amount',
  negative_topup: 'bad_amount',
  exceeds_floor: 'below_floor',
  bad_ip: 'bad_ip',
  bad_cidr: 'bad_ip',
  too_many_addresses: 'bad_ip',
  ip_only_needs_address: 'bad_ip',
  already_resolved: 'not_pending',
  bad_review_threshold: 'bad_amount',
  below_new_floor: 'below_floor',
  not_held: 'not_pending',
  item_not_found: 'not_found',
  token_not_found: 'not_found',
  login_taken: 'login_taken',
  weak_password: 'weak_password',
  wrong_password: 'login',
  bad_login: 'bad_login',
  last_admin: 'last_admin',
  not_found: 'not_found',
  agent_not_found: 'not_found',
  proposal_not_found: 'not_found',
  payment_not_found: 'not_found',
  action_not_fitting: 'action_not_fitting',
  open_proposal: 'open_proposal',
  no_provider_ref: 'need_provider_ref',
  provider_ref_too_long: 'need_provider_ref',
  provider_call_running: 'provider_busy',
  provider_refused: 'provider_refused',
  provider_unknown: 'provider_unknown',
  agent_funds_short: 'agent_funds_short',
  service_not_found: 'not_found',
  bad_limits: 'bad_limits',
  bad_elsom_terminal: 'bad_elsom_terminal',
  elsom_terminal_taken: 'elsom_terminal_taken',
  unknown_service: 'unknown_service',
  no_reconciliation: 'not_found',
  bad_day: 'bad_day',
  reconciliation_running: 'reconciliation_running',
  day_not_over: 'day_not_over',
  proof_not_found: 'not_found',
  proof_signed: 'proof_signed',
  case_not_found: 'not_found',
  run_not_found: 'not_found',
  registry_not_found: 'not_found',
  registry_mismatch: 'registry_mismatch',
  bad_action: 'bad_input',
};

export function refusalKey(error: unknown): string {
  if (!(error instanceof ServiceError)) throw error;
  return KEYS[error.code] ?? 'refused';
}
