import { RESULT, type ResultCode } from '../domain/result-codes.ts';
import { feeAllowed, invalidInput, type Service } from '../domain/catalog.ts';
import type { ExtraServiceLine, ProviderCheckData } from '../domain/payment.ts';
import { formatAmount, parseAmount } from '../domain/money.ts';
import type { Agent } from './agents.ts';
import { serviceAllowedFor } from './catalog.ts';
import type { RequestField } from './differences.ts';

/** A refusal may name the request fields that differ from the stored transaction (215/202 on a changed body). */
export type Verdict = { ok: true } | { ok: false; code: ResultCode; message: string; differs?: RequestField[] };

const OK: Verdict = { ok: true };

function refuse(code: ResultCode, message: string): Verdict {
  return { ok: false, code, message };
}

/**
 * The service's inputs are matched by name: `account` is the account field, any other input is looked up in the
 * extras under its own name or without an `ev_` prefix (the spec's P1012 declares `ev_account1` and its requests send
 * `extras.account1`).
 */
export function inputValues(account: string, extras: Record<string, string>): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = { account };
  for (const [name, value] of Object.entries(extras)) {
    values[name] = value;
    values[`ev_${name}`] = value;
  }
  return values;
}

/** Rules in precedence order: service exists, is allowed, currency, account format, amounts, fee. */
export function validateServiceRequest(
  service: Service | undefined,
  agent: Agent,
  request: { account: string; extras: Record<string, string>; amountToMinor?: bigint; amountFromMinor?: bigint },
): Verdict {
  if (!service) return refuse(RESULT.SERVICE_NOT_IMPLEMENTED, 'Unknown serviceId');
  if (!serviceAllowedFor(service, agent.allowedServices)) return refuse(RESULT.SERVICE_FORBIDDEN, 'Service is disabled or not allowed for this agent');
  if (service.currency !== agent.currency) {
    return refuse(RESULT.SERVICE_FORBIDDEN, `Service is paid in ${service.currency}, the agent's contract is in ${agent.currency}`);
  }
  const bad = invalidInput(service, inputValues(request.account, request.extras));
  if (bad) return refuse(RESULT.BAD_ACCOUNT_FORMAT, `Invalid ${bad.name}: ${bad.title}`);
  return validateAmounts(service, request.amountToMinor, request.amountFromMinor);
}

export function validateAmounts(service: Service, amountToMinor: bigint | undefined, amountFromMinor: bigint | undefined): Verdict {
  if (amountToMinor === undefined) return OK;
  if (amountToMinor < service.minMinor) return refuse(RESULT.AMOUNT_TOO_SMALL, 'Amount is below the service minimum');
  if (amountToMinor > service.maxMinor) return refuse(RESULT.AMOUNT_TOO_LARGE, 'Amount is above the service maximum');
  if (amountFromMinor !== undefined && !feeAllowed(service.feeRule, amountToMinor, amountFromMinor - amountToMinor)) {
    return refuse(RESULT.FEE_NOT_ALLOWED, 'amountFrom − amountTo is not an allowed fee for this service');
  }
  return OK;
}

/** The amount a fixed-payment provider named at check (`displays.fixedAmount`), if it named a valid one. */
export function fixedAmountOf(checkData: ProviderCheckData | undefined): bigint | undefined {
  const text = checkData?.displays?.['fixedAmount'];
  const parsed = text === undefined ? undefined : parseAmount(text.trim(), 2);
  return parsed?.ok ? parsed.minor : undefined;
}

/**
 * Whether a pay must ask the provider (a check with the pay's amount) before it is accepted, because the stored check
 * does not tell what the rules need: a fixed payment whose fixed amount is unknown (no check, or a failed one), or a
 * conversion quoted for another amount than the one paid (a check may carry no amount: its finalAmount is then 0).
 */
export function quoteNeeded(service: Service, checkData: ProviderCheckData | undefined, quotedMinor: bigint | null, amountToMinor: bigint): boolean {
  if (service.fixedPayment && fixedAmountOf(checkData) === undefined) return true;
  return checkData?.conversion !== undefined && quotedMinor !== amountToMinor;
}

/**
 * A fixed payment is the amount its provider named, exactly. Another one is refused with 241 or 242 (final): the
 * one allowed amount is both the minimum and the maximum, and the code tells the agent which way it is wrong.
 */
export function validateFixedAmount(service: Service, amountToMinor: bigint, checkData: ProviderCheckData | undefined): Verdict {
  if (!service.fixedPayment) return OK;
  const fixed = fixedAmountOf(checkData);
  if (fixed === undefined) return refuse(RESULT.OTHER_ERROR, 'The provider named no fixed amount for this fixed-payment service');
  if (amountToMinor === fixed) return OK;
  const message = `amountTo must be the fixed amount ${formatAmount(fixed)} named by the provider`;
  return refuse(amountToMinor < fixed ? RESULT.AMOUNT_TOO_SMALL : RESULT.AMOUNT_TOO_LARGE, message);
}

/** Scheme-specific rules of a pay: the fixed amount, the chosen contract, the invoice lines and their sum. */
export function validatePayShape(
  service: Service,
  request: { amountToMinor: bigint; extras: Record<string, string>; extraServices?: ExtraServiceLine[] },
  checkData: ProviderCheckData | undefined,
): Verdict {
  const fixed = validateFixedAmount(service, request.amountToMinor, checkData);
  if (!fixed.ok) return fixed;
  switch (service.type) {
    case 0:
      return request.extraServices ? refuse(RESULT.BAD_REQUEST, 'extraServices are only for complex (type 1) services') : OK;
    case 2:
      return validateContractChoice(request.extras, checkData);
    case 1:
      return validateInvoiceLines(request.amountToMinor, request.extraServices, checkData);
  }
}

function validateContractChoice(extras: Record<string, string>, checkData: ProviderCheckData | undefined): Verdict {
  const contractId = extras.contractId;
  if (!contractId) return refuse(RESULT.BAD_REQUEST, 'extras.contractId is required for a service with choice');
  if (checkData?.contracts && !checkData.contracts.some((contract) => contract.contractId === contractId)) {
    return refuse(RESULT.BAD_REQUEST, 'contractId is not one of the contracts returned by check');
  }
  return OK;
}

function validateInvoiceLines(amountToMinor: bigint, lines: ExtraServiceLine[] | undefined, checkData: ProviderCheckData | undefined): Verdict {
  if (!lines || lines.length === 0) return refuse(RESULT.BAD_REQUEST, 'extraServices are required for a complex (type 1) service');
  const seen = new Set<string>();
  let sum = 0n;
  for (const line of lines) {
    if (seen.has(line.subServiceId)) return refuse(RESULT.BAD_REQUEST, `subServiceId ${line.subServiceId} is listed twice`);
    seen.add(line.subServiceId);
    sum += line.amountMinor;
  }
  if (sum !== amountToMinor) return refuse(RESULT.BAD_REQUEST, 'The sum of extraServices amounts must equal amountTo');
  const invoiceLines = checkData?.invoices?.flatMap((invoice) => invoice.services);
  if (!invoiceLines) return OK;
  for (const line of lines) {
    const invoiceLine = invoiceLines.find((candidate) => candidate.subServiceId === line.subServiceId);
    if (!invoiceLine) return refuse(RESULT.BAD_REQUEST, `subServiceId ${line.subServiceId} is not in the invoice`);
    const verdict = validateMeter(line, invoiceLine.data.isMeter === true, invoiceLine.data.prevCount);
    if (!verdict.ok) return verdict;
  }
  return OK;
}

function validateMeter(line: ExtraServiceLine, isMeter: boolean, prevCount: string | undefined): Verdict {
  if (line.lastCount === undefined) return OK;
  if (!isMeter) return refuse(RESULT.BAD_REQUEST, `subServiceId ${line.subServiceId} has no meter`);
  const last = parseAmount(line.lastCount, 6, { allowZero: true });
  if (!last.ok) return refuse(RESULT.BAD_REQUEST, `lastCount of ${line.subServiceId} is not a meter reading`);
  const previous = prevCount === undefined ? undefined : parseAmount(prevCount, 6, { allowZero: true });
  if (previous?.ok && last.minor < previous.minor) {
    return refuse(RESULT.BAD_REQUEST, `lastCount of ${line.subServiceId} is below the previous reading`);
  }
  return OK;
}
