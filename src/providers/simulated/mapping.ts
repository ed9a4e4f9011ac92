import { RESULT, type ResultCode } from '../../domain/result-codes.ts';
import { formatAmount } from '../../domain/money.ts';
import type { ProviderCancelResult, ProviderCheckRequest, ProviderCheckResult, ProviderPayRequest, ProviderStatusResult } from '../../engine/ports.ts';
import type { SandboxCancelResponse, SandboxCheckRequest, SandboxCheckResponse, SandboxErrorCode, SandboxPayRequest, SandboxPayResponse } from './codec.ts';

/** Every sandbox error has an agent-API code; a new one breaks the build until it is mapped here. */
export const SANDBOX_ERROR_TO_RESULT = {
  BAD_ACCOUNT: RESULT.BAD_ACCOUNT_FORMAT,
  ACCOUNT_NOT_FOUND: RESULT.ACCOUNT_NOT_FOUND,
  FORBIDDEN: RESULT.FORBIDDEN_BY_PROVIDER,
  TECHNICAL: RESULT.FORBIDDEN_TECHNICAL,
  AMOUNT_TOO_SMALL: RESULT.AMOUNT_TOO_SMALL,
  AMOUNT_TOO_LARGE: RESULT.AMOUNT_TOO_LARGE,
  BAD_REQUEST: RESULT.BAD_REQUEST,
  REJECTED: RESULT.OTHER_ERROR,
} as const satisfies Record<SandboxErrorCode, ResultCode>;

export function toSandboxCheck(request: ProviderCheckRequest): SandboxCheckRequest {
  return {
    account: request.account,
    extras: request.extras,
    currency: request.service.currency,
    ...(request.amountMinor !== undefined ? { amount: formatAmount(request.amountMinor) } : {}),
  };
}

export function toSandboxPay(request: ProviderPayRequest): SandboxPayRequest {
  return {
    ...toSandboxCheck(request),
    reference: request.transactionId.toString(),
    amount: formatAmount(request.amountMinor),
    ...(request.extraServices
      ? { lines: request.extraServices.map((line) => ({ subServiceId: line.subServiceId, amount: formatAmount(line.amountMinor), ...(line.lastCount !== undefined ? { lastCount: line.lastCount } : {}) })) }
      : {}),
  };
}

export function fromSandboxCheck(response: SandboxCheckResponse): ProviderCheckResult {
  if (response.status === 'error') return { kind: 'declined', code: SANDBOX_ERROR_TO_RESULT[response.code], message: response.message };
  const { status: _status, ...data } = response;
  return { kind: 'ok', data };
}

export function fromSandboxPay(response: SandboxPayResponse): ProviderStatusResult {
  switch (response.status) {
    case 'paid':
      return { kind: 'paid', providerRef: response.providerRef };
    case 'processing':
      return { kind: 'pending', reason: 'provider is processing' };
    case 'error':
      return { kind: 'declined', code: SANDBOX_ERROR_TO_RESULT[response.code], message: response.message };
    case 'not_found':
      return { kind: 'not_found' };
    case 'cancelled':
      // Paid, then reversed at the provider: the engine completes a cancellation whose answer it never recorded.
      return { kind: 'cancelled' };
  }
}

export function fromSandboxCancel(response: SandboxCancelResponse): ProviderCancelResult {
  return response.status === 'cancelled'
    ? { kind: 'cancelled' }
    : { kind: 'refused', code: SANDBOX_ERROR_TO_RESULT[response.code], message: response.message };
}
