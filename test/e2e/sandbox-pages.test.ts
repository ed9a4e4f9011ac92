/**
 * The simulators' pages a person sees (Assist's card pages, Elsom's OTP page): served with a strict CSP (no inline
 * styles or scripts, form-action only as wide as the page's redirects) and with every value the shop sent escaped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSIST_SANDBOX_ACCOUNT } from '../../src/sandbox/assist/keys.ts';
import { ELSOM_MERCHANT_SANDBOX_ACCOUNT } from '../../src/sandbox/elsom-merchant/account.ts';
import { startTolem, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startTolem({ jobs: false });
});
afterAll(async () => h?.close());

const EVIL = `<script>alert("x")</script>`;
const ESCAPED = '&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;';

interface Page {
  status: number;
  csp: string;
  html: string;
  location: string | undefined;
}

async function send(path: string, body?: string, contentType = 'application/x-www-form-urlencoded'): Promise<Page> {
  const response = await fetch(`${h.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST', redirect: 'manual',
    ...(body === undefined ? {} : { body, headers: { 'content-type': contentType } }),
  });
  return {
    status: response.status, csp: response.headers.get('content-security-policy') ?? '', html: await response.text(),
    location: response.headers.get('location') ?? undefined,
  };
}

let orderSeq = 0;
function assistOrder(fields: Record<string, string> = {}): string {
  return new URLSearchParams({
    Merchant_ID: ASSIST_SANDBOX_ACCOUNT.merchantId, OrderNumber: `page-${process.pid}-${++orderSeq}`, OrderAmount: '100.00', OrderCurrency: 'KZT',
    URL_RETURN_OK: 'https://shop.example/ok', URL_RETURN_NO: 'https://shop.example/no', ...fields,
  }).toString();
}

/** The directives of a policy, by name. */
function directives(csp: string): Map<string, string> {
  return new Map(csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(' ')[0]!, d.slice(d.indexOf(' ') + 1)]));
}

/** Strict: nothing by default, styles from this server only, no script source at all, no inline anything. */
function expectStrict(page: Page, formAction: string): void {
  const policy = directives(page.csp);
  expect(policy.get('default-src')).toBe("'none'");
  expect(policy.get('style-src')).toBe("'self'");
  expect(policy.has('script-src')).toBe(false);
  expect(policy.get('form-action')).toBe(formAction);
  expect(policy.get('frame-ancestors')).toBe("'none'");
  expect(page.csp).not.toContain('unsafe-inline');
  expect(page.csp).not.toContain('*');
  // The markup keeps to it: one same-origin stylesheet, no <style>, no style="", no script.
  expect(page.html).not.toMatch(/<style|\sstyle=|<script/i);
  expect(page.html.match(/<link [^>]*>/g)?.length).toBe(1);
}

async function sessionOf(page: Page): Promise<string> {
  const session = /name="session" value="([0-9a-f]+)"/.exec(page.html)?.[1];
  expect(session, page.html).toBeDefined();
  return session!;
}

describe('Assist payment pages', () => {
  it('the card form: strict CSP naming only the return URLs\' origin, the order number escaped', async () => {
    const page = await send('/sandbox/assist/pay/order.cfm', assistOrder({ OrderNumber: `n${EVIL}` }));
    expect(page.status, page.html).toBe(200);
    expectStrict(page, "'self' https://shop.example");
    expect(page.html).not.toContain('<script>alert');
    expect(page.html).toContain(`n${ESCAPED}`);
    expect(page.html).toContain('<link rel="stylesheet" href="/sandbox/assist/assets/sandbox.css">');
  });

  it('a return URL made to smuggle a directive into the header adds nothing to form-action', async () => {
    const page = await send('/sandbox/assist/pay/order.cfm', assistOrder({
      URL_RETURN_OK: 'http://a;script-src*/ok', URL_RETURN_NO: 'javascript:alert(1)',
    }));
    expect(page.status, page.html).toBe(200);
    expectStrict(page, "'self'");
  });

  it('the 3-D Secure page and a card problem are strict too', async () => {
    const card = await send('/sandbox/assist/pay/order.cfm', assistOrder());
    const session = await sessionOf(card);
    const problem = await send('/sandbox/assist/pay/card', new URLSearchParams({ session, card: '12', exp: '12/39', cvv: '123', action: 'pay' }).toString());
    expect(problem.html).toContain('role="alert" class="alert"');
    expectStrict(problem, "'self' https://shop.example");
    const threeDs = await send('/sandbox/assist/pay/card', new URLSearchParams({ session, card: '4000000000003220', exp: '12/39', cvv: '123', action: 'pay' }).toString());
    expect(threeDs.html).toContain('id="assist-3ds"');
    expectStrict(threeDs, "'self' https://shop.example");
  });

  it('an order already processed links back to a hostile return URL only as escaped text, and never to javascript:', async () => {
    const hostileNo = `https://shop.example/no?x="><script>alert("x")</script>`;
    const body = assistOrder({ URL_RETURN_NO: hostileNo });
    const session = await sessionOf(await send('/sandbox/assist/pay/order.cfm', body));
    const cancelled = await send('/sandbox/assist/pay/card', new URLSearchParams({ session, action: 'cancel' }).toString());
    expect(cancelled.status).toBe(303);
    expect(cancelled.location).toBe(hostileNo);
    const again = await send('/sandbox/assist/pay/order.cfm', body);
    expect(again.html).toContain('уже обработан');
    expect(again.html).not.toContain('<script>alert');
    expect(again.html).toContain(`href="https://shop.example/no?x=&#34;&#62;${ESCAPED}"`);
    expectStrict(again, "'self'");

    const scriptUrl = assistOrder({ URL_RETURN_NO: 'javascript:alert(1)' });
    const other = await sessionOf(await send('/sandbox/assist/pay/order.cfm', scriptUrl));
    await send('/sandbox/assist/pay/card', new URLSearchParams({ session: other, action: 'cancel' }).toString());
    const processed = await send('/sandbox/assist/pay/order.cfm', scriptUrl);
    expect(processed.html).toContain('уже обработан');
    expect(processed.html).not.toContain('javascript:');
  });

  it('a refused form shows the parser\'s complaint escaped', async () => {
    const page = await send('/sandbox/assist/pay/order.cfm', assistOrder({ OrderAmount: EVIL }));
    expect(page.status).toBe(400);
    expect(page.html).not.toContain('<script>alert');
    expect(page.html).toContain(ESCAPED);
    expectStrict(page, "'self'");
  });
});

describe('Elsom OTP page', () => {
  const partnerTrnId = `<script>"x'</script>`;
  let pageUrl: URL;

  beforeAll(async () => {
    const { tenantId, merchantWallet, partnerCode, password } = ELSOM_MERCHANT_SANDBOX_ACCOUNT;
    const body = JSON.stringify({ IA_Init: {
      CultureInfo: 'ru-RU', MSISDN: '0', PmSISDN: merchantWallet, PartnerCode: partnerCode, Password: password, ChequeNo: '',
      PartnerTrnID: partnerTrnId, Amount: '10.00', CashierNo: '', UDF: '',
    } });
    const answer = await send(`/sandbox/elsom-merchant/service/v1/merchant/generateOTP/${tenantId}`, body, 'application/json');
    const url = /https?:\/\/[^"]+merchant-payment\/[^"]+/.exec(answer.html)?.[0];
    expect(url, answer.html).toBeDefined();
    pageUrl = new URL(url!);
  });

  it('is strict, its form-action the way back to the hub only, the partner\'s transaction id escaped', async () => {
    const page = await send(`${pageUrl.pathname}${pageUrl.search}`);
    expect(page.status, page.html).toBe(200);
    expectStrict(page, `'self' ${new URL(h.url).origin}`);
    expect(page.html).not.toContain('<script>');
    expect(page.html).toContain('&#60;script&#62;&#34;x&#39;&#60;/script&#62;');
    expect(page.html).toContain('<link rel="stylesheet" href="/sandbox/elsom-merchant/assets/sandbox.css">');
  });

  it('the page of a finished payment, and of none, are strict too', async () => {
    const cancelled = await send(pageUrl.pathname, 'action=cancel');
    expect(cancelled.status).toBe(303);
    const finished = await send(pageUrl.pathname);
    expect(finished.html).toContain('&#60;script&#62;');
    expectStrict(finished, "'self'");
    const none = await send('/sandbox/elsom-merchant/merchant-payment/nope');
    expect(none.status).toBe(404);
    expectStrict(none, "'self'");
  });
});

describe('the simulators\' stylesheet', () => {
  it.each(['/sandbox/assist', '/sandbox/elsom-merchant'])('%s/assets/sandbox.css is a real file', async (prefix) => {
    const response = await fetch(`${h.url}${prefix}/assets/sandbox.css`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/css');
    expect(await response.text()).toContain('.box{');
  });
});
