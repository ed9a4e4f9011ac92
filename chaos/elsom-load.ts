/**
 * The campaign's Elsom wallet: it speaks the biller XML protocol (docs/protocols/elsom-biller.md) to both Tolem
 * instances — AUTHORIZE, then PAYMENT in storms (the same PAYMENT 3–10 times at once, spread over both instances),
 * and the PAYMENT again while no answer comes or the answer is non-fatal (Elsom's own rule: it repeats an unanswered PAYMENT, then counts it as
 * paid). Every answer is kept for the auditor (chaos/auditor.ts, auditElsom).
 */
import { createHash } from 'node:crypto';
import { createAgent } from '../src/engine/agents.ts';
import { createElsomTerminal } from '../src/engine/terminals.ts';
import { openDb } from '../src/store/db.ts';
import type { LoggedElsomPay } from './auditor.ts';

export const ELSOM_TERMINAL = '1839';
const ELSOM_LOGIN = 'chaos-elsom';
/** The MegaCom top-up (K1001, the sandbox's KG mobile operator), as Elsom's service 5132. */
const ELSOM_SERVICE = '5132';
const ELSOM_ACCOUNTS = ['996701232200', '996555123456', '996777000111'];
const ELSOM_AMOUNTS = ['10', '55.50', '100', '2999.99'];

export interface ElsomSetup {
  agentId: string;
  password: string;
}

/**
 * The campaign is the operator: one KGS agent configured as Elsom terminal 1839, created with the engine's own
 * functions on the instances' schema (what the console would do), with a balance no storm exhausts.
 */
export async function setupElsom(databaseUrl: string, schema: string, password: string): Promise<ElsomSetup> {
  const store = await openDb({ databaseUrl, schema, dataDir: '' });
  try {
    const created = await createAgent(store, { name: 'Chaos Elsom wallet', currency: 'KGS', openingBalanceMinor: 100_000_000_000n, issueToken: false });
    await createElsomTerminal(store, {
      agentId: created.agent.id, terminalId: ELSOM_TERMINAL, login: ELSOM_LOGIN, password,
      services: [{ elsomServiceId: ELSOM_SERVICE, serviceId: 'K1001' }],
    });
    return { agentId: created.agent.id.toString(), password };
  } finally {
    await store.close();
  }
}

/** A request as Elsom writes it; its amounts are written as Elsom writes them ("10", "55.50"). */
function requestXml(type: 1 | 2, number: string, account: string, amount: string, password: string): string {
  const md5 = createHash('md5').update(password, 'utf8').digest('hex');
  return `<?xml version="1.0" encoding="UTF-8" ?>
<request><protocol-version>4.00</protocol-version><request-type>${type}</request-type><terminal-id>${ELSOM_TERMINAL}</terminal-id>
<extra name="login">${ELSOM_LOGIN}</extra><extra name="password-md5">${md5}</extra><extra name="client-software">XML v1.9</extra>
<transaction-number>${number}</transaction-number><from><amount currency-code="417">${amount}</amount></from>
<to><service-id>${ELSOM_SERVICE}</service-id><account-number>${account}</account-number><amount currency-code="417">${amount}</amount></to>
<receipt><datetime>20261122100000</datetime><receipt-number>${number}</receipt-number></receipt></request>`;
}

/** The non-fatal codes a PAYMENT can be answered with (the protocol's "fatality" column): Elsom asks again. */
export const NON_FATAL = new Set(['1', '3', '220']);

export interface ElsomAnswer {
  resultCode: string;
  statusId: string | undefined;
  txnId: string | undefined;
}

/** POSTs one request; undefined when no <response> came (the instance died, hung, or answered something else). */
async function postElsom(url: string, body: string, timeoutMs: number): Promise<ElsomAnswer | undefined> {
  try {
    const response = await fetch(`${url}/elsom`, {
      method: 'POST', body: Buffer.from(body, 'utf8'), signal: AbortSignal.timeout(timeoutMs), headers: { 'content-type': 'text/xml; charset=utf-8' },
    });
    // The answer is windows-1251; every tag and value read here is ASCII.
    const text = Buffer.from(await response.arrayBuffer()).toString('latin1');
    const resultCode = /<result-code>(\d+)<\/result-code>/.exec(text)?.[1];
    if (resultCode === undefined) return undefined;
    return { resultCode, statusId: /<status-id>(\d+)<\/status-id>/.exec(text)?.[1], txnId: /<txn-id>(\d+)<\/txn-id>/.exec(text)?.[1] };
  } catch {
    return undefined;
  }
}

export interface ElsomLoad {
  urls: () => string[];
  random: () => number;
  endsAt: number;
  password: string;
  nextNumber: () => string;
  log: LoggedElsomPay[];
  counts: { requests: number; stormCopies: number; storms: number };
  sleep: (ms: number) => Promise<void>;
}

/** One Elsom worker: AUTHORIZE, a PAYMENT storm, repeats until answered (at most six rounds), again and again. */
export async function elsomWorker(load: ElsomLoad): Promise<void> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(load.random() * items.length)]!;
  while (Date.now() < load.endsAt) {
    const number = load.nextNumber();
    const account = pick(ELSOM_ACCOUNTS);
    const amount = pick(ELSOM_AMOUNTS);
    const entry: LoggedElsomPay = { transactionNumber: number, amount, answers: [] };
    load.counts.requests += 1;
    const auth = await postElsom(pick(load.urls()), requestXml(1, number, account, amount, load.password), 5_000);
    if (auth?.resultCode !== '0') {
      if (auth === undefined) await load.sleep(300 + load.random() * 700);
      continue;
    }
    entry.authorizedTxnId = auth.txnId;
    load.log.push(entry);
    const payment = requestXml(2, number, account, amount, load.password);
    // Elsom repeats an unanswered PAYMENT (five times, ten seconds apart, then counts it paid): here up to eight rounds
    // 2–4 s apart, so that a storm meets an instance's kill and its restart, and the repeats outlast an outage.
    for (let round = 0; round < 8 && Date.now() < load.endsAt + 60_000; round++) {
      const copies = round === 0 ? 3 + Math.floor(load.random() * 8) : 1;
      if (round === 0) load.counts.storms += 1;
      load.counts.stormCopies += round === 0 ? copies : 0;
      load.counts.requests += copies;
      const urls = load.urls();
      const answers = await Promise.all(Array.from({ length: copies }, (_, i) => postElsom(urls[i % urls.length]!, payment, 5_000)));
      for (const answer of answers) if (answer) entry.answers.push(answer);
      // Elsom repeats while nothing came back, and while the answer is non-fatal (in processing, waiting for funds, an
      // internal failure such as the database being down).
      if (answers.some((answer) => answer !== undefined && !NON_FATAL.has(answer.resultCode))) break;
      await load.sleep(2_000 + load.random() * 2_000);
    }
  }
}
