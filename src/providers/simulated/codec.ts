import { z } from 'zod';

/**
 * The wire messages of Tolem's sandbox providers (a small JSON protocol of our own, spoken by the simulated mobile
 * operator, shop, bank, international top-up and utility). Amounts are exact decimal strings.
 */
const money = z.string().regex(/^-?\d{1,15}(\.\d{1,10})?$/);

export const SANDBOX_ERROR_CODES = ['BAD_ACCOUNT', 'ACCOUNT_NOT_FOUND', 'FORBIDDEN', 'TECHNICAL', 'AMOUNT_TOO_SMALL', 'AMOUNT_TOO_LARGE', 'BAD_REQUEST', 'REJECTED'] as const;
export type SandboxErrorCode = (typeof SANDBOX_ERROR_CODES)[number];

const contract = z.object({
  contractId: z.string(), name: z.string().optional(), contractNumber: z.string().optional(),
  contractSum: money.optional(), contractDate: z.string().optional(),
});

const invoiceLine = z.object({
  subServiceId: z.string(),
  subServiceName: z.string(),
  data: z.object({
    paySum: money.optional(), tariff: money.optional(), minSum: money.optional(), maxSum: money.optional(),
    debtInfo: z.string().optional(), isMeter: z.boolean().optional(), prevCount: z.string().optional(),
    lastCount: z.string().optional(), si: z.string().optional(), comment: z.string().optional(),
  }),
});

const invoice = z.object({
  invoiceId: z.string().optional(), formedDate: z.string().optional(), expireDate: z.string().optional(),
  clientName: z.string().optional(), clientAddress: z.string().optional(), services: z.array(invoiceLine),
});

export const sandboxCheckRequest = z.object({
  account: z.string().max(200),
  extras: z.record(z.string(), z.string()).default({}),
  amount: money.optional(),
  currency: z.string().length(3),
});
export type SandboxCheckRequest = z.infer<typeof sandboxCheckRequest>;

export const sandboxCheckResponse = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('ok'),
    displays: z.record(z.string(), z.string()).optional(),
    contracts: z.array(contract).optional(),
    invoices: z.array(invoice).optional(),
    conversion: z.object({ currencyRate: z.string(), rate: z.string(), finalAmount: money, currency: z.string() }).optional(),
  }),
  z.object({ status: z.literal('error'), code: z.enum(SANDBOX_ERROR_CODES), message: z.string() }),
]);
export type SandboxCheckResponse = z.infer<typeof sandboxCheckResponse>;

export const sandboxPayRequest = sandboxCheckRequest.extend({
  reference: z.string().regex(/^\d{1,18}$/),
  amount: money,
  lines: z.array(z.object({ subServiceId: z.string(), amount: money, lastCount: z.string().optional() })).optional(),
});
export type SandboxPayRequest = z.infer<typeof sandboxPayRequest>;

export const sandboxStatusRequest = z.object({ reference: z.string().regex(/^\d{1,18}$/) });

export const sandboxPayResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('paid'), providerRef: z.string(), reference: z.string() }),
  z.object({ status: z.literal('processing'), reference: z.string() }),
  z.object({ status: z.literal('error'), code: z.enum(SANDBOX_ERROR_CODES), message: z.string() }),
  z.object({ status: z.literal('not_found'), reference: z.string() }),
  z.object({ status: z.literal('cancelled'), reference: z.string() }),
]);
export type SandboxPayResponse = z.infer<typeof sandboxPayResponse>;

export const sandboxCancelResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('cancelled'), reference: z.string() }),
  z.object({ status: z.literal('error'), code: z.enum(SANDBOX_ERROR_CODES), message: z.string() }),
]);
export type SandboxCancelResponse = z.infer<typeof sandboxCancelResponse>;

/**
 * The registry of a business day (GET …/registry?day=YYYY-MM-DD): CSV (RFC 4180, UTF-8, CRLF), a header line, then one
 * line per payment the provider holds as paid, in these columns. Streamed: a day of a million lines is never one
 * string on either side.
 */
export const SANDBOX_REGISTRY_COLUMNS = ['reference', 'provider_ref', 'amount', 'account', 'paid_at'] as const;

export const sandboxRegistryQuery = z.object({
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'day must be YYYY-MM-DD')
    .refine((day) => { const at = Date.parse(`${day}T00:00:00Z`); return !Number.isNaN(at) && new Date(at).toISOString().slice(0, 10) === day; }, 'day is not a date'),
}).strict();
