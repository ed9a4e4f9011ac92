/**
 * The campaign's customers at the web checkout (/pay), over HTTP as a browser without scripts would: the service's
 * form, the amount and the method, then the acquirer's own page in the partners' process — Assist's card form
 * (two-stage: a hold, charged or released by Tolem) or Elsom merchant's OTP page — and, sometimes, the way back.
 *
 * The acquirers' notifications meet faults: the Elsom simulator duplicates, delays (with jitter, so copies overtake
 * one another) and loses its callbacks, which go to either instance (`callbackUrls`); Assist's return redirect is lost
 * by its `dropReturnRate`, and the customer's browser drops it too, follows it late, or twice. The instances are killed
 * meanwhile; Tolem must still drive every order final by asking the acquirer (order state, payment status).
 * Each order started is logged for the auditor (chaos/auditor.ts, auditCheckout).
 */
import type { LoggedCheckout } from './auditor.ts';

/** What the instances need to take the campaign's acquirers for real ones (ASSIST_*, ELSOM_MERCHANT_*, CHECKOUT_*). */
export function checkoutEnv(partnersUrl: string, assistPublicKey: string): NodeJS.ProcessEnv {
  return {
    // The sandbox accounts of src/sandbox/assist/keys.ts and src/sandbox/elsom-merchant/account.ts, in the partners' process.
    ASSIST_URL: `${partnersUrl}/sandbox/assist`, ASSIST_MERCHANT_ID: '700001', ASSIST_LOGIN: 'tolem_sandbox', ASSIST_PASSWORD: 'Sandbox2024',
    ASSIST_PUBLIC_KEY: assistPublicKey.replace(/\n/g, '\\n'), ASSIST_CURRENCIES: 'KZT',
    ELSOM_MERCHANT_URL: `${partnersUrl}/sandbox/elsom-merchant`, ELSOM_MERCHANT_TENANT_ID: '1', ELSOM_MERCHANT_WALLET: '0555000100',
    ELSOM_MERCHANT_PARTNER_CODE: '00609', ELSOM_MERCHANT_PASSWORD: 'sandbox-elsom-pass', ELSOM_MERCHANT_CALLBACK_IPS: '127.0.0.1,::1',
    // The simulated wallet takes KZT so that the same mobile top-up is paid both ways.
    ELSOM_MERCHANT_CURRENCIES: 'KZT',
    // Short timings: an order whose customer vanished expires within the campaign's drain.
    CHECKOUT_POLL_MS: '500', CHECKOUT_POLL_MAX_MS: '3000', CHECKOUT_ORDER_TTL_MS: '60000', CHECKOUT_ACQUIRER_TIMEOUT_MS: '3000',
  };
}

/** The acquirers' faults during the load: notifications duplicated, delayed and lost; a share of web calls failing. */
export function acquirerFaults(instanceUrls: string[]) {
  return {
    elsom: {
      callbackUrls: instanceUrls.map((url) => `${url}/pay/elsom/callback`), callbackDelayMs: 300, callbackJitterMs: 3_000,
      callbackDuplicateRate: 0.3, callbackLossRate: 0.3, callbackOutOfOrder: true, statusLagMs: 1_000, http500Rate: 0.1, timeoutMs: 30_000,
    },
    // Assist as real partners are: no deduplication of charges, and a share of charges made and then answered too late.
    assist: { dropReturnRate: 0.3, http500Rate: 0.1, malformedRate: 0.05, dedupe: false, hangAfterCommitRate: 0.2, hangMs: 5_000 },
  };
}

/** The faults off, for the drain (the acquirers answer; the notifications already lost stay lost). */
export const ACQUIRERS_CALM = {
  elsom: { callbackLossRate: 0, callbackDuplicateRate: 0, http500Rate: 0, statusLagMs: 0 },
  assist: { dropReturnRate: 0, http500Rate: 0, malformedRate: 0, hangAfterCommitRate: 0 },
};

interface Answer {
  status: number;
  location: string | undefined;
  text: string;
  setCookie: string | undefined;
}

async function http(url: string, init: { form?: Record<string, string> | [string, string][]; cookie?: string } = {}): Promise<Answer | undefined> {
  try {
    const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
    const response = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST', redirect: 'manual', signal: AbortSignal.timeout(8_000),
      headers: { ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...(init.cookie ? { cookie: init.cookie } : {}) },
      ...(body !== undefined ? { body } : {}),
    });
    return { status: response.status, location: response.headers.get('location') ?? undefined, text: await response.text(), setCookie: response.headers.get('set-cookie') ?? undefined };
  } catch {
    return undefined; // the instance died under the request, or hung
  }
}

const unescapeHtml = (text: string) => text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&');
const hiddenFields = (html: string): [string, string][] =>
  [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [unescapeHtml(m[1]!), unescapeHtml(m[2]!)]);

export interface CheckoutLoad {
  urls: () => string[];
  random: () => number;
  endsAt: number;
  log: LoggedCheckout[];
  counts: { requests: number; returnsDropped: number; returnsDuplicated: number; returnsDelayed: number };
  sleep: (ms: number) => Promise<void>;
}

const ACCOUNTS = ['7011234567', '7011230009', '7770017711'];
const AMOUNTS = ['150.00', '400.00', '1234.56'];
const CARDS = ['4111111111111111', '4111111111111111', '4111111111111111', '4000000000000002'];

/** One customer after another, each paying once by card or by wallet (or giving up on the acquirer's page). */
export async function checkoutWorker(load: CheckoutLoad): Promise<void> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(load.random() * items.length)]!;
  while (Date.now() < load.endsAt) {
    const base = pick(load.urls());
    const method = load.random() < 0.5 ? 'card' : 'elsom';
    const amount = pick(AMOUNTS);
    load.counts.requests += 1;
    const started = await http(`${base}/pay/s/P1011`, { form: { account: pick(ACCOUNTS) } });
    const token = /\/pay\/o\/([\w-]+)$/.exec(started?.location ?? '')?.[1];
    if (!token) {
      await load.sleep(300 + load.random() * 700);
      continue;
    }
    const entry: LoggedCheckout = { token, method, amount, steps: [] };
    load.log.push(entry);
    if (method === 'card') await payByCard(load, entry, pick);
    else await payByWallet(load, entry, pick);
  }
}

/** Inputs → the method chosen, on either instance (the same token works on both, as behind one load balancer). */
async function choose(load: CheckoutLoad, entry: LoggedCheckout, pick: <T>(items: readonly T[]) => T): Promise<Answer | undefined> {
  for (let attempt = 0; attempt < 4; attempt++) {
    load.counts.requests += 1;
    const answer = await http(`${pick(load.urls())}/pay/o/${entry.token}`, { form: { amount: entry.amount, method: entry.method } });
    if (answer && answer.status < 500) return answer;
    await load.sleep(300 + load.random() * 700);
  }
  return undefined;
}

async function payByCard(load: CheckoutLoad, entry: LoggedCheckout, pick: <T>(items: readonly T[]) => T): Promise<void> {
  const chosen = await choose(load, entry, pick);
  const action = unescapeHtml(/<form method="post" action="([^"]+)" data-autosubmit/.exec(chosen?.text ?? '')?.[1] ?? '');
  if (!chosen || !action) return entry.steps.push(`no acquirer form (${chosen ? `HTTP ${chosen.status}` : 'no answer'})`), undefined;
  load.counts.requests += 1;
  const page = await http(action, { form: hiddenFields(chosen.text) });
  const session = /name="session" value="([0-9a-f]+)"/.exec(page?.text ?? '')?.[1];
  if (!session) return entry.steps.push('no card form'), undefined;
  const card = pick(CARDS);
  load.counts.requests += 1;
  const done = await http(new URL('card', action).toString(), { form: { session, card, exp: '12/39', cvv: '123', action: 'pay' } });
  entry.steps.push(card.endsWith('0002') ? 'declined card' : 'card paid');
  if (done?.status === 303 && done.location) await goBack(load, entry, done.location, undefined, pick);
  else entry.steps.push('return lost by Assist');
}

async function payByWallet(load: CheckoutLoad, entry: LoggedCheckout, pick: <T>(items: readonly T[]) => T): Promise<void> {
  const chosen = await choose(load, entry, pick);
  const otpUrl = chosen?.status === 303 ? chosen.location : undefined;
  if (!otpUrl || !otpUrl.includes('/sandbox/elsom-merchant/merchant-payment/')) return entry.steps.push(`no OTP page (${chosen ? `HTTP ${chosen.status}` : 'no answer'})`), undefined;
  const cookie = /tolem_elsom=[\w-]+/.exec(chosen?.setCookie ?? '')?.[0];
  // Most pay; some have no money on the wallet; some cancel on Elsom's page.
  const roll = load.random();
  const form: Record<string, string> = roll < 0.75 ? { wallet: '0555123456', otp: '1234', action: 'pay' } : roll < 0.9 ? { wallet: '0555000002', otp: '1234', action: 'pay' } : { action: 'cancel' };
  load.counts.requests += 1;
  const done = await http(otpUrl, { form });
  entry.steps.push(form.action === 'cancel' ? 'cancelled on the OTP page' : form.wallet === '0555123456' ? 'wallet paid' : 'wallet without money');
  // The simulator sends the browser to the partners' own /pay; a real Elsom sends it to our public URL, which here is
  // either instance.
  if (done?.status === 303 && done.location) await goBack(load, entry, new URL(done.location).pathname, cookie, pick);
}

/** The way back to the shop: dropped, late, or twice, at either instance. */
async function goBack(load: CheckoutLoad, entry: LoggedCheckout, location: string, cookie: string | undefined, pick: <T>(items: readonly T[]) => T): Promise<void> {
  const roll = load.random();
  if (roll < 0.2) {
    load.counts.returnsDropped += 1;
    entry.steps.push('return dropped by the browser');
    return;
  }
  if (roll < 0.4) {
    load.counts.returnsDelayed += 1;
    await load.sleep(1_000 + load.random() * 4_000);
  }
  const path = new URL(location, 'http://x').pathname;
  const copies = load.random() < 0.25 ? 2 : 1;
  if (copies > 1) load.counts.returnsDuplicated += 1;
  load.counts.requests += copies;
  await Promise.all(Array.from({ length: copies }, () => http(`${pick(load.urls())}${path}`, cookie ? { cookie } : {})));
  entry.steps.push(copies > 1 ? 'returned twice' : 'returned');
}
