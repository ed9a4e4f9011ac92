/**
 * The simulators' CSP: form-action widens only by the origins of web addresses (Chromium checks form-action on the
 * redirect after a form post, so a page whose form ends in a 303 to the shop must name the shop's origin).
 */
import { describe, expect, it } from 'vitest';
import { simulatorCsp, webOrigin } from '../../../src/sandbox/pages.ts';

describe('simulatorCsp', () => {
  it('is strict, and names each return origin once', () => {
    expect(simulatorCsp(['https://shop.example/ok', 'https://shop.example/no', 'http://127.0.0.1:8080/pay/return/x/ok', undefined]))
      .toBe("default-src 'none'; style-src 'self'; form-action 'self' https://shop.example http://127.0.0.1:8080; frame-ancestors 'none'; base-uri 'none'");
    expect(simulatorCsp()).toBe("default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  });

  it.each([
    ['a directive smuggled in the host', 'http://a;script-src*/ok'],
    ['a script URL', 'javascript:alert(1)'],
    ['a data URL', 'data:text/html,<script>alert(1)</script>'],
    ['no URL at all', 'not a url'],
    ['empty', ''],
  ])('%s adds nothing', (_name, url) => {
    expect(webOrigin(url)).toBeUndefined();
    expect(simulatorCsp([url])).toContain("form-action 'self';");
  });
});
