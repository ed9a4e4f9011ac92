import { describe, expect, it } from 'vitest';
import { routableUrl } from '../../../src/http/routable-url.ts';

describe('routableUrl', () => {
  it('leaves well-formed targets as they are', () => {
    for (const url of ['/', '/api/v20/pay', '/pay/s/P1011?lang=kk', '/x/%D1%82?q=%', '/a%20b', 'http://host/a']) expect(routableUrl(url)).toBe(url);
  });

  it('takes a path with a malformed escape literally, keeping the query', () => {
    expect(routableUrl('/pay/return/t/%')).toBe('/pay/return/t/%25');
    expect(routableUrl('/elsom%zz?a=%')).toBe('/elsom%25zz?a=%');
    expect(routableUrl('/x/%E0%A4')).toBe('/x/%25E0%25A4');
  });

  it('makes a target that is not a path one', () => {
    expect(routableUrl('*')).toBe('/*');
  });
});
