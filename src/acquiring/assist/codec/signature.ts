import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { ASSIST_SIGNED_FIELDS, type AssistOrderRecord } from './fields.ts';

/**
 * Response signature (spec, answer parameter `signature`): "the value X without separators, signed with Assist's
 * private key, encoded in BASE64, where X is billnumber, ordernumber, responsecode, orderamount, ordercurrency,
 * meannumber, approvalcode, orderstate, packetdate".
 *
 * The spec names neither the key type nor the digest. A private/public key pair means RSA (PKCS#1 v1.5 here); the
 * digest defaults to MD5, the one Assist's merchant integrations use, and is a parameter until Assist confirms it.
 */
export type AssistSignatureDigest = 'md5' | 'sha1' | 'sha256';

export const DEFAULT_ASSIST_SIGNATURE_DIGEST: AssistSignatureDigest = 'md5';

/** X: the signed fields' values concatenated in the spec's order, absent fields as empty text. */
export function assistSignatureBase(fields: AssistOrderRecord): string {
  return ASSIST_SIGNED_FIELDS.map((field) => fields[field] ?? '').join('');
}

/** Simulator side: signs an answer's fields with the (simulated) Assist private key; BASE64 out. */
export function signAssistResponse(
  fields: AssistOrderRecord,
  privateKeyPem: string,
  digest: AssistSignatureDigest = DEFAULT_ASSIST_SIGNATURE_DIGEST,
): string {
  const data = Buffer.from(assistSignatureBase(fields), 'utf8');
  return sign(digest, data, createPrivateKey(privateKeyPem)).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Merchant side: true only for a well-formed signature that verifies over the given fields with Assist's public key.
 * Never throws: an empty or non-BASE64 signature, or an unusable key, is simply `false`.
 */
export function verifyAssistSignature(
  fields: AssistOrderRecord,
  signature: string,
  publicKeyPem: string,
  digest: AssistSignatureDigest = DEFAULT_ASSIST_SIGNATURE_DIGEST,
): boolean {
  const compact = signature.replace(/\s+/g, '');
  if (compact === '' || !BASE64.test(compact)) return false;
  try {
    const data = Buffer.from(assistSignatureBase(fields), 'utf8');
    return verify(digest, data, createPublicKey(publicKeyPem), Buffer.from(compact, 'base64'));
  } catch {
    return false;
  }
}
