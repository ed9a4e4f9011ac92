/**
 * The complex (type 1) scheme end to end: agent API → engine → Alseco adapter → SOAP over HTTP → Alseco simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentApi, expectLedgerBalanced, newAgent, num, startTolem, type Harness } from '../helpers/harness.ts';
import { alsecoAdmin, alsecoBody, nextTxnId, typed, type Line } from '../helpers/alseco.ts';

let h: Harness;
let api: ReturnType<typeof agentApi>;
let admin: ReturnType<typeof alsecoAdmin>;
let period: string;

beforeAll(async () => {
  h = await startTolem();
  const agent = await newAgent(h.db);
  api = agentApi(h.url, agent.token);
  admin = alsecoAdmin(h.url);
  period = (await admin.clock(null)).period;
});
afterAll(async () => h?.close());

type Service = { subServiceId: string; subServiceName: string; data: Record<string, unknown> };
type AgentInvoice = { invoiceId: string; formedDate: string; expireDate: string; clientName: string; clientAddress: string; services: Service[] };

async function check(account: string, extras?: Record<string, string>) {
  const id = nextTxnId();
  const answer = await api('check', alsecoBody({ account, id, ...(extras ? { extras } : {}) }));
  const invoices = ((answer.body.invoice as { invoices?: AgentInvoice[] } | undefined)?.invoices ?? []);
  return { id, answer, result: num(answer.body.result), invoices };
}

const yymm = () => `${period.slice(2, 4)}${period.slice(5, 7)}`;

describe('check: the invoice object', () => {
  it('maps every invoice field the agent spec lists from Alseco\'s invoice (by account, leading zeros)', async () => {
    const { answer, result, invoices } = await check('0000100110');
    expect(answer.status).toBe(200);
    expect(result).toBe('0');
    expect(invoices).toHaveLength(1);
    const invoice = invoices[0]!;
    expect(Object.keys(invoice)).toEqual(['invoiceId', 'formedDate', 'expireDate', 'clientName', 'clientAddress', 'services']);
    expect(invoice.invoiceId).toBe(`${yymm()}01001101`);
    expect(invoice.formedDate).toBe(`${period.replace('-', '')}01100000`);
    expect(invoice.expireDate).toMatch(new RegExp(`^${period.replace('-', '')}(28|29|30|31)000000$`));
    expect(invoice.clientName).toBe('Иванов Иван Иванович');
    expect(invoice.clientAddress).toContain('г. Алматы');
    expect(invoice.services.map((s) => s.subServiceId)).toEqual(['13', '37', '2', '45']);
    for (const service of invoice.services) {
      expect(Object.keys(service.data)).toEqual(['paySum', 'tariff', 'minSum', 'maxSum', 'debtInfo', 'isMeter', 'prevCount', 'lastCount', 'si', 'comment']);
    }
    const power = invoice.services[0]!;
    expect(power.subServiceName).toBe('Электроэнергия');
    expect(num(power.data.tariff)).toBe('8.09');
    expect(power.data.isMeter).toBe(true);
    expect(power.data.prevCount).toBe('4870.00');
    expect(power.data.lastCount).toBe('5010.00');
    expect(num(power.data.paySum)).toBe('1132.60');
    expect(power.data.si).toBe('тг/кВт.ч');
    expect(power.data.debtInfo).toBe('долг 339.78');
    expect(num(power.data.minSum)).toBe('0.00');
    expect(num(power.data.maxSum)).toBe('0.00');
    expect(invoice.services[2]!.data.isMeter).toBe(false);
    expect(num(invoice.services[2]!.data.paySum)).toBe('9251.88');
  });

  it('maps InvoicesNotFormed / AccountNotFound / AccountIsDeleted / AccountIsMerged to agent codes 8 / 5 / 7 / 7', async () => {
    expect((await check('0000100113')).result).toBe('8');
    expect((await check('0000999999')).result).toBe('5');
    expect((await check('0000100114')).result).toBe('7');
    expect((await check('0000100115')).result).toBe('7');
    // An account that cannot be an Alseco Int32 id is not found without asking.
    expect((await check('9999999999')).result).toBe('5');
  });

  it('falls back to the previous period\'s invoice when the current one is not formed', async () => {
    const { result, invoices } = await check('0000100112');
    expect(result).toBe('0');
    const [year, month] = period.split('-').map(Number) as [number, number];
    const previous = month === 1 ? `${String(year - 1).slice(2)}12` : `${String(year).slice(2)}${String(month - 1).padStart(2, '0')}`;
    expect(invoices[0]!.invoiceId.slice(0, 4)).toBe(previous);
  });

  it('gives services that appear on two invoices of one account distinct subServiceIds', async () => {
    const { result, invoices } = await check('0000100111');
    expect(result).toBe('0');
    expect(invoices).toHaveLength(2);
    const ids = invoices.flatMap((i) => i.services.map((s) => s.subServiceId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(`${invoices[0]!.invoiceId}-13`);
    expect(ids).toContain(`${invoices[1]!.invoiceId}-13`);
  });

  it('accepts an invoice number typed with its check digit (stripped), and refuses another account\'s invoice', async () => {
    const invoiceId = `${yymm()}01001101`;
    const own = await check('0000100110', { invoice: typed(invoiceId) });
    expect(own.result).toBe('0');
    expect(own.invoices.map((i) => i.invoiceId)).toEqual([invoiceId]);
    const other = await check('0000100116', { invoice: typed(invoiceId) });
    expect(other.result).toBe('5');
    const garbage = await check('0000100110', { invoice: '12' });
    expect(garbage.result).toBe('4');
  });
});

describe('pay: the payment document', () => {
  it('pays extraServices as one PaymentDocument: SysRef = transactionId, PayCounts from the reading, every invoice service listed', async () => {
    const { id, invoices } = await check('0000100110');
    const lines: Line[] = [
      { subServiceId: '13', lastCount: '5100.5', amountMinor: 185_245n },
      { subServiceId: '2', amountMinor: 925_188n },
    ];
    const pay = await api('pay', alsecoBody({ account: '0000100110', id, lines }));
    expect(num(pay.body.result)).toBe('0');
    expect(pay.body.invoice).toBeDefined();
    const transactionId = num(pay.body.transactionId);
    const { payments } = await admin.payments();
    const mine = payments.filter((p) => p.sysRef === transactionId);
    expect(mine).toHaveLength(1);
    const paid = mine[0]!;
    expect(paid.accountId).toBe(100110);
    expect(paid.invoiceId).toBe(invoices[0]!.invoiceId);
    expect(paid.paySumMinor).toBe('1110433');
    expect(paid.parameters.map((p) => p.serviceId)).toEqual([13, 37, 2, 45]);
    expect(paid.parameters[0]).toEqual({ serviceId: 13, paySumMinor: '185245', payCounts: '230.500000', lastCounts: '5100.500000' });
    expect(paid.parameters[1]).toMatchObject({ serviceId: 37, paySumMinor: '0' });
    expect(paid.parameters[2]).toEqual({ serviceId: 2, paySumMinor: '925188', payCounts: '0', lastCounts: '0' });
    const row = await h.db.query<{ provider_ref: string; state: string }>(`SELECT provider_ref, state FROM payments WHERE id = $1`, [BigInt(transactionId)]);
    expect(row.rows[0]).toEqual({ state: 'succeeded', provider_ref: String(paid.paymentId) });
    await expectLedgerBalanced(h.db);
  });

  it('pays by invoice number (typed with its check digit) for the previous period\'s invoice', async () => {
    const first = await check('0000100112');
    const invoiceId = first.invoices[0]!.invoiceId;
    const { id } = await check('0000100112', { invoice: typed(invoiceId) });
    const pay = await api('pay', alsecoBody({ account: '0000100112', id, extras: { invoice: typed(invoiceId) }, lines: [{ subServiceId: '2', amountMinor: 50_000n }] }));
    expect(num(pay.body.result)).toBe('0');
    const { payments } = await admin.payments();
    expect(payments.find((p) => p.sysRef === num(pay.body.transactionId))?.invoiceId).toBe(invoiceId);
  });

  it('pays without a prior check: the adapter reads the invoice itself and applies the same rules', async () => {
    const id = nextTxnId();
    const pay = await api('pay', alsecoBody({ account: '0000100116', id, lines: [{ subServiceId: '45', amountMinor: 64_000n }] }));
    expect(num(pay.body.result)).toBe('0');
    const before = (await admin.payments()).stats.payCalls;
    const below = await api('pay', alsecoBody({ account: '0000100116', id: nextTxnId(), lines: [{ subServiceId: '36', lastCount: '1', amountMinor: 100n }] }));
    expect(num(below.body.result)).toBe('202');
    expect((await admin.payments()).stats.payCalls).toBe(before);
  });

  it('refuses with 202, before anything reaches Alseco: foreign services, wrong sums, readings below the previous ones, two invoices', async () => {
    const before = (await admin.payments()).stats.payCalls;
    const { id } = await check('0000100110');
    const foreign = await api('pay', alsecoBody({ account: '0000100110', id, lines: [{ subServiceId: '999', amountMinor: 100n }] }));
    expect(num(foreign.body.result)).toBe('202');
    const sum = await api('pay', alsecoBody({ account: '0000100110', id, amountMinor: 5_000n, lines: [{ subServiceId: '2', amountMinor: 100n }] }));
    expect(num(sum.body.result)).toBe('202');
    const below = await api('pay', alsecoBody({ account: '0000100110', id, lines: [{ subServiceId: '13', lastCount: '4000', amountMinor: 100n }] }));
    expect(num(below.body.result)).toBe('202');
    const noMeter = await api('pay', alsecoBody({ account: '0000100110', id, lines: [{ subServiceId: '2', lastCount: '10', amountMinor: 100n }] }));
    expect(num(noMeter.body.result)).toBe('202');
    const two = await check('0000100111');
    const span = two.invoices.map((i) => i.services[0]!.subServiceId);
    const spanning = await api('pay', alsecoBody({ account: '0000100111', id: two.id, lines: span.map((subServiceId) => ({ subServiceId, amountMinor: 100n })) }));
    expect(num(spanning.body.result)).toBe('202');
    expect((await admin.payments()).stats.payCalls).toBe(before);
    // The same transaction, corrected, is then paid once.
    const good = await api('pay', alsecoBody({ account: '0000100110', id, lines: [{ subServiceId: '45', amountMinor: 64_000n }] }));
    expect(num(good.body.result)).toBe('0');
    expect((await admin.payments()).stats.payCalls).toBe(before + 1);
    await expectLedgerBalanced(h.db);
  });

  it('a repeated pay answers the stored result and never pays Alseco twice', async () => {
    const { id } = await check('0000100117');
    const body = alsecoBody({ account: '0000100117', id, lines: [{ subServiceId: '45', amountMinor: 64_000n }] });
    const first = await api('pay', body);
    const again = await api('pay', body);
    expect(num(first.body.result)).toBe('0');
    expect(num(again.body.result)).toBe('0');
    const { payments } = await admin.payments();
    expect(payments.filter((p) => p.sysRef === num(first.body.transactionId))).toHaveLength(1);
  });
});
