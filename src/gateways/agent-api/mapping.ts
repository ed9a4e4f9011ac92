import { RESULT, defaultMessage, type ResultCode } from '../../domain/result-codes.ts';
import { formatAmount } from '../../domain/money.ts';
import { isoLocal } from '../../domain/time.ts';
import type { Service } from '../../domain/catalog.ts';
import type { Contract, Invoice, InvoiceServiceLine, ProviderCheckData } from '../../domain/payment.ts';
import type { AgentFunds } from '../../engine/agents.ts';
import type { CheckCommand, EngineAnswer, PayCommand, PaymentView } from '../../engine/payments.ts';
import { jsonDecimal, type CheckRequest, type PayRequest } from './codec.ts';

/** Agent API messages ⇄ engine calls. Pure: no I/O, no HTTP. */

export function toCheckCommand(request: CheckRequest): CheckCommand {
  const identity = request.identityCard !== undefined || request.fullName !== undefined
    ? { ...(request.identityCard !== undefined ? { identityCard: request.identityCard } : {}), ...(request.fullName !== undefined ? { fullName: request.fullName } : {}) }
    : undefined;
  return {
    serviceId: request.serviceId,
    account: request.account,
    agentTxnId: request.agentTransactionId,
    agentTxnDate: request.agentTransactionDate,
    extras: request.extras ?? {},
    ...(request.amountTo !== undefined ? { amountToMinor: request.amountTo } : {}),
    ...(request.amountFrom !== undefined ? { amountFromMinor: request.amountFrom } : {}),
    ...(identity ? { identity } : {}),
  };
}

export function toPayCommand(request: PayRequest): PayCommand {
  return {
    ...toCheckCommand(request),
    amountToMinor: request.amountTo,
    ...(request.extraServices
      ? { extraServices: request.extraServices.map((line) => ({ subServiceId: line.subServiceId, amountMinor: line.amount, ...(line.lastCount !== undefined ? { lastCount: line.lastCount } : {}) })) }
      : {}),
  };
}

export function resultOnly(code: ResultCode, message = defaultMessage(code)): Record<string, unknown> {
  return { result: code, resultMessage: message };
}

export function renderService(service: Service): Record<string, unknown> {
  return {
    serviceId: service.serviceId,
    type: service.type,
    name: service.name,
    ...(service.group !== null ? { group: service.group } : {}),
    fixedPayment: service.fixedPayment,
    ...(service.country !== null ? { country: service.country } : {}),
    inputs: service.inputs,
    ...(service.displays.length > 0 ? { displays: service.displays } : {}),
  };
}

/** The list answer. Tolem writes `services` in Latin letters (the spec's example has a Cyrillic "с": a typo). */
/**
 * `unavailableServices` is our extension (documented in the OpenAPI document): the serviceIds of the list whose
 * provider is down now, so that an agent stops taking cash for them. Present only when there are some; agents that
 * ignore unknown fields see the partner document's answer.
 */
export function renderServices(services: Service[], unavailable: string[] = []): Record<string, unknown> {
  return { result: RESULT.OK, resultMessage: 'OK', services: services.map(renderService), ...(unavailable.length > 0 ? { unavailableServices: unavailable } : {}) };
}

export function renderBalance(funds: AgentFunds): Record<string, unknown> {
  const { agent } = funds;
  return {
    result: RESULT.OK,
    resultMessage: 'Успешно',
    agent: {
      agentId: agent.id,
      agentName: agent.name,
      balance: jsonDecimal(formatAmount(funds.availableMinor)),
      overdraft: jsonDecimal(formatAmount(agent.overdraftMinor)),
      ...(agent.notificationMinor !== null ? { notification: jsonDecimal(formatAmount(agent.notificationMinor)) } : {}),
      currency: agent.currency,
    },
  };
}

/** A check or pay answer: the result, the ids, and whatever the provider returned to show or choose from. */
export function renderPaymentAnswer(answer: EngineAnswer, agentTxnId: bigint, options: { pay: boolean; offsetMinutes: number }): Record<string, unknown> {
  if (answer.kind === 'refused') return { result: answer.code, resultMessage: answer.message, agentTransactionId: agentTxnId };
  const payment = answer.payment;
  return {
    result: payment.code,
    resultMessage: payment.message,
    transactionId: payment.transactionId,
    ...(options.pay ? payDates(payment, options.offsetMinutes) : {}),
    agentTransactionId: payment.agentTxnId,
    ...(payment.data ? renderCheckData(payment.data) : {}),
  };
}

function payDates(payment: PaymentView, offsetMinutes: number): Record<string, string> {
  return {
    ...(payment.paidAt ? { transactionDate: isoLocal(payment.paidAt, offsetMinutes) } : {}),
    ...(payment.statusAt ? { statusDate: isoLocal(payment.statusAt, offsetMinutes) } : {}),
  };
}

export function renderCheckData(data: ProviderCheckData): Record<string, unknown> {
  return {
    ...(data.conversion
      ? {
          currencyRate: data.conversion.currencyRate,
          rate: jsonDecimal(data.conversion.rate),
          finalAmount: jsonDecimal(data.conversion.finalAmount),
          currency: data.conversion.currency,
        }
      : {}),
    ...(data.displays ? { displays: data.displays } : {}),
    ...(data.contracts ? { contracts: data.contracts.map(renderContract) } : {}),
    ...(data.invoices ? { invoice: { invoices: data.invoices.map(renderInvoice) } } : {}),
  };
}

/** Fields in the spec's order, absent ones left out. */
function ordered(source: object, keys: readonly string[]): Record<string, unknown> {
  const record = source as Record<string, unknown>;
  return Object.fromEntries(keys.filter((key) => record[key] !== undefined).map((key) => [key, record[key]]));
}

function renderContract(contract: Contract): Record<string, unknown> {
  return ordered(contract, ['name', 'contractId', 'contractNumber', 'contractSum', 'contractDate']);
}

function renderInvoice(invoice: Invoice): Record<string, unknown> {
  return { ...ordered(invoice, ['invoiceId', 'formedDate', 'expireDate', 'clientName', 'clientAddress']), services: invoice.services.map(renderInvoiceLine) };
}

/** Invoice sums are JSON numbers in the spec's example; readings and debt stay strings, as there. */
function renderInvoiceLine(line: InvoiceServiceLine): Record<string, unknown> {
  const { paySum, tariff, minSum, maxSum } = line.data;
  const decimal = (value: string | undefined) => (value === undefined ? undefined : jsonDecimal(value));
  const data = { ...line.data, paySum: decimal(paySum), tariff: decimal(tariff), minSum: decimal(minSum), maxSum: decimal(maxSum) };
  return {
    subServiceId: line.subServiceId,
    subServiceName: line.subServiceName,
    data: ordered(data, ['paySum', 'tariff', 'minSum', 'maxSum', 'debtInfo', 'isMeter', 'prevCount', 'lastCount', 'si', 'comment']),
  };
}
