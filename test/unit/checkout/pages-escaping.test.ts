/** The checkout's templates escape every value: a `<script>` in an account or a service name is shown as text. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { orderPage, resultPage, servicePage, type PageContext } from '../../../src/checkout/pages.ts';
import type { Service } from '../../../src/domain/catalog.ts';
import type { OrderView } from '../../../src/engine/checkout.ts';
import { createEta, type Page } from '../../../src/web/pages.ts';

const eta = createEta(fileURLToPath(new URL('../../../src/checkout/views/', import.meta.url)));
const render = (page: Page) => eta.render(page.view, page.data);
const ctx: PageContext = { lang: 'en', path: '/pay', sandbox: true, offsetMinutes: 300 };
const EVIL = `<script>alert("x")</script>`;
const ESCAPED = '&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;';

const service = {
  serviceId: 'P1', type: 0, name: `Mobile ${EVIL}`, group: 'Mobile', country: null, currency: 'KZT', fixedPayment: false,
  inputs: [{ name: 'account', title: 'Phone', regexp: '^\\d{10}$', required: true }], displays: [{ name: 'fio', title: 'Name' }],
  minMinor: 100n, maxMinor: 100_000n,
} as unknown as Service;
const view = {
  order: { account: `701${EVIL}`, token: 't1', currency: 'KZT', amount_minor: 50_000n, method: 'card', payment_id: 7n, created_at: new Date(0) },
  service, payment: { data: { displays: { fio: `Ivan ${EVIL}` } }, providerRef: `ref${EVIL}` }, outcome: 'paid',
} as unknown as OrderView;

describe('checkout pages', () => {
  it.each([
    ['service page (a typed-in account)', () => servicePage(ctx, service, { account: EVIL })],
    ['order page (account, name, displays)', () => orderPage(ctx, { ...view, outcome: 'open' }, ['card', 'elsom'])],
    ['receipt (account, name, provider reference)', () => resultPage(ctx, view)],
  ])('%s shows <script> escaped, never as markup', (_name, build) => {
    const html = render(build());
    expect(html).not.toContain('<script>alert');
    expect(html).toContain(ESCAPED);
    // The page's only script is the same-origin file.
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script src="/pay/assets/checkout.js" defer>']);
  });
});
