/** Elsom biller codec — Transaction numbers and the MD5 password: comparison rules of the protocol. */
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The spec's examples send `021508040001364907` and answer `21508040001364907` (leading zero lost on Elsom's
 * side of the example). Equal when identical, or when both are digits and equal without leading zeros.
 */
export function sameElsomTransactionNumber(a: string, b: string): boolean {
  if (a === b) return true;
  return /^\d+$/.test(a) && /^\d+$/.test(b) && a.replace(/^0+/, '') === b.replace(/^0+/, '');
}

/** Hex MD5 of the password's UTF-8 bytes, lowercase: what Elsom sends as extra password-md5. */
export function md5Hex(password: string): string {
  return createHash('md5').update(password, 'utf8').digest('hex');
}

const MD5_HEX = /^[0-9a-f]{32}$/;

/** Constant-time comparison of two hex MD5 digests, any case; anything that is not 32 hex digits never matches. */
export function elsomPasswordMatches(expectedMd5Hex: string, givenHex: string): boolean {
  const expected = expectedMd5Hex.toLowerCase();
  const given = givenHex.toLowerCase();
  if (!MD5_HEX.test(expected) || !MD5_HEX.test(given)) return false;
  return timingSafeEqual(Buffer.from(expected, 'ascii'), Buffer.from(given, 'ascii'));
}
