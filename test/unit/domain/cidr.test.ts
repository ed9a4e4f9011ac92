import { describe, expect, it } from 'vitest';
import { CidrMatcher, ipAllowed, parseCidr } from '../../../src/domain/cidr.ts';

describe('CidrMatcher', () => {
  it('IPv4: a host, a network, its edges', () => {
    const m = new CidrMatcher(['10.1.2.0/24', '192.168.0.7']);
    expect(m.matches('10.1.2.0')).toBe(true);
    expect(m.matches('10.1.2.255')).toBe(true);
    expect(m.matches('10.1.3.0')).toBe(false);
    expect(m.matches('10.1.1.255')).toBe(false);
    expect(m.matches('192.168.0.7')).toBe(true);
    expect(m.matches('192.168.0.8')).toBe(false);
  });

  it('/0 matches its whole family, /32 and /128 one address', () => {
    expect(new CidrMatcher(['0.0.0.0/0']).matches('203.0.113.9')).toBe(true);
    expect(new CidrMatcher(['0.0.0.0/0']).matches('2001:db8::1')).toBe(false);
    expect(new CidrMatcher(['::/0']).matches('2001:db8::1')).toBe(true);
    expect(new CidrMatcher(['203.0.113.9/32']).matches('203.0.113.10')).toBe(false);
    expect(new CidrMatcher(['2001:db8::1/128']).matches('2001:db8::2')).toBe(false);
  });

  it('IPv6: networks, compressed and expanded forms alike', () => {
    const m = new CidrMatcher(['2001:db8:abcd::/48']);
    expect(m.matches('2001:db8:abcd:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(m.matches('2001:0db8:abcd:0000:0000:0000:0000:0001')).toBe(true);
    expect(m.matches('2001:db8:abce::1')).toBe(false);
    expect(new CidrMatcher(['::1/128']).matches('::1')).toBe(true);
  });

  it('an IPv4-mapped IPv6 caller is matched as its IPv4 address', () => {
    const m = new CidrMatcher(['127.0.0.0/8']);
    expect(m.matches('::ffff:127.0.0.1')).toBe(true);
    expect(m.matches('::FFFF:127.0.0.1')).toBe(true);
    expect(m.matches('::ffff:10.0.0.1')).toBe(false);
  });

  it('an empty matcher and a caller that is not an IP match nothing', () => {
    expect(new CidrMatcher([]).matches('127.0.0.1')).toBe(false);
    expect(new CidrMatcher(['0.0.0.0/0']).matches('localhost')).toBe(false);
    expect(new CidrMatcher(['0.0.0.0/0']).matches('')).toBe(false);
  });

  it.each([
    ['not-an-ip', /invalid IP address/],
    ['10.0.0.1/33', /invalid prefix/],
    ['::1/129', /invalid prefix/],
    ['10.0.0.1/-1', /invalid prefix/],
    ['10.0.0.1/', /invalid prefix/],
    ['10.0.0.1/8.5', /invalid prefix/],
    ['10.0.0.1/8/8', /invalid IP address/],
    ['10.0.0.256', /invalid IP address/],
    [' 10.0.0.1', /invalid IP address/],
  ])('refuses %s', (entry, message) => {
    expect(() => parseCidr(entry)).toThrow(message);
    expect(() => new CidrMatcher([entry])).toThrow(message);
  });
});

describe('ipAllowed', () => {
  it('an empty list allows every address (agent API: no IP given, no restriction)', () => {
    expect(ipAllowed([], '198.51.100.1')).toBe(true);
  });

  it('otherwise only the listed ones', () => {
    expect(ipAllowed(['127.0.0.0/8', '::1/128'], '::1')).toBe(true);
    expect(ipAllowed(['127.0.0.0/8', '::1/128'], '198.51.100.1')).toBe(false);
  });
});
