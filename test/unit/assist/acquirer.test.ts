import { describe, expect, it } from 'vitest';
import { AssistAcquirer } from '../../../src/acquiring/assist/index.ts';
import { ORDER_OUTCOME } from '../../../src/engine/checkout.ts';

const acquirer = new AssistAcquirer({
  baseUrl: 'https://assist.example', merchantId: '700001', login: 'tolem_login', password: 'Password1', publicKeyPem: '',
  digest: 'md5', format: 'json', timeoutMs: 1_000, currencies: ['KZT'],
});

describe('Assist acquirer mapping', () => {
  it('builds the two-stage order form: OrderNumber = transactionId, Delay=1, return URLs, RU for kk/ky pages', () => {
    const form = acquirer.authorisationForm({
      orderNumber: '100000000000000123', amountMinor: 23_740n, currency: 'KZT', pageLanguage: 'kk', comment: 'P1011 7011234567',
      returnOkUrl: 'https://pay.tolem.kz/pay/return/t/ok', returnNoUrl: 'https://pay.tolem.kz/pay/return/t/no',
    });
    expect(form.action).toBe('https://assist.example/pay/order.cfm');
    expect(form.fields).toEqual([
      ['Merchant_ID', '700001'], ['OrderNumber', '100000000000000123'], ['OrderAmount', '237.40'], ['OrderCurrency', 'KZT'],
      ['Delay', '1'], ['Language', 'RU'], ['OrderComment', 'P1011 7011234567'],
      ['URL_RETURN_OK', 'https://pay.tolem.kz/pay/return/t/ok'], ['URL_RETURN_NO', 'https://pay.tolem.kz/pay/return/t/no'],
      ['CardPayment', '1'], ['WMPayment', '0'], ['YMPayment', '0'],
    ]);
    expect(acquirer.origin).toBe('https://assist.example');
  });

  it('tells the person "paid" only once the provider is paid, and never for a state without money', () => {
    expect(ORDER_OUTCOME.authorised).toBe('waiting');
    expect(ORDER_OUTCOME.charging).toBe('paid');
    expect(ORDER_OUTCOME.releasing).toBe('refused_released');
    expect(ORDER_OUTCOME.redirected).toBe('waiting');
  });
});
