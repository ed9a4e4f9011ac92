import { describe, expect, it } from 'vitest';
import { ElsomAcquirer } from '../../../src/acquiring/elsom-merchant/index.ts';

const acquirer = new ElsomAcquirer({
  baseUrl: 'https://elsom.example', tenantId: '1', merchantWallet: '0555000100', partnerCode: '00609', password: 'p',
  statusPath: '/s/{tenant-id}', timeoutMs: 1_000, currencies: ['KGS'], callbackAllow: ['10.20.0.0/16', '::1'],
});

describe('Elsom merchant acquirer mapping', () => {
  it('allows callbacks only from the configured addresses (IPv4-mapped IPv6 included)', () => {
    expect(acquirer.callerAllowed('10.20.3.4')).toBe(true);
    expect(acquirer.callerAllowed('::ffff:10.20.3.4')).toBe(true);
    expect(acquirer.callerAllowed('::1')).toBe(true);
    expect(acquirer.callerAllowed('10.21.0.1')).toBe(false);
    expect(acquirer.callerAllowed('127.0.0.1')).toBe(false);
    expect(acquirer.callerAllowed('not-an-ip')).toBe(false);
  });

  it('reads a callback as a hint, with an unexpected Amount passed on for comparison', () => {
    const body = '{"PartnerPaymentResult":{"CultureInfo":"ru-Ru","MSISDN":"0555150155","PartnerTrnID":"123456","PSPTTrnID":"PSP123456","PaymentStatus":"A","Amount":"10.00"}}';
    expect(acquirer.readCallback(body)).toEqual({ kind: 'hint', partnerTrnId: '123456', pspTrnId: 'PSP123456', status: 'A', amountText: '10.00' });
    expect(acquirer.readCallback('{"PartnerPaymentResult":{}}').kind).toBe('malformed');
    expect(acquirer.readCallback('not json').kind).toBe('malformed');
  });
});
