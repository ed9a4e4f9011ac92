/** Elsom biller codec — The typed messages of the protocol (requests, responses, payment-list rows) and the results of decoding them. */
import { type LocalDateTime } from '../../../domain/local-date-time.ts';
import type { Failed, Failure } from '../../../domain/result.ts';
import { type ElsomRequestType, type ElsomResultCode, type ElsomStatusId } from './tables.ts';

/** A wall-clock date and time in Elsom's zone, as written on the wire (no offset); only ServerTime has milliseconds. */
export type ElsomLocalDateTime = LocalDateTime;

/** `<extra name="…">value</extra>` not named by the spec's tables, kept in document order. */
export interface ElsomExtra {
  readonly name: string;
  readonly value: string;
}

/** Fields every request carries. */
interface ElsomRequestBase {
  /** protocol-version, O, Varchar(5). */
  readonly protocolVersion?: string;
  /** terminal-id, M, Number(10): the agent (digits, kept as text). */
  readonly terminalId: string;
  /** extra login, M, Varchar(100). */
  readonly login: string;
  /** extra password-md5, M, Varchar(100): hex MD5 of the password, any case (the spec's examples mask it). */
  readonly passwordMd5: string;
  /** extra client-software, O, Varchar(100) (tables 2.1, 2.2; accepted on every type). */
  readonly clientSoftware?: string;
  /** Any other `<extra>`, in document order. */
  readonly extras: readonly ElsomExtra[];
}

/** `<from><amount currency-code>` — the amount taken from the wallet. */
export interface ElsomFrom {
  /** from-amount, M: exact, in tyiyn (scale 2). */
  readonly amountMinor: bigint;
  /** from-amount-currency-code, O, Number(10). */
  readonly currencyCode?: number;
}

/** `<to>` of AUTHORIZE / PAYMENT requests. */
export interface ElsomRequestTo {
  /** to-service-id, M, Varchar(100). */
  readonly serviceId: string;
  /** to-account-number, M, Varchar(100). */
  readonly accountNumber: string;
  /** to-amount, M: exact, in tyiyn. */
  readonly amountMinor: bigint;
  /** to-amount-currency-code, M, Number(10) (417 = KGS). */
  readonly currencyCode: number;
}

export interface ElsomReceipt {
  /** receipt-datetime, M, ГГГГММДДччммсс. */
  readonly datetime: ElsomLocalDateTime;
  /** receipt-receipt-number, M, Varchar(100). */
  readonly receiptNumber: string;
}

export interface ElsomTransferFields {
  /** transaction-number, M, Varchar(30): Elsom's id, up to 18+ digits with a leading zero — always text. */
  readonly transactionNumber: string;
  readonly from: ElsomFrom;
  readonly to: ElsomRequestTo;
  readonly receipt: ElsomReceipt;
}

/** request-type 1 (2.1). */
export interface ElsomAuthorizeRequest extends ElsomRequestBase, ElsomTransferFields {
  readonly requestType: 1;
  /** extra update_condition, O, Varchar(20). */
  readonly updateCondition?: string;
}

/** request-type 2 (2.2). */
export interface ElsomPaymentRequest extends ElsomRequestBase, ElsomTransferFields {
  readonly requestType: 2;
}

/** request-type 3 (2.3). */
export interface ElsomCancelPaymentRequest extends ElsomRequestBase {
  readonly requestType: 3;
  /** service-id, M, Varchar(30). */
  readonly serviceId: string;
  /** transaction-number, M, Varchar(30). */
  readonly transactionNumber: string;
}

/** request-type 4 (2.4). */
export interface ElsomPaymentListRequest extends ElsomRequestBase {
  readonly requestType: 4;
  /** service-id, M, Varchar(30). */
  readonly serviceId: string;
  /** datetime-from, M, ГГГГММДДччммсс. */
  readonly datetimeFrom: ElsomLocalDateTime;
  /** datetime-to, M, ГГГГММДДччммсс. */
  readonly datetimeTo: ElsomLocalDateTime;
}

export type ElsomRequest =
  | ElsomAuthorizeRequest
  | ElsomPaymentRequest
  | ElsomCancelPaymentRequest
  | ElsomPaymentListRequest;

/** `<to>` of AUTHORIZE / PAYMENT responses: to-service-id, to-amount, to-account-number (all M on success). */
export interface ElsomResponseToDetails {
  readonly serviceId?: string;
  readonly amountMinor?: bigint;
  readonly accountNumber?: string;
}

/** The spec's 2.2.2 example writes `<to>1</to>`; kept representable so that example decodes. Tolem never sends it. */
export interface ElsomResponseToText {
  readonly text: string;
}

export type ElsomResponseTo = ElsomResponseToDetails | ElsomResponseToText;

/** One `<row>` of the PAYMENT_LIST registry (2.4.2). */
export interface ElsomPaymentListRow {
  readonly transactionNumber: string;
  /** datetime, ДД.ММ.ГГГГ чч:мм:сс. */
  readonly datetime: ElsomLocalDateTime;
  readonly accountNumber: string;
  /** amount, written `10.00`. */
  readonly amountMinor: bigint;
}

/**
 * Any response, all four tables in one shape, elements in the order the spec's examples show them.
 * The tables mark most elements M, but a refusal cannot always fill them (a 202 for an unreadable body knows no
 * request-type; an AUTHORIZE refused for an unknown account has no txn-id), and the spec's own 2.2.2 example omits
 * txn-id; so only protocol-version and result-code are required here and mapping fills the rest per request type.
 */
export interface ElsomResponse {
  readonly protocolVersion: string;
  /** configuration-id, O, Numeric(20) (2.2.2). */
  readonly configurationId?: string;
  /** Absent only when the request's type could not be read. */
  readonly requestType?: ElsomRequestType;
  readonly terminalId?: string;
  readonly resultCode: ElsomResultCode;
  /** operator-id, Numeric(6). */
  readonly operatorId?: string;
  /** extra REMOTE_ADDR. */
  readonly remoteAddr?: string;
  /** extra serial. */
  readonly serial?: string;
  /** extra BALANCE: the agent's balance, may be negative. */
  readonly balanceMinor?: bigint;
  /** extra OVERDRAFT. */
  readonly overdraftMinor?: bigint;
  /** extra disp1: the account holder's name (AUTHORIZE; Varchar(20) in the table). */
  readonly disp1?: string;
  /** extra user_name (2.2.2; replaced by disp1 in AUTHORIZE since spec 1.5). */
  readonly userName?: string;
  /** extra ServerTime, `2015-08-04T00:00:47.467`. */
  readonly serverTime?: ElsomLocalDateTime;
  /** Other extras, written after ServerTime in this order. */
  readonly extras?: readonly ElsomExtra[];
  readonly statusId?: ElsomStatusId;
  readonly transactionNumber?: string;
  /** txn-id: our transaction id, text. */
  readonly txnId?: string;
  readonly to?: ElsomResponseTo;
  /** PAYMENT_LIST registry. */
  readonly rows?: readonly ElsomPaymentListRow[];
}

export type ElsomCharset = 'windows-1251' | 'utf-8';
export type ElsomCharsetSource = 'bom' | 'declaration' | 'content-type' | 'default';

export type ElsomDecodeReason =
  | 'body_too_large'
  | 'unsupported_charset'
  | 'undecodable_bytes'
  | 'doctype_forbidden'
  | 'entity_forbidden'
  | 'malformed_xml'
  | 'unexpected_root'
  | 'unknown_request_type'
  | 'missing_field'
  | 'duplicate_field'
  | 'invalid_field'
  | 'invalid_amount';

/** What could be read of a refused request, for echoing in the refusal. */
export interface ElsomRequestEcho {
  readonly protocolVersion?: string;
  readonly requestType?: ElsomRequestType;
  readonly terminalId?: string;
  readonly transactionNumber?: string;
}

/** Why a document was refused (src/domain/result.ts), with the result code the refusal answers with. */
export interface ElsomDecodeFailure extends Failure<ElsomDecodeReason> {
  readonly resultCode: ElsomResultCode;
}

/** A refused request also carries what could be read of it, to echo in the refusal. */
export interface ElsomRequestFailure extends ElsomDecodeFailure {
  readonly echo: ElsomRequestEcho;
}

export type ElsomRequestDecodeResult =
  | { readonly ok: true; readonly request: ElsomRequest; readonly charset: ElsomCharset }
  | Failed<ElsomRequestFailure>;

export type ElsomResponseDecodeResult =
  | { readonly ok: true; readonly response: ElsomResponse; readonly charset: ElsomCharset }
  | Failed<ElsomDecodeFailure>;

export interface ElsomDecodeOptions {
  /** Refuse bodies longer than this many bytes (default 64 KiB). */
  readonly maxBytes?: number;
}
