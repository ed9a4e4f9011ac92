import { expect } from 'vitest';
import type { Harness } from './harness.ts';
import { getBalance } from '../../src/ledger/ledger.ts';
import type { OrderRow } from '../../src/engine/checkout.ts';

/** The checkout driven over HTTP as a browser without scripts would (forms and redirects, no JS). */
export interface Answer {
  status: number;
  location: string | undefined;
  text: string;
  setCookie: string | undefined;
}

export async function http(url: string, init: { method?: string; form?: Record<string, string> | [string, string][]; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const body = init.form ? new URLSearchParams(init.form).toString() : init.body;
  const response = await fetch(url, {
    method: init.method ?? (body !== undefined ? 'POST' : 'GET'),
    redirect: 'manual',
    headers: { ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...init.headers },
    ...(body !== undefined ? { body } : {}),
  });
  return { status: response.status, location: response.headers.get('location') ?? undefined, text: await response.text(), setCookie: response.headers.get('set-cookie') ?? undefined };
}

const absolute = (base: string, location: string) => new URL(location, base).toString();

/** Inputs → order token. */
export async function startOrder(h: Harness, serviceId: string, inputs: Record<string, string>): Promise<string> {
  const answer = await http(`${h.url}/pay/s/${serviceId}`, { form: inputs });
  expect(answer.status, answer.text).toBe(303);
  const token = /\/pay\/o\/([\w-]+)$/.exec(answer.location ?? '')?.[1];
  expect(token).toBeDefined();
  return token!;
}

export function hiddenFields(html: string): [string, string][] {
  return [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [unescape(m[1]!), unescape(m[2]!)]);
}

function unescape(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

/** Choose card: the auto-submit form to Assist (action + fields). */
export async function chooseCard(h: Harness, token: string, extra: Record<string, string> | [string, string][]): Promise<{ action: string; fields: [string, string][] }> {
  const pairs: [string, string][] = Array.isArray(extra) ? extra : Object.entries(extra);
  const answer = await http(`${h.url}/pay/o/${token}`, { form: [...pairs, ['method', 'card']] });
  expect(answer.status, answer.text).toBe(200);
  const action = unescape(/<form method="post" action="([^"]+)" data-autosubmit/.exec(answer.text)?.[1] ?? '');
  expect(action).toContain('/sandbox/assist/pay/order.cfm');
  return { action, fields: hiddenFields(answer.text) };
}

/** The person pays on the Assist sandbox page with a card; answers the simulator's final answer (redirect or page). */
export async function payOnAssist(form: { action: string; fields: [string, string][] }, card: string, action: 'pay' | 'cancel' = 'pay'): Promise<Answer> {
  const page = await http(form.action, { form: form.fields });
  expect(page.status, page.text).toBe(200);
  const session = /name="session" value="([0-9a-f]+)"/.exec(page.text)?.[1];
  expect(session, page.text).toBeDefined();
  const cardUrl = new URL('card', form.action).toString();
  return http(cardUrl, { form: { session: session!, card, exp: '12/39', cvv: '123', action } });
}

/** Follows the return redirect back to Tolem and answers the result page URL. */
export async function followReturn(h: Harness, answer: Answer): Promise<string> {
  expect(answer.status, answer.text).toBe(303);
  const back = await http(absolute(h.url, answer.location!));
  expect(back.status, back.text).toBe(303);
  return absolute(h.url, back.location!);
}

export async function orderByToken(h: Harness, token: string): Promise<OrderRow> {
  return (await h.db.query<OrderRow>('SELECT * FROM checkout_orders WHERE token = $1', [token])).rows[0]!;
}

export async function accountBalance(h: Harness, code: string): Promise<bigint> {
  const row = (await h.db.query<{ id: bigint }>('SELECT id FROM ledger_accounts WHERE code = $1', [code])).rows[0];
  if (!row) return 0n;
  const balance = await getBalance(h.db, row.id);
  return balance.creditsPosted - balance.debitsPosted;
}

export async function setAssistFaults(h: Harness, faults: Record<string, number>): Promise<void> {
  const answer = await http(`${h.url}/sandbox/assist/faults`, { body: JSON.stringify(faults), headers: { 'content-type': 'application/json' } });
  expect(answer.status, answer.text).toBe(200);
}

export async function setElsomFaults(h: Harness, faults: Record<string, unknown>): Promise<void> {
  const answer = await http(`${h.url}/sandbox/elsom-merchant/faults`, { body: JSON.stringify(faults), headers: { 'content-type': 'application/json' } });
  expect(answer.status, answer.text).toBe(200);
}

export const CARDS = { approve: '4111111111111111', decline: '4000000000000002', threeDs: '4000000000003220' } as const;
