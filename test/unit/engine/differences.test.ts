import { describe, expect, it } from 'vitest';
import { differenceMessage, differingFields, type StoredRequestLike } from '../../../src/engine/differences.ts';

const row: StoredRequestLike = {
  service_id: 'P0007', account: '3535444000', amount_to_minor: 128_500n, amount_from_minor: 128_500n, agent_txn_date: '2015-02-17T16:48:37',
  request: { extras: { account1: 'a' }, extraServices: [{ subServiceId: '36', amountMinor: '35980', lastCount: '4900' }, { subServiceId: '2', amountMinor: '92520' }] },
};
const same = {
  serviceId: 'P0007', account: '3535444000', amountToMinor: 128_500n, amountFromMinor: 128_500n, agentTxnDate: '2015-02-17T16:48:37',
  extras: { account1: 'a' }, extraServices: [{ subServiceId: '36', amountMinor: 35_980n, lastCount: '4900' }, { subServiceId: '2', amountMinor: 92_520n }],
};

describe('differingFields', () => {
  it('finds none for the stored request itself (bigint amounts against their stored text, keys in any order)', () => {
    expect(differingFields(row, same)).toEqual([]);
    expect(differingFields({ ...row, request: { ...row.request, extras: { b: '2', a: '1' } } }, { ...same, extras: { a: '1', b: '2' } })).toEqual([]);
  });

  it('names each field that differs, in the protocol\'s order and words', () => {
    expect(differingFields(row, { ...same, amountToMinor: 128_501n })).toEqual(['amountTo']);
    expect(differingFields(row, { ...same, account: 'x', serviceId: 'P1011', amountFromMinor: undefined })).toEqual(['serviceId', 'account', 'amountFrom']);
    expect(differingFields(row, { ...same, extraServices: [{ subServiceId: '36', amountMinor: 35_980n }] })).toEqual(['extraServices']);
    expect(differingFields(row, { ...same, identity: { fullName: 'Иванов' } })).toEqual(['fullName']);
  });

  it('does not count a missing date as a difference: a pay without one keeps its check\'s', () => {
    expect(differingFields(row, { ...same, agentTxnDate: undefined })).toEqual([]);
    expect(differingFields(row, { ...same, agentTxnDate: '2015-02-17T16:48:38' })).toEqual(['agentTransactionDate']);
  });
});

describe('differenceMessage', () => {
  it('agrees in number', () => {
    expect(differenceMessage(['amountTo'], 'the stored payment')).toBe('amountTo differs from the stored payment');
    expect(differenceMessage(['to/amount', 'from/amount'], 'the stored payment')).toBe('to/amount, from/amount differ from the stored payment');
  });
});
