import { canonicalJson } from './canonical.ts';

/**
 * Which fields of a repeated request differ from the stored one, so that a 215 (or 202) says what the agent changed —
 * as TigerBeetle's `exists_with_different_amount` does — instead of only "this id exists". The request digest stays
 * the fast path; this comparison runs only once the digests differ.
 *
 * Fields are named as the agent API writes them (the engine's messages use its vocabulary); other gateways translate
 * them with a table of their own (Elsom: `to/amount`, …).
 */
export const REQUEST_FIELDS = [
  'serviceId', 'account', 'amountTo', 'amountFrom', 'agentTransactionDate', 'extras', 'extraServices', 'identityCard', 'fullName',
] as const;
export type RequestField = (typeof REQUEST_FIELDS)[number];

type FieldValues = Record<RequestField, unknown>;

/** The request fields of a check or pay command (structurally; commands live in payments.ts). */
export interface RequestLike {
  serviceId: string;
  account: string;
  amountToMinor?: bigint;
  amountFromMinor?: bigint;
  agentTxnDate?: string;
  extras: Record<string, string>;
  extraServices?: { subServiceId: string; amountMinor: bigint; lastCount?: string }[];
  identity?: { identityCard?: string; fullName?: string };
}

/** What a payment row keeps of the request that made it (extraServices amounts as decimal text). */
export interface StoredRequestLike {
  service_id: string;
  account: string;
  amount_to_minor: bigint | null;
  amount_from_minor: bigint | null;
  agent_txn_date: string | null;
  request: {
    extras: Record<string, string>;
    extraServices?: { subServiceId: string; amountMinor: string; lastCount?: string }[];
    identity?: { identityCard?: string; fullName?: string };
  };
}

function requestValues(request: RequestLike, storedDate: string | null): FieldValues {
  return {
    serviceId: request.serviceId,
    account: request.account,
    amountTo: request.amountToMinor,
    amountFrom: request.amountFromMinor,
    // A pay that names no date keeps its check's (Elsom sends none): the absence is not a difference.
    agentTransactionDate: request.agentTxnDate ?? storedDate ?? undefined,
    extras: request.extras,
    // canonicalJson writes a bigint as decimal text, the form the row keeps.
    extraServices: request.extraServices,
    identityCard: request.identity?.identityCard,
    fullName: request.identity?.fullName,
  };
}

function storedValues(row: StoredRequestLike): FieldValues {
  return {
    serviceId: row.service_id,
    account: row.account,
    amountTo: row.amount_to_minor ?? undefined,
    amountFrom: row.amount_from_minor ?? undefined,
    agentTransactionDate: row.agent_txn_date ?? undefined,
    extras: row.request.extras,
    extraServices: row.request.extraServices,
    identityCard: row.request.identity?.identityCard,
    fullName: row.request.identity?.fullName,
  };
}

/** The fields of `request` that differ from the stored row, in the order of REQUEST_FIELDS. */
export function differingFields(row: StoredRequestLike, request: RequestLike): RequestField[] {
  const stored = storedValues(row);
  const asked = requestValues(request, row.agent_txn_date);
  return REQUEST_FIELDS.filter((field) => canonicalJson(stored[field]) !== canonicalJson(asked[field]));
}

/** `amountTo differs from the stored payment`; `serviceId, account differ from …`. */
export function differenceMessage(fields: readonly string[], against: string): string {
  return `${fields.join(', ')} ${fields.length === 1 ? 'differs' : 'differ'} from ${against}`;
}
