import { formatAmount } from '../../domain/money.ts';
import type { SimulatorPage } from '../pages.ts';
import type { WalletPayment } from './simulator.ts';

/** The data of Elsom's OTP page; the markup is in views/*.eta (auto-escaped). */

const VIEWS = 'elsom-merchant/views';
const TITLE = 'Элсом';

/** The OTP page; its forms post here and end in a redirect to `returnUrl`, which the CSP must let through. */
export function otpPage(payment: WalletPayment, returnUrl: string, problem?: string): SimulatorPage {
  return {
    view: `${VIEWS}/otp`, title: TITLE, formTargets: [returnUrl],
    data: { amount: formatAmount(payment.amountMinor), partnerTrnId: payment.partnerTrnId, problem },
  };
}

export function finishedPage(payment: WalletPayment): SimulatorPage {
  return { view: `${VIEWS}/finished`, title: TITLE, data: { partnerTrnId: payment.partnerTrnId, message: payment.message } };
}

export function notFoundPage(): SimulatorPage {
  return { view: `${VIEWS}/not-found`, title: TITLE };
}
