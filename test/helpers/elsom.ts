import iconv from 'iconv-lite';
import type { Db } from '../../src/store/db.ts';
import { createAgent } from '../../src/engine/agents.ts';
import { createElsomTerminal } from '../../src/engine/terminals.ts';
import { decodeElsomResponse, md5Hex, type ElsomResponse } from '../../src/gateways/elsom-biller/codec/index.ts';

export const ELSOM_TERMINAL = '1839';
export const ELSOM_LOGIN = 'elsom-login';
export const ELSOM_PASSWORD = 'пароль-secret';

/** An agent in KGS configured as Elsom terminal 1839: 5132 → K1001 (MegaCom), 5133 → K2001 (whole soms only). */
export async function newElsomAgent(db: Db, options: { terminalId?: string; balanceMinor?: bigint; ipAllow?: string[]; services?: { elsomServiceId: string; serviceId: string; wholeAmounts?: boolean }[] } = {}) {
  const created = await createAgent(db, { name: 'Elsom', currency: 'KGS', openingBalanceMinor: options.balanceMinor ?? 100_000_000n, issueToken: false });
  await createElsomTerminal(db, {
    agentId: created.agent.id,
    terminalId: options.terminalId ?? ELSOM_TERMINAL,
    login: ELSOM_LOGIN,
    password: ELSOM_PASSWORD,
    ...(options.ipAllow ? { ipAllow: options.ipAllow } : {}),
    services: options.services ?? [
      { elsomServiceId: '5132', serviceId: 'K1001' },
      { elsomServiceId: '5133', serviceId: 'K2001', wholeAmounts: true },
    ],
  });
  return created.agent;
}

export interface ElsomHttpAnswer {
  status: number;
  contentType: string | null;
  bytes: Buffer;
  response: ElsomResponse;
}

/** POSTs raw bytes (or text, encoded as windows-1251) and decodes the answer strictly; throws if it is not a <response>. */
export async function postElsom(url: string, body: Buffer | string, contentType: string | undefined = 'text/xml'): Promise<ElsomHttpAnswer> {
  const bytes = typeof body === 'string' ? iconv.encode(body, 'windows-1251') : body;
  const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
  const answer = await fetch(url, { method: 'POST', headers, body: bytes });
  const out = Buffer.from(await answer.arrayBuffer());
  const decoded = decodeElsomResponse(out, answer.headers.get('content-type') ?? undefined);
  if (!decoded.ok) throw new Error(`not an Elsom response (${decoded.failure.kind}: ${decoded.failure.detail}): ${out.toString('latin1').slice(0, 300)}`);
  return { status: answer.status, contentType: answer.headers.get('content-type'), bytes: out, response: decoded.response };
}

export interface TransferXml {
  type?: 1 | 2;
  transactionNumber: string;
  serviceId?: string;
  account?: string;
  amount?: string;
  fromAmount?: string;
  currency?: string;
  login?: string;
  passwordMd5?: string;
  terminalId?: string;
  encoding?: string;
}

/** A request as Elsom writes it (text; encode it as you like). */
export function transferXml(fields: TransferXml): string {
  const amount = fields.amount ?? '10';
  const currency = fields.currency ?? '417';
  return `<?xml version="1.0" encoding="${fields.encoding ?? 'windows-1251'}" ?>
 <request>
  <protocol-version>4.00</protocol-version>
  <request-type>${fields.type ?? 1}</request-type>
  <terminal-id>${fields.terminalId ?? ELSOM_TERMINAL}</terminal-id>
  <extra name="login">${fields.login ?? ELSOM_LOGIN}</extra>
  <extra name="password-md5">${fields.passwordMd5 ?? md5Hex(ELSOM_PASSWORD)}</extra>
  <extra name="client-software">XML v1.9</extra>
  <transaction-number>${fields.transactionNumber}</transaction-number>
  <from>
   <amount currency-code="${currency}">${fields.fromAmount ?? amount}</amount>
  </from>
  <to>
   <service-id>${fields.serviceId ?? '5132'}</service-id>
   <account-number>${fields.account ?? '996701232200'}</account-number>
   <amount currency-code="${currency}">${amount}</amount>
  </to>
  <receipt>
   <datetime>20150804000113</datetime>
   <receipt-number>${fields.transactionNumber}</receipt-number>
  </receipt>
 </request>
`;
}

export function cancelXml(transactionNumber: string, serviceId = '5132'): string {
  return `<?xml version="1.0" encoding="windows-1251"?>
<request><protocol-version>4.00</protocol-version><request-type>3</request-type><terminal-id>${ELSOM_TERMINAL}</terminal-id>
<extra name="login">${ELSOM_LOGIN}</extra><extra name="password-md5">${md5Hex(ELSOM_PASSWORD).toUpperCase()}</extra>
<service-id>${serviceId}</service-id><transaction-number>${transactionNumber}</transaction-number></request>`;
}

export function listXml(from: string, to: string, serviceId = '5132'): string {
  return `<?xml version="1.0" encoding="windows-1251"?>
<request><protocol-version>4.00</protocol-version><request-type>4</request-type><terminal-id>${ELSOM_TERMINAL}</terminal-id>
<extra name="login">${ELSOM_LOGIN}</extra><extra name="password-md5">${md5Hex(ELSOM_PASSWORD)}</extra>
<service-id>${serviceId}</service-id><datetime-from>${from}</datetime-from><datetime-to>${to}</datetime-to></request>`;
}

let counter = 0;
/** A fresh 18-digit transaction-number with a leading zero. */
export function txn(): string {
  counter += 1;
  return `0${String(Date.now()).slice(-12)}${String(process.pid % 100).padStart(2, '0')}${String(counter).padStart(3, '0')}`;
}
