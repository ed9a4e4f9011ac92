import { formatAmount } from '../../domain/money.ts';
import { webOrigin, type SimulatorPage } from '../pages.ts';
import { TEST_CARDS, type SimOrder } from './simulator.ts';

/**
 * The data of Assist's payment pages; the markup is in views/*.eta (auto-escaped). The pages whose forms end in a
 * redirect to the shop name the shop's return URLs as form targets, so the CSP lets that redirect through.
 */

const VIEWS = 'assist/views';

const returnUrls = (order: SimOrder) => [order.returnOk, order.returnNo];

export function cardFormPage(order: SimOrder, problem?: string): SimulatorPage {
  return {
    view: `${VIEWS}/card-form`, title: 'Assist — оплата картой', formTargets: returnUrls(order),
    data: { orderNumber: order.orderNumber, amount: formatAmount(order.amountMinor), currency: order.currency, session: order.session, problem, cards: TEST_CARDS },
  };
}

export function threeDsPage(order: SimOrder): SimulatorPage {
  return {
    view: `${VIEWS}/three-ds`, title: '3-D Secure', formTargets: returnUrls(order),
    data: { amount: formatAmount(order.amountMinor), currency: order.currency, session: order.session },
  };
}

/** An order already processed: no second payment, a link back (only to a web address, never a `javascript:` one). */
export function processedPage(order: SimOrder, back: string | undefined): SimulatorPage {
  return {
    view: `${VIEWS}/processed`, title: 'Assist',
    data: { orderNumber: order.orderNumber, state: order.state, back: webOrigin(back) ? back : undefined },
  };
}

/** The lost return: the person stays on Assist's page and never gets back to the shop. */
export function donePage(order: SimOrder, ok: boolean): SimulatorPage {
  return {
    view: `${VIEWS}/done`, title: 'Assist',
    data: { heading: ok ? 'Оплата принята' : 'Оплата не выполнена', orderNumber: order.orderNumber, state: order.state },
  };
}

export function refusedPage(heading: string, detail?: string): SimulatorPage {
  return { view: `${VIEWS}/refused`, title: 'Assist', data: { heading, detail } };
}
